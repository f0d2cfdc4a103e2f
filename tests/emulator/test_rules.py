"""The emulator's request rules: each refuses a real-shaped body the real API refuses, with the
API's own words, and accepts the same body put right; every request the real APIs accepted
(the recorded real streams) passes them all; over HTTP a refusal is the provider's 400 body,
which the adapters raise as ``BadRequestError`` without a retry."""

from __future__ import annotations

import copy
import inspect
import json
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
import real_streams

from rillet import BadRequestError, LLMClient, LLMRequest
from rillet.agent import MaxStepsExceededError, RuntimeBuilder
from rillet.emulator import Emulator, Scenario, ToolCallSpec
from rillet.emulator.rules import (
    BUILTIN_RULES,
    PROVIDER_RULES,
    SCHEMA_RULES,
    Refusal,
    anthropic,
    first_refusal,
    gemini,
    openai_chat,
    openai_responses,
    with_first,
)
from rillet.emulator.rules._refusal import Rule
from rillet.protocol import parse_messages

from ._expect import CLIENTS

Body = dict[str, Any]

_USER = {"role": "user", "content": "What is 1231 * 2331?"}
_CALL = {"id": "call_1", "type": "function", "function": {"name": "multiply", "arguments": "{}"}}
_CHAT_TURN = [_USER, {"role": "assistant", "tool_calls": [_CALL]}]
_SIGNATURE = "EoQDCm0IDhgCKkCDzGs2kL2P"
_THINKING = {"type": "thinking", "thinking": "Call the tool.", "signature": _SIGNATURE}
_TOOL_USE = {"type": "tool_use", "id": "toolu_01", "name": "fixed_version", "input": {}}
_TOOL_RESULT = {"type": "tool_result", "tool_use_id": "toolu_01", "content": "0.32a0"}
_CLAUDE_TOOL_TURN = [
    {"role": "user", "content": [{"type": "text", "text": "Use the fixed_version tool."}]},
    {"role": "assistant", "content": [_THINKING, _TOOL_USE]},
    {"role": "user", "content": [_TOOL_RESULT]},
]
_THINKING_ON = {"type": "enabled", "budget_tokens": 1024}
_FUNCTION_CALL = {"function_call": {"name": "multiply", "args": {"x": 5, "y": 3}}}
_FUNCTION_RESPONSE = {"function_response": {"name": "multiply", "response": {"output": "15"}}}
_GEMINI_TOOL_TURN: list[Body] = [
    {"role": "user", "parts": [{"text": "What is 5 times 3?"}]},
    {"role": "model", "parts": [{"text": ""}, {**_FUNCTION_CALL, "thoughtSignature": _SIGNATURE}]},
    {"role": "user", "parts": [_FUNCTION_RESPONSE]},
]
_RESPONSES_CALL = {"type": "function_call", "call_id": "call_1", "name": "multiply"}
_RESPONSES_OUTPUT = {"type": "function_call_output", "call_id": "call_1", "output": "2869461"}
_REASONING_ITEM = {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "gAAA"}


@dataclass(frozen=True)
class Case:
    """A body ``rule`` refuses with ``says`` in its message, and the same body put right."""

    rule: Rule
    model: str
    refused: Body
    says: str
    accepted: Body

    @property
    def id(self) -> str:
        return f"{self.rule.__name__}-{self.says[:24]}"


def _without(items: list[Any], drop: Any) -> list[Any]:
    return [item for item in items if item is not drop]


def _claude(**fields: Any) -> Body:
    return {"model": "m", "max_tokens": 4096, "messages": _CLAUDE_TOOL_TURN, **fields}


_ITEM: Body = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    },
    "required": ["name", "note"],
    "additionalProperties": False,
}
_CLOSED: Body = {
    "type": "object",
    "properties": {"items": {"type": "array", "items": _ITEM}, "total": {"type": "number"}},
    "required": ["items", "total"],
    "additionalProperties": False,
}
_ITEM_LIST: Body = {"type": "array", "items": _ITEM}


def _open(schema: Body, *, at: str | None = None, extra: object = None) -> Body:
    """``schema`` with ``additionalProperties`` left out (or set to ``extra``) at the root or
    on the objects of its ``at`` array."""
    opened = copy.deepcopy(schema)
    node = opened if at is None else opened["properties"][at]["items"]
    del node["additionalProperties"]
    if extra is not None:
        node["additionalProperties"] = extra
    return opened


def _with_keyword(keyword: str) -> Body:
    schema = copy.deepcopy(_CLOSED)
    schema["properties"]["items"][keyword] = True
    return schema


def _chat_format(
    schema: Body, *, name: str = "Order", strict: bool = True, optional: str | None = None
) -> Body:
    schema = copy.deepcopy(schema)
    if optional is not None:
        schema["properties"]["items"]["items"]["required"].remove(optional)
    return {
        "type": "json_schema",
        "json_schema": {"name": name, "schema": schema, "strict": strict},
    }


def _responses_format(schema: Body, *, name: str = "Order") -> Body:
    return {"type": "json_schema", "name": name, "schema": schema, "strict": True}


CASES = [
    # -- OpenAI Chat ---------------------------------------------------------------------------
    Case(
        openai_chat.tool_messages_answer_a_preceding_call,
        "gpt-4o-mini",
        {"messages": [_USER, {"role": "tool", "tool_call_id": "call_1", "content": "2869461"}]},
        "messages with role 'tool' must be a response to a preceeding message with 'tool_calls'",
        {"messages": [*_CHAT_TURN, {"role": "tool", "tool_call_id": "call_1", "content": "1"}]},
    ),
    Case(
        openai_chat.tool_messages_answer_a_preceding_call,
        "gpt-4o-mini",
        {"messages": [*_CHAT_TURN, {"role": "tool", "tool_call_id": "call_9", "content": "1"}]},
        "'tool_call_id' of 'call_9' not found in 'tool_calls' of previous message.",
        {"messages": [*_CHAT_TURN, {"role": "tool", "tool_call_id": "call_1", "content": "1"}]},
    ),
    Case(
        openai_chat.tool_calls_are_all_answered,
        "gpt-4o-mini",
        {"messages": [*_CHAT_TURN, {"role": "user", "content": "And?"}]},
        "The following tool_call_ids did not have response messages: call_1",
        {"messages": [*_CHAT_TURN, {"role": "tool", "tool_call_id": "call_1", "content": "1"}]},
    ),
    Case(
        openai_chat.reasoning_models_refuse_max_tokens,
        "o3-mini",
        {"messages": [_USER], "max_tokens": 100},
        "Unsupported parameter: 'max_tokens' is not supported with this model. Use "
        "'max_completion_tokens' instead.",
        {"messages": [_USER], "max_completion_tokens": 100},
    ),
    Case(
        openai_chat.reasoning_models_take_only_the_default_temperature,
        "gpt-5-mini",
        {"messages": [_USER], "temperature": 0.2},
        "Unsupported value: 'temperature' does not support 0.2 with this model. Only the "
        "default (1) value is supported.",
        {"messages": [_USER], "temperature": 1},
    ),
    # -- OpenAI Responses ----------------------------------------------------------------------
    Case(
        openai_responses.function_call_outputs_answer_a_call,
        "gpt-5.5",
        {"input": [_USER, _RESPONSES_OUTPUT, _RESPONSES_CALL]},
        "No tool call found for function call output with call_id call_1.",
        {"input": [_USER, _RESPONSES_CALL, _RESPONSES_OUTPUT]},
    ),
    Case(
        openai_responses.reasoning_items_are_whole,
        "gpt-5.5",
        {"store": False, "input": [_USER, {**_REASONING_ITEM, "id": None}, _RESPONSES_CALL]},
        "Missing required parameter: 'input[1].id'.",
        {"store": False, "input": [_USER, _REASONING_ITEM, _RESPONSES_CALL]},
    ),
    Case(
        openai_responses.reasoning_items_are_whole,
        "gpt-5.5",
        {"store": False, "input": [_USER, {"type": "reasoning", "id": "rs_1"}]},
        "Missing required parameter: 'input[1].summary'.",
        {"store": False, "input": [_USER, _REASONING_ITEM]},
    ),
    Case(
        openai_responses.reasoning_items_are_whole,
        "gpt-5.5",
        {"store": False, "input": [_USER, {"type": "reasoning", "id": "rs_1", "summary": []}]},
        "Item with id 'rs_1' not found. Items are not persisted when `store` is set to false.",
        {"store": True, "input": [_USER, {"type": "reasoning", "id": "rs_1", "summary": []}]},
    ),
    Case(
        openai_responses.reasoning_items_are_followed_by_their_output,
        "gpt-5.5",
        {"input": [_USER, _REASONING_ITEM, {"role": "user", "content": "And?"}]},
        "Item 'rs_1' of type 'reasoning' was provided without its required following item.",
        {"input": [_USER, _REASONING_ITEM, {"role": "assistant", "content": "1"}, _USER]},
    ),
    Case(
        openai_responses.reasoning_models_take_only_the_default_temperature,
        "o4-mini",
        {"input": "Hi", "temperature": 0},
        "Unsupported parameter: 'temperature' is not supported with this model.",
        {"input": "Hi"},
    ),
    # -- Anthropic -----------------------------------------------------------------------------
    Case(
        anthropic.messages_take_user_and_assistant_roles,
        "claude-sonnet-4-5",
        {"messages": [{"role": "system", "content": "Be brief."}, _USER]},
        'Unexpected role "system". The Messages API accepts a top-level `system` parameter',
        {"system": "Be brief.", "messages": [_USER]},
    ),
    Case(
        anthropic.messages_take_user_and_assistant_roles,
        "claude-sonnet-4-5",
        {"messages": [_USER, {"role": "tool", "content": "1"}]},
        "messages.1.role: Input should be 'user' or 'assistant'",
        {"messages": [_USER, {"role": "assistant", "content": "1"}]},
    ),
    Case(
        anthropic.tool_results_answer_the_previous_turn,
        "claude-haiku-4-5-20251001",
        {"messages": [_CLAUDE_TOOL_TURN[0], _CLAUDE_TOOL_TURN[2]]},
        "messages.1.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_01. "
        "Each `tool_result` block must have a corresponding `tool_use` block in the previous "
        "message.",
        {"messages": _CLAUDE_TOOL_TURN},
    ),
    Case(
        anthropic.tool_uses_are_answered_in_the_next_turn,
        "claude-haiku-4-5-20251001",
        {"messages": [*_CLAUDE_TOOL_TURN[:2], {"role": "user", "content": "Go on."}]},
        "messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: "
        "toolu_01.",
        # consecutive user messages are one turn: a result in the second still answers
        {
            "messages": [
                *_CLAUDE_TOOL_TURN[:2],
                {"role": "user", "content": "Go on."},
                _CLAUDE_TOOL_TURN[2],
            ]
        },
    ),
    Case(
        anthropic.sampling_parameters_are_refused_by_new_models,
        "claude-opus-4-7",
        {"messages": [_USER], "max_tokens": 1024, "temperature": 0.5},
        "`temperature` is deprecated for this model.",
        {"messages": [_USER], "max_tokens": 1024},
    ),
    Case(
        anthropic.sampling_parameters_are_refused_by_new_models,
        "claude-fable-5",
        {"messages": [_USER], "max_tokens": 1024, "top_p": 0.9},
        "`top_p` is deprecated for this model.",
        {"messages": [_USER], "max_tokens": 1024},
    ),
    Case(
        anthropic.new_models_take_only_adaptive_thinking,
        "claude-opus-4-8",
        _claude(thinking=_THINKING_ON),
        '"thinking.type.enabled" is not supported for this model. Use "thinking.type.adaptive"',
        _claude(thinking={"type": "adaptive"}, output_config={"effort": "high"}),
    ),
    Case(
        anthropic.thinking_takes_only_temperature_1,
        "claude-sonnet-4-5",
        _claude(thinking=_THINKING_ON, temperature=0.5),
        "`temperature` may only be set to 1 when thinking is enabled",
        _claude(thinking=_THINKING_ON, temperature=1.0),
    ),
    Case(
        anthropic.thinking_refuses_top_k,
        "claude-opus-4-1-20250805",
        _claude(thinking=_THINKING_ON, top_k=40),
        "`top_k` must be unset when thinking is enabled.",
        _claude(thinking=_THINKING_ON),
    ),
    Case(
        anthropic.thinking_budget_is_at_least_1024,
        "claude-sonnet-4-5",
        _claude(thinking={"type": "enabled", "budget_tokens": 1023}),
        "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024",
        _claude(thinking=_THINKING_ON),
    ),
    Case(
        anthropic.thinking_budget_is_below_max_tokens,
        "claude-sonnet-4-5",
        _claude(thinking={"type": "enabled", "budget_tokens": 4096}),
        "`max_tokens` must be greater than `thinking.budget_tokens`.",
        _claude(thinking={"type": "enabled", "budget_tokens": 4095}),
    ),
    Case(
        anthropic.thinking_tool_turn_replays_signed_thinking_first,
        "claude-haiku-4-5-20251001",
        _claude(
            thinking=_THINKING_ON,
            messages=[
                _CLAUDE_TOOL_TURN[0],
                {"role": "assistant", "content": [_TOOL_USE]},
                _CLAUDE_TOOL_TURN[2],
            ],
        ),
        "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found "
        "`tool_use`. When `thinking` is enabled, a final `assistant` message must start with a "
        "thinking block",
        _claude(thinking=_THINKING_ON),
    ),
    Case(
        anthropic.thinking_tool_turn_replays_signed_thinking_first,
        "claude-haiku-4-5-20251001",
        _claude(
            thinking={"type": "adaptive"},
            messages=[
                _CLAUDE_TOOL_TURN[0],
                {"role": "assistant", "content": [{**_THINKING, "signature": ""}, _TOOL_USE]},
                _CLAUDE_TOOL_TURN[2],
            ],
        ),
        "messages.1.content.0.thinking.signature: Field required",
        _claude(thinking={"type": "adaptive"}),
    ),
    # -- Gemini --------------------------------------------------------------------------------
    Case(
        gemini.contents_take_user_and_model_roles,
        "gemini-2.5-flash",
        {"contents": [{"role": "assistant", "parts": [{"text": "Hi"}]}]},
        "Please use a valid role: user, model.",
        {"contents": [{"role": "model", "parts": [{"text": "Hi"}]}]},
    ),
    Case(
        gemini.function_responses_answer_the_call_turn,
        "gemini-2.5-flash",
        {"contents": [_GEMINI_TOOL_TURN[0], _GEMINI_TOOL_TURN[2]]},
        "Please ensure that function response turn comes immediately after a function call turn.",
        {"contents": _GEMINI_TOOL_TURN},
    ),
    Case(
        gemini.function_responses_answer_the_call_turn,
        "gemini-2.5-flash",
        {
            "contents": [
                *_GEMINI_TOOL_TURN[:2],
                {"role": "user", "parts": [_FUNCTION_RESPONSE, _FUNCTION_RESPONSE]},
            ]
        },
        "the number of function response parts is equal to the number of function call parts",
        {"contents": _GEMINI_TOOL_TURN},
    ),
    Case(
        gemini.function_calls_follow_a_user_turn,
        "gemini-2.5-flash",
        {
            "contents": [
                _GEMINI_TOOL_TURN[0],
                {"role": "model", "parts": [{"text": "Let me see."}]},
                *_GEMINI_TOOL_TURN[1:],
            ]
        },
        "function call turn comes immediately after a user turn or after a function response",
        {"contents": _GEMINI_TOOL_TURN},
    ),
    Case(
        gemini.gemini_3_function_calls_carry_thought_signatures,
        "gemini-3-flash-preview",
        {
            "contents": [
                _GEMINI_TOOL_TURN[0],
                {"role": "model", "parts": [_FUNCTION_CALL]},
                _GEMINI_TOOL_TURN[2],
            ]
        },
        "Function call is missing a thought_signature in functionCall parts. This is required "
        "for tools to work correctly, and missing thought_signature may lead to degraded model "
        "performance. Additional data, function call `default_api:multiply` , position 2.",
        {"contents": _GEMINI_TOOL_TURN},
    ),
    # -- structured output -----------------------------------------------------------------------
    Case(
        openai_chat.response_format_name_fits_the_pattern,
        "gpt-4o-mini",
        {"messages": [_USER], "response_format": _chat_format(_CLOSED, name="my order")},
        "Invalid 'response_format.json_schema.name': string does not match pattern. Expected a "
        "string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
        {"messages": [_USER], "response_format": _chat_format(_CLOSED, name="my_order-2")},
    ),
    Case(
        openai_chat.response_format_name_fits_the_pattern,
        "gpt-4o-mini",
        {"messages": [_USER], "response_format": _chat_format(_CLOSED, name="n" * 65)},
        "Invalid 'response_format.json_schema.name': string too long. Expected a string with "
        "maximum length 64, but got a string with length 65 instead.",
        {"messages": [_USER], "response_format": _chat_format(_CLOSED, name="n" * 64)},
    ),
    Case(
        openai_chat.strict_response_format_fits_the_strict_subset,
        "gpt-4o-mini",
        {"messages": [_USER], "response_format": _chat_format(_open(_CLOSED))},
        "Invalid schema for response_format 'Order': In context=(), 'additionalProperties' is "
        "required to be supplied and to be false.",
        {"messages": [_USER], "response_format": _chat_format(_CLOSED)},
    ),
    Case(
        openai_chat.strict_response_format_fits_the_strict_subset,
        "gpt-4o-mini",
        {
            "messages": [_USER],
            "response_format": _chat_format(_CLOSED, strict=True, optional="note"),
        },
        "Invalid schema for response_format 'Order': In context=('properties', 'items', 'items'), "
        "'required' is required to be supplied and to be an array including every key in "
        "properties. Missing 'note'.",
        {
            "messages": [_USER],
            "response_format": _chat_format(_CLOSED, strict=False, optional="note"),
        },
    ),
    Case(
        openai_chat.strict_response_format_fits_the_strict_subset,
        "gpt-4o-mini",
        {"messages": [_USER], "response_format": _chat_format(_ITEM_LIST)},
        "Invalid schema for response_format 'Order': schema must be a JSON Schema of "
        "'type: \"object\"', got 'type: \"array\"'.",
        {"messages": [_USER], "response_format": _chat_format(_ITEM_LIST, strict=False)},
    ),
    Case(
        openai_chat.strict_response_format_fits_the_strict_subset,
        "gpt-4o-mini",
        {"messages": [_USER], "response_format": _chat_format(_with_keyword("uniqueItems"))},
        "Invalid schema for response_format 'Order': In context=('properties', 'items'), "
        "'uniqueItems' is not permitted.",
        {"messages": [_USER], "response_format": _chat_format(_CLOSED)},
    ),
    Case(
        openai_responses.text_format_name_fits_the_pattern,
        "gpt-5.5",
        {"input": "Hi", "text": {"format": _responses_format(_CLOSED, name="Order.v2")}},
        "Invalid 'text.format.name': string does not match pattern.",
        {"input": "Hi", "text": {"format": _responses_format(_CLOSED, name="Order_v2")}},
    ),
    Case(
        openai_responses.strict_text_format_fits_the_strict_subset,
        "gpt-5.5",
        {"input": "Hi", "text": {"format": _responses_format(_open(_CLOSED, at="items"))}},
        "Invalid schema for response_format 'Order': In context=('properties', 'items', 'items'), "
        "'additionalProperties' is required to be supplied and to be false.",
        {"input": "Hi", "text": {"format": _responses_format(_CLOSED)}},
    ),
    Case(
        anthropic.output_format_objects_are_closed,
        "claude-sonnet-4-5",
        _claude(output_config={"format": {"type": "json_schema", "schema": _open(_CLOSED)}}),
        "output_config.format.schema: For 'object' type, 'additionalProperties' must be "
        "explicitly set to false",
        _claude(output_config={"format": {"type": "json_schema", "schema": _CLOSED}}),
    ),
    Case(
        anthropic.output_format_objects_are_closed,
        "claude-sonnet-4-5",
        _claude(
            output_config={
                "format": {"type": "json_schema", "schema": _open(_CLOSED, at="items", extra=True)}
            }
        ),
        "output_config.format.schema: For 'object' type, 'additionalProperties: true' is not "
        "supported. Please set 'additionalProperties' to false",
        _claude(output_config={"format": {"type": "json_schema", "schema": _CLOSED}}),
    ),
    Case(
        gemini.response_schema_needs_the_json_mime_type,
        "gemini-2.5-flash",
        {"contents": [_GEMINI_TOOL_TURN[0]], "generationConfig": {"responseJsonSchema": _CLOSED}},
        "generation_config.response_json_schema: only supported with response_mime_type "
        "application/json",
        {
            "contents": [_GEMINI_TOOL_TURN[0]],
            "generationConfig": {
                "responseJsonSchema": _CLOSED,
                "responseMimeType": "application/json",
            },
        },
    ),
    Case(
        gemini.response_schema_needs_the_json_mime_type,
        "gemini-2.5-flash",
        {
            "contents": [_GEMINI_TOOL_TURN[0]],
            "generation_config": {
                "response_schema": {"type": "OBJECT"},
                "response_mime_type": "text/plain",
            },
        },
        "generation_config.response_schema: only supported with response_mime_type",
        {
            "contents": [_GEMINI_TOOL_TURN[0]],
            "generation_config": {
                "response_schema": {"type": "OBJECT"},
                "response_mime_type": "application/json",
            },
        },
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_each_rule_refuses_a_real_shaped_body_and_accepts_it_put_right(case: Case) -> None:
    refusal = case.rule(copy.deepcopy(case.refused), case.model)
    assert refusal is not None and case.says in refusal.message
    assert case.rule(copy.deepcopy(case.accepted), case.model) is None


def test_every_rule_has_a_refusing_case_and_runs_in_its_wire() -> None:
    tested = {case.rule for case in CASES}
    for module, wires in (
        (openai_chat, ("openai",)),
        (openai_responses, ("openai-responses",)),
        (anthropic, ("anthropic",)),
        (gemini, ("gemini", "gemini-json")),
    ):
        rules = [getattr(module, name) for name in module.__all__ if name != "RULES"]
        rules = [
            rule for rule in rules if list(inspect.signature(rule).parameters) == ["body", "model"]
        ]
        assert set(rules) == set(module.RULES) <= tested
        assert all(tuple(PROVIDER_RULES[wire]) == module.RULES for wire in wires)
        assert all(BUILTIN_RULES[wire] == (SCHEMA_RULES[wire], *module.RULES) for wire in wires)


@pytest.mark.parametrize(
    ("rule", "models", "others"),
    [
        (
            anthropic.sampling_parameters_are_refused_by_new_models,
            ["claude-opus-4-7", "claude-opus-4-8-20260601", "claude-opus-5", "claude-mythos-1",
             "claude-opus-4-7@20260416"],
            ["claude-opus-4-6", "claude-opus-4-20250514", "claude-opus-4-1-20250805",
             "claude-sonnet-4-6", "claude-haiku-4-5"],
        ),
        (
            openai_chat.reasoning_models_refuse_max_tokens,
            ["o1", "o3-mini", "o4-mini", "gpt-5", "gpt-5.2-pro"],
            ["gpt-4o", "gpt-4.1-mini", "gpt-5-chat-latest", "overloaded", "basic"],
        ),
        (
            gemini.gemini_3_function_calls_carry_thought_signatures,
            ["gemini-3-flash-preview", "gemini-3.1-pro-preview", "models/gemini-4-argon"],
            ["gemini-2.5-flash", "gemini-flash-latest", "gemini-exp-1206"],
        ),
    ],
)  # fmt: skip
def test_model_rules_know_which_models_they_stand_for(
    rule: Rule, models: list[str], others: list[str]
) -> None:
    case = next(case for case in CASES if case.rule is rule)
    for model in models:
        assert rule(copy.deepcopy(case.refused), model) is not None, model
    for model in others:
        assert rule(copy.deepcopy(case.refused), model) is None, model


def test_gemini_3_checks_the_current_turn_and_the_first_of_parallel_calls() -> None:
    rule = gemini.gemini_3_function_calls_carry_thought_signatures
    unsigned = {"role": "model", "parts": [_FUNCTION_CALL]}
    earlier_turn = [_GEMINI_TOOL_TURN[0], unsigned, _GEMINI_TOOL_TURN[2]]
    then = [{"role": "model", "parts": [{"text": "15"}]}, _GEMINI_TOOL_TURN[0]]
    assert rule({"contents": [*earlier_turn, *then]}, "gemini-3-flash-preview") is None
    parallel = {"role": "model", "parts": [_GEMINI_TOOL_TURN[1]["parts"][1], _FUNCTION_CALL]}
    two_answers = {"role": "user", "parts": [_FUNCTION_RESPONSE, _FUNCTION_RESPONSE]}
    body = {"contents": [_GEMINI_TOOL_TURN[0], parallel, two_answers]}
    assert first_refusal(BUILTIN_RULES["gemini"], body, "gemini-3-flash-preview") is None


def test_gpt_5_1_takes_a_temperature_with_reasoning_effort_none() -> None:
    chat = openai_chat.reasoning_models_take_only_the_default_temperature
    responses = openai_responses.reasoning_models_take_only_the_default_temperature
    assert chat({"temperature": 0.2, "reasoning_effort": "none"}, "gpt-5.1") is None
    assert chat({"temperature": 0.2, "reasoning_effort": "low"}, "gpt-5.1") is not None
    assert chat({"temperature": 0.2, "reasoning_effort": "none"}, "gpt-5") is not None
    assert responses({"temperature": 0.2, "reasoning": {"effort": "none"}}, "gpt-5.2") is None


def test_every_request_the_real_apis_accepted_passes_the_rules() -> None:
    wire = {"openai_chat": "openai", "openai_responses": "openai-responses",
            "anthropic": "anthropic", "gemini_json": "gemini-json"}  # fmt: skip
    entries = real_streams.entries()
    assert len(entries) == 55
    for entry in entries:
        body = entry["request"]
        model = body.get("model") or entry["uri"].split("/models/")[1].split(":")[0]
        refusal = first_refusal(BUILTIN_RULES[wire[entry["api"]]], body, model)
        assert refusal is None, (entry["id"], refusal)


def test_rules_run_in_order_and_a_first_rule_can_be_put_before_them() -> None:
    def schema(body: Body, model: str) -> Refusal | None:
        return Refusal("schema says no") if "messages" not in body else None

    rules = with_first(PROVIDER_RULES, {"anthropic": schema})
    assert rules["anthropic"] == (schema, *anthropic.RULES)
    assert rules["gemini"] == gemini.RULES
    body = _claude(thinking=_THINKING_ON, temperature=0.5, top_k=5)
    refusal = first_refusal(rules["anthropic"], body, "claude-opus-4-7")
    assert refusal == Refusal("`temperature` is deprecated for this model.")
    assert first_refusal(rules["anthropic"], {"model": "x"}, "x") == Refusal("schema says no")
    assert first_refusal(rules["anthropic"], [body], "x") is None  # not an object: schema's


# -- over HTTP -----------------------------------------------------------------------------------

_WIRE_PATHS = {
    "openai": "/v1/chat/completions",
    "anthropic": "/v1/messages",
    "gemini": "/v1beta/models/gemini-3-pro:streamGenerateContent?alt=sse",
    "gemini-json": "/v1beta/models/gemini-3-pro:streamGenerateContent",
}


@pytest.mark.parametrize("wire", list(_WIRE_PATHS))
async def test_a_refusal_is_the_providers_own_400_body(no_leaks: None, wire: str) -> None:
    bodies: dict[str, Body] = {
        "openai": {"model": "o3-mini", "messages": [_USER], "max_tokens": 5},
        "anthropic": {"model": "claude-opus-4-7", "messages": [_USER], "max_tokens": 9, "top_k": 5},
        "gemini": {"contents": [_GEMINI_TOOL_TURN[0], {"role": "model", "parts": [_FUNCTION_CALL]},
                                _GEMINI_TOOL_TURN[2]]},
    }  # fmt: skip
    scenarios = [Scenario(name) for name in ("o3-mini", "claude-opus-4-7", "gemini-3-pro")]
    async with Emulator(scenarios) as emulator, aiohttp.ClientSession() as session:
        headers = {
            "authorization": f"Bearer {emulator.api_key}",
            "x-api-key": emulator.api_key or "",
            "x-goog-api-key": emulator.api_key or "",
            "anthropic-version": "2023-06-01",
        }
        body = bodies[wire.removesuffix("-json")]
        async with session.post(emulator.url + _WIRE_PATHS[wire], json=body, headers=headers) as r:
            status, reply = r.status, json.loads(await r.read())
    assert status == 400
    if wire == "openai":
        assert reply == {"error": {
            "message": "Unsupported parameter: 'max_tokens' is not supported with this model. "
                       "Use 'max_completion_tokens' instead.",
            "type": "invalid_request_error", "param": "max_tokens", "code": "unsupported_parameter",
        }}  # fmt: skip
    elif wire == "anthropic":
        assert reply["type"] == "error" and reply["request_id"].startswith("req_")
        error = {
            "type": "invalid_request_error",
            "message": "`top_k` is deprecated for this model.",
        }
        assert reply["error"] == error
    else:
        error = reply[0]["error"] if wire == "gemini-json" else reply["error"]
        assert (error["code"], error["status"]) == (400, "INVALID_ARGUMENT")
        assert "default_api:multiply` , position 2" in error["message"]


_REFUSED_REQUESTS: list[tuple[str, LLMRequest, str]] = [
    ("openai", LLMRequest(model="o3-mini", messages=parse_messages([{"role": "user", "content": "Hi"}]),
                              max_tokens=5), "'max_tokens' is not supported with this model"),
    ("openai-responses", LLMRequest(model="o4-mini", messages=parse_messages([
        {"role": "user", "content": "Hi"},
        {"role": "tool", "tool_call_id": "call_9", "content": "1"}])),
     "No tool call found for function call output with call_id call_9."),
    ("anthropic", LLMRequest(model="claude-opus-4-7", messages=parse_messages([
        {"role": "user", "content": "Hi"},
        {"role": "tool", "tool_call_id": "toolu_9", "content": "1"}])),
     "unexpected `tool_use_id` found in `tool_result` blocks: toolu_9."),
    ("gemini", LLMRequest(model="gemini-3-pro", messages=parse_messages([
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "", "tool_calls": [{"id": "c1", "name": "f"}]},
        {"role": "tool", "tool_call_id": "c1", "name": "f", "content": "1"}])),
     "Function call is missing a thought_signature"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("provider", "request_", "says"),
    _REFUSED_REQUESTS,
    ids=[r[0] for r in _REFUSED_REQUESTS],
)
async def test_the_adapters_raise_a_refusal_as_bad_request_without_retrying(
    no_leaks: None, provider: str, request_: LLMRequest, says: str
) -> None:
    scenarios = [Scenario(request_.model or "", text=("Hello",))]
    async with Emulator(scenarios) as emulator:
        async with LLMClient(
            provider=provider,
            base_url=emulator.base_url(provider),
            api_key=emulator.api_key,
            model=request_.model,
            max_retries=3,
        ) as client:
            with pytest.raises(BadRequestError) as caught:
                await client.call(request_)
        assert len(emulator.requests) == 1  # a 400 is never retried
        accepted = Emulator(scenarios, rules={})
        async with (
            accepted,
            LLMClient(
                provider=provider,
                base_url=accepted.base_url(provider),
                api_key=accepted.api_key,
                model=request_.model,
            ) as client,
        ):
            assert (await client.call(request_)).text == "Hello"  # the same, with no rules
    assert caught.value.status_code == 400
    assert says in caught.value.message


# -- what rillet's own builders send, turn after turn -------------------------------------------

_STRICT_MODELS = {
    "openai": "gpt-5-mini",
    "openai-responses": "gpt-5.5",
    "anthropic": "claude-sonnet-4-5",
    "gemini": "gemini-3-flash-preview",
    "gemini-json": "gemini-3-flash-preview",
}


_REASONING: dict[str, dict[str, Any]] = {"anthropic": {"budget_tokens": 1024}}  # no effort on 4.5


@pytest.mark.parametrize(("provider", "options", "wire"), CLIENTS, ids=[w for *_, w in CLIENTS])
async def test_an_agent_turn_after_tool_calls_with_reasoning_passes_every_rule(
    no_leaks: None, provider: str, options: dict[str, Any], wire: str
) -> None:
    """The second request replays reasoning (signatures, encrypted content and ids) and answers
    two parallel calls: the rules of the strictest models accept it."""
    model = _STRICT_MODELS[wire]
    scenario = Scenario(
        model,
        text=("Let me look.",),
        reasoning=("Two lookups.",),
        reasoning_signature=_SIGNATURE,
        tool_calls=(ToolCallSpec("lookup", {"q": "a"}), ToolCallSpec("lookup", {"q": "b"})),
        finish="tool_calls",
    )

    def lookup(q: str) -> str:
        """Look ``q`` up."""
        return q.upper()

    async with (
        Emulator([scenario]) as emulator,
        LLMClient(
            provider=provider,
            base_url=emulator.base_url(provider),
            api_key=emulator.api_key,
            model=model,
            options=options,
        ) as client,
    ):
        runtime = (
            RuntimeBuilder()
            .with_client(client)
            .with_tools(lookup)
            .with_max_steps(2)
            .with_request_fields(reasoning=_REASONING.get(wire, {"effort": "low"}), temperature=1)
            .build()
        )
        with pytest.raises(MaxStepsExceededError):
            await runtime.run("Look a and b up.")
        statuses = [request.reply.status for request in emulator.requests]
        replayed = emulator.requests[1].body
    assert statuses == [200, 200]
    # the reasoning went back (Chat Completions has none to send), and was accepted
    assert (_SIGNATURE.encode() in replayed) is (wire != "openai")

"""What OpenAI Chat Completions (``POST /v1/chat/completions``) refuses.

From the API reference (platform.openai.com/docs/api-reference/chat/create: ``tool`` messages
answer ``tool_call_id``; ``max_tokens`` "is not compatible with o-series models") and the
reasoning guide (platform.openai.com/docs/guides/reasoning), the structured outputs guide
(platform.openai.com/docs/guides/structured-outputs: a strict schema's subset); the messages are the API's own,
as its users report them. The emulator stands for OpenAI itself: compatible servers that take
``max_tokens`` for any model are not what it plays.
"""

from __future__ import annotations

import re
from typing import Any

from rillet.emulator.rules._json_schema import openai_name_refusal, openai_strict_refusal
from rillet.emulator.rules._refusal import Refusal, Rule, indexed, mapping

__all__ = [
    "RULES",
    "is_reasoning_model",
    "reasoning_models_refuse_max_tokens",
    "reasoning_models_take_only_the_default_temperature",
    "refused_temperature",
    "response_format_name_fits_the_pattern",
    "strict_response_format_fits_the_strict_subset",
    "tool_calls_are_all_answered",
    "tool_messages_answer_a_preceding_call",
]

# o1, o3-mini, o4-mini, gpt-5, gpt-5.2-pro, ...; not gpt-5-chat-latest (no reasoning)
_REASONING = re.compile(r"^(o\d|gpt-5)(?!.*-chat)")
_GPT5_POINT = re.compile(r"^gpt-5\.(\d+)")


def is_reasoning_model(model: str) -> bool:
    """An OpenAI reasoning model: the ``o`` series and ``gpt-5*`` (bar the ``-chat`` ones)."""
    return _REASONING.match(model) is not None


def refused_temperature(body: dict[str, Any], model: str, effort: object) -> object:
    """The body's ``temperature`` when ``model`` refuses it, else None: reasoning models take
    only the default 1, but GPT-5.1 and later take any with reasoning effort ``none`` (the
    GPT-5.1 and 5.2 guides)."""
    temperature = body.get("temperature")
    if temperature is None or temperature == 1 or not is_reasoning_model(model):
        return None
    point = _GPT5_POINT.match(model)
    if point is not None and int(point.group(1)) >= 1 and effort == "none":
        return None
    return temperature


def tool_messages_answer_a_preceding_call(body: dict[str, Any], model: str) -> Refusal | None:
    """A ``tool`` message answers one of the ``tool_calls`` of the assistant message before
    it (other tool messages in between), by its ``tool_call_id``."""
    messages = body.get("messages")
    calls: list[str] | None = None  # the open assistant message's call ids
    for index, message in indexed(messages):
        role = message.get("role")
        if role != "tool":
            calls = _call_ids(message) if role == "assistant" else None
            continue
        if not calls:
            return Refusal(
                "Invalid parameter: messages with role 'tool' must be a response to a "
                "preceeding message with 'tool_calls'.",
                param=f"messages.[{index}].role",
            )
        call_id = message.get("tool_call_id")
        if call_id not in calls:
            return Refusal(
                f"Invalid parameter: 'tool_call_id' of '{call_id}' not found in 'tool_calls' "
                "of previous message.",
                param=f"messages.[{index}].tool_call_id",
            )
    return None


def tool_calls_are_all_answered(body: dict[str, Any], model: str) -> Refusal | None:
    """Every call of an assistant message is answered by the ``tool`` messages right after."""
    messages = indexed(body.get("messages"))
    for position, (index, message) in enumerate(messages):
        if message.get("role") != "assistant":
            continue
        missing = _call_ids(message)
        for _, answer in messages[position + 1 :]:
            if answer.get("role") != "tool":
                break
            if answer.get("tool_call_id") in missing:
                missing.remove(answer["tool_call_id"])
        if missing:
            return Refusal(
                "An assistant message with 'tool_calls' must be followed by tool messages "
                "responding to each 'tool_call_id'. The following tool_call_ids did not have "
                f"response messages: {', '.join(missing)}",
                param=f"messages.[{index}].role",
            )
    return None


def reasoning_models_refuse_max_tokens(body: dict[str, Any], model: str) -> Refusal | None:
    """Reasoning models take ``max_completion_tokens``; ``max_tokens`` is refused."""
    if "max_tokens" not in body or body["max_tokens"] is None or not is_reasoning_model(model):
        return None
    return Refusal(
        "Unsupported parameter: 'max_tokens' is not supported with this model. Use "
        "'max_completion_tokens' instead.",
        param="max_tokens",
        code="unsupported_parameter",
    )


def reasoning_models_take_only_the_default_temperature(
    body: dict[str, Any], model: str
) -> Refusal | None:
    """Reasoning models refuse a ``temperature`` other than the default 1."""
    temperature = refused_temperature(body, model, body.get("reasoning_effort"))
    if temperature is None:
        return None
    return Refusal(
        f"Unsupported value: 'temperature' does not support {temperature} with this model. "
        "Only the default (1) value is supported.",
        param="temperature",
        code="unsupported_value",
    )


def response_format_name_fits_the_pattern(body: dict[str, Any], model: str) -> Refusal | None:
    """A ``json_schema`` response format's ``name`` matches ``^[a-zA-Z0-9_-]{1,64}$``."""
    spec = _json_schema_format(body)
    return openai_name_refusal(spec.get("name"), "response_format.json_schema.name")


def strict_response_format_fits_the_strict_subset(
    body: dict[str, Any], model: str
) -> Refusal | None:
    """A strict ``json_schema`` response format's schema is in the strict subset (structured
    outputs guide: an object root, every object closed and all its properties required, no
    keyword strict mode refuses)."""
    spec = _json_schema_format(body)
    if spec.get("strict") is not True:
        return None
    return openai_strict_refusal(spec.get("schema"), spec.get("name"), "response_format")


def _json_schema_format(body: dict[str, Any]) -> dict[str, Any]:
    response_format = mapping(body.get("response_format"))
    if response_format.get("type") != "json_schema":
        return {}
    return mapping(response_format.get("json_schema"))


def _call_ids(message: dict[str, Any]) -> list[str]:
    """The ids of an assistant message's ``tool_calls``, in order."""
    calls = indexed(message.get("tool_calls"))
    return [call["id"] for _, call in calls if isinstance(call.get("id"), str)]


RULES: tuple[Rule, ...] = (
    tool_messages_answer_a_preceding_call,
    tool_calls_are_all_answered,
    reasoning_models_refuse_max_tokens,
    reasoning_models_take_only_the_default_temperature,
    response_format_name_fits_the_pattern,
    strict_response_format_fits_the_strict_subset,
)

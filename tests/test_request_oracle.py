"""The request oracle of ``tests/_request_oracle.py``: it accepts what the built-in adapters
build, and it can fail: a misspelt or wrong-typed field is refused, naming its place and the
official SDK type."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from types import SimpleNamespace
from typing import Any, cast

import conftest
import pytest
from _request_oracle import FAULTS, VALIDATED, RequestOracleError, check_body, wire_format

from rillet.protocol import LLMRequest
from rillet.providers._http_adapter import HTTPAdapter
from rillet.providers.anthropic import AnthropicAdapter
from rillet.providers.bedrock import BedrockAdapter
from rillet.providers.gemini import GeminiAdapter
from rillet.providers.openai_chat import OpenAIChatAdapter
from rillet.providers.openai_responses import OpenAIResponsesAdapter

Body = dict[str, Any]

_SIGNATURE = "c2lnbmVkIHRob3VnaHQ="  # base64, as real signatures are
_TOOL = {
    "name": "look",
    "description": "Look something up",
    "parameters": {
        "type": "object",
        "properties": {"q": {"type": "string"}, "n": {"type": "integer"}},
        "required": ["q"],
    },
}


def _conversation(wire: str) -> LLMRequest:
    """Every kind of message, part and option the adapter of ``wire`` takes together."""
    provider = {"openai-chat": "openai"}.get(wire, wire)
    reasoning: dict[str, Any] = {"text": "hmm", "signature": _SIGNATURE, "provider": provider}
    if wire == "openai-responses":
        reasoning = {"id": "rs_1", "encrypted_content": "ENC", "provider": provider}
    image = {"type": "image", "data": "iVBORw0KGgo=", "media_type": "image/png"}
    linked = {"type": "image", "url": "https://example.com/p.jpg", "media_type": "image/jpeg"}
    calls = [
        {"id": "call_1", "name": "look", "arguments": {"q": "p"}, "signature": _SIGNATURE},
        {"id": "call_2", "name": "look", "arguments": {"q": "r", "n": 2}},
    ]
    parts = [{"type": "text", "text": "What is this?"}, image, linked]
    if wire == "bedrock":  # Converse takes no image URL
        parts.pop()
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": parts},
        {"role": "assistant", "content": "Looking.", "reasoning": [reasoning], "tool_calls": calls},
        {"role": "tool", "tool_call_id": "call_1", "content": '{"found": "a pelican"}'},
        {"role": "tool", "tool_call_id": "call_2", "content": "timed out", "is_error": True},
        {"role": "assistant", "content": "A pelican."},
        {"role": "user", "content": "Thanks"},
    ]
    options: dict[str, Any] = {"max_tokens": 2000, "tools": [_TOOL], "tool_choice": "look"}
    if wire == "anthropic":  # thinking on: no sampling parameters, no forced tool with it
        options.update(reasoning={"budget_tokens": 1024}, tool_choice="auto")
        options["stop"] = ["END"]
    elif wire == "bedrock":  # reasoning is Claude's own setting, not for "test-model"
        options.update(temperature=0.5, top_p=0.9, stop=["END"])
    elif wire == "openai-responses":  # no stop sequences in this API
        options.update(reasoning={"effort": "low"}, temperature=0.5, top_p=0.9)
    else:
        options.update(reasoning={"effort": "low"}, temperature=0.5, top_p=0.9, stop=["END"])
    return LLMRequest.model_validate({"model": "test-model", "messages": messages, **options})


_ADAPTERS: dict[str, Callable[..., HTTPAdapter]] = {
    "openai-chat": OpenAIChatAdapter,
    "openai-responses": OpenAIResponsesAdapter,
    "anthropic": AnthropicAdapter,
    "gemini": GeminiAdapter,
    "bedrock": partial(BedrockAdapter, region="us-east-1"),
}


def _body(wire: str) -> Body:
    adapter = _ADAPTERS[wire](api_key="k")
    body: Body = json.loads(adapter.encode(_conversation(wire)))
    return body


@pytest.mark.parametrize("wire", sorted(_ADAPTERS))
def test_a_whole_conversation_fits_the_sdk_type(wire: str) -> None:
    assert wire_format(_ADAPTERS[wire](api_key="k")) == wire
    body = _body(wire)  # built and checked (the hook of tests/conftest.py) ...
    before = VALIDATED[wire]
    check_body(wire, body)  # ... and checked once more, counted
    assert VALIDATED[wire] == before + 1


def _set(path: str, value: Any) -> Callable[[Body], None]:
    """Sets the field at a dotted ``path`` (list indexes as numbers)."""

    def change(body: Body) -> None:
        *parents, last = path.split(".")
        place: Any = body
        for key in parents:
            place = place[int(key)] if key.isdigit() else place[key]
        place[int(last) if last.isdigit() else last] = value

    return change


def _rename(path: str, new: str) -> Callable[[Body], None]:
    def change(body: Body) -> None:
        *parents, last = path.split(".")
        place: Any = body
        for key in parents:
            place = place[int(key)] if key.isdigit() else place[key]
        place[new] = place.pop(last)

    return change


_REFUSED = [
    # wire, change, what the message names
    ("openai-chat", _set("max_tokens", "100"), 'max_tokens: "100" fits none of int'),
    ("openai-chat", _rename("stream_options", "stream_option"), "stream_option: Completion"),
    ("openai-chat", _set("messages.1.content.1.type", "image"), "messages[1].content[1]"),
    ("openai-chat", _set("tools.0.function.parameters", []), "tools[0].function.parameters"),
    ("openai-chat", _set("stream", False), "stream: False is not one of True"),
    ("openai-responses", _rename("input.5.call_id", "callid"), "input[5]"),
    ("openai-responses", _set("include", ["reasoning.plain"]), "include[0]: 'reasoning.plain'"),
    ("openai-responses", _set("input.3.content.0.type", "input_text"), "input[3].content[0].type"),
    ("openai-responses", _set("tools.0.strict", "no"), "tools[0]"),
    ("anthropic", _rename("messages.0.content.0.text", "txt"), "messages[0].content[0]"),
    ("anthropic", _set("tool_choice", {"type": "some"}), "tool_choice"),
    ("anthropic", _set("thinking.budget_tokens", 1024.5), "thinking"),
    ("anthropic", _set("temperature", "warm"), "temperature: 'warm' is not a number"),
    ("anthropic", _set("thinking.temperature", 1), "thinking"),
    ("anthropic", _set("top_k", 2.5), "top_k: 2.5 is not an integer"),
    ("anthropic", _set("temprature", 0.5), "temprature: MessageCreateParamsStreaming has no"),
    ("gemini", _rename("generationConfig.maxOutputTokens", "max_output_tokens"), "max_output"),
    ("gemini", _rename("contents.0.parts.0.text", "txt"), "contents.0.parts.0.txt"),
    ("gemini", _set("contents.1.parts.1.thoughtSignature", "sig-1"), "valid base64"),
    ("gemini", _set("tools.0.functionDeclarations.0.parameters.type", "objec"), "not a valid"),
    ("gemini", _set("generationConfig.temperature", "0.5"), "generationConfig.temperature"),
    ("bedrock", _rename("messages.0.content.0.text", "txt"), "Unknown parameter in messages[0]"),
    ("bedrock", _set("inferenceConfig.maxTokens", "100"), "inferenceConfig.maxTokens"),
    ("bedrock", _set("toolConfig.toolChoice", {"some": {}}), "toolConfig.toolChoice"),
    (
        "bedrock",
        _set("messages.1.content.0.reasoningContent.reasoningText.signature", 5),
        "signature",
    ),
]


@pytest.mark.parametrize(("wire", "change", "named"), _REFUSED)
def test_a_misspelt_or_wrong_typed_field_is_refused(
    wire: str, change: Callable[[Body], None], named: str
) -> None:
    body = _body(wire)
    check_body(wire, body)  # the real body fits; only the change below makes it fail
    change(body)
    with pytest.raises(RequestOracleError) as refused:
        check_body(wire, body)
    message = str(refused.value)
    assert named in message
    sdk_type = {"gemini": "google-genai", "bedrock": "botocore"}.get(wire, wire.split("-")[0])
    assert f"the {wire} request body does not fit the official SDK's {sdk_type}" in message


def test_the_anthropic_sampling_exemption_is_for_the_top_level_only() -> None:
    """The SDK types no longer name ``temperature``/``top_p``/``top_k`` (older models take
    them): allowed at the top of the body, with their types, and nowhere else."""
    body = _body("anthropic")
    body.update(temperature=1, top_p=0.5, top_k=3)
    check_body("anthropic", body)
    body["tools"][0]["top_k"] = 3
    with pytest.raises(RequestOracleError, match=r"tools\[0\]"):
        check_body("anthropic", body)


def test_every_body_an_adapter_encodes_in_a_test_is_checked(
    request: pytest.FixtureRequest,
) -> None:
    adapter = OpenAIChatAdapter(api_key="k")
    misspelt = _conversation("openai-chat").model_copy(
        update={"provider_options": {"max_token": 5}}
    )
    with pytest.raises(RequestOracleError, match="max_token: CompletionCreateParamsStreaming"):
        adapter.encode(misspelt)
    faults = request.node.stash[FAULTS]
    assert len(faults) == 1  # kept, so that it fails the test even if the code swallowed it
    faults.clear()


@pytest.mark.request_oracle_off(reason="shows that a marked test may build refused bodies")
def test_a_marked_test_is_not_checked() -> None:
    adapter = OpenAIChatAdapter(api_key="k")
    misspelt = _conversation("openai-chat").model_copy(
        update={"provider_options": {"max_token": 5}}
    )
    assert json.loads(adapter.encode(misspelt))["max_token"] == 5


def test_a_refusal_the_code_swallowed_still_fails_the_test() -> None:
    """An agent may turn the error into an event and a test may pass on: the refusal kept in
    the test's stash fails it after its call (the hook of ``tests/conftest.py``)."""
    item = SimpleNamespace(stash=pytest.Stash())
    fault = RequestOracleError("refused")
    item.stash[FAULTS] = [fault]
    call = conftest.pytest_runtest_call(cast(pytest.Item, item))
    next(call)
    with pytest.raises(RequestOracleError) as raised:
        call.send(None)
    assert raised.value is fault
    item.stash[FAULTS] = []
    passing = conftest.pytest_runtest_call(cast(pytest.Item, item))
    next(passing)
    with pytest.raises(StopIteration):
        passing.send(None)

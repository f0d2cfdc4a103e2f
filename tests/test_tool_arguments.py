"""Tool-call arguments: the one parsing rule, every invalid call of a response reported at once,
and the same rule where requests send the calls back."""

from __future__ import annotations

from typing import Any

import pytest

from rillet import (
    FinishReason,
    InvalidToolArgumentsError,
    InvalidToolCall,
    LLMClient,
    LLMRequest,
    MockAdapter,
    MockResponse,
    StartChunk,
    StopChunk,
    StreamChunk,
    StreamingLLMResponse,
    ToolCall,
    ToolCallChunk,
    ToolCallStartChunk,
)
from rillet._tool_arguments import arguments_to_send, parse_tool_arguments
from rillet.providers.anthropic._request import build_body as anthropic_body
from rillet.providers.gemini._request import build_body as gemini_body

# -- the rule -----------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["", "   ", "\n\t \r\n"])
def test_empty_or_whitespace_only_text_means_no_arguments(raw: str) -> None:
    assert parse_tool_arguments(raw) == {}


def test_an_object_is_parsed_and_its_last_repeated_key_wins() -> None:
    assert parse_tool_arguments(' {"a": [1, 2.5], "b": {"c": null}, "a": "x"} ') == {
        "a": "x",
        "b": {"c": None},
    }


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("[1, 2]", "a JSON array, not an object"),
        ("42", "a JSON number, not an object"),
        ("-0.5", "a JSON number, not an object"),
        ('"text"', "a JSON string, not an object"),
        ("true", "a JSON boolean, not an object"),
        ("null", "JSON null, not an object"),
        ('{"a": 1', "not valid JSON: Expecting ',' delimiter at line 1 column 8"),
        ("{'a': 1}", "not valid JSON: Expecting property name enclosed in double quotes"),
        ('{"a": 1} {}', "not valid JSON: Extra data at line 1 column 10"),
        ('{"a": NaN}', "not valid JSON: NaN is not a JSON number"),
        ('{"a": Infinity}', "not valid JSON: Infinity is not a JSON number"),
        ('{"a": -Infinity}', "not valid JSON: -Infinity is not a JSON number"),
        ('{"a": 1e999}', "not valid JSON: 1e999 is too large for a number"),
        ('{"a": ' * 100_000, "not valid JSON: nested too deeply to read"),
    ],
)
def test_anything_else_must_be_a_json_object(raw: str, reason: str) -> None:
    with pytest.raises(InvalidToolArgumentsError) as caught:
        parse_tool_arguments(raw)
    assert caught.value.message.startswith(reason)
    assert caught.value.raw_arguments == raw


@pytest.mark.parametrize(
    ("call", "sent"),
    [
        (ToolCall(id="c", name="f", arguments={"a": 1}, raw_arguments='{"a": 2}'), {"a": 1}),
        (ToolCall(id="c", name="f", raw_arguments='{"a": 2}'), {"a": 2}),
        (ToolCall(id="c", name="f", raw_arguments="  "), {}),
        (ToolCall(id="c", name="f", raw_arguments="[1]"), {}),
        (ToolCall(id="c", name="f", raw_arguments='{"a": NaN}'), {}),
    ],
)
def test_requests_send_back_the_arguments_by_the_same_rule(
    call: ToolCall, sent: dict[str, Any]
) -> None:
    assert arguments_to_send(call) == sent
    assistant = {"role": "assistant", "content": "", "tool_calls": [call.model_dump()]}
    request = {"messages": [{"role": "user", "content": "hi"}, assistant]}
    anthropic: dict[str, Any] = dict(
        anthropic_body(LLMRequest.model_validate({"model": "m", **request}))
    )
    gemini: dict[str, Any] = dict(gemini_body(LLMRequest.model_validate({"model": "m", **request})))
    assert anthropic["messages"][1]["content"][-1]["input"] == sent
    assert gemini["contents"][1]["parts"][-1]["functionCall"]["args"] == sent


# -- a response's calls, through the stream ---------------------------------------------------


def _client(*calls: ToolCall) -> LLMClient:
    return LLMClient(MockAdapter([MockResponse(text="Calling.", tool_calls=list(calls))]))


async def _error_of_stream(client: LLMClient) -> InvalidToolArgumentsError:
    async with client:
        with pytest.raises(InvalidToolArgumentsError) as caught:
            async with client.stream("hi") as stream:
                async for _ in stream:
                    pass
    return caught.value


async def test_whitespace_only_arguments_are_an_empty_object_through_the_stream() -> None:
    async with _client(ToolCall(id="c1", name="now", raw_arguments=" \n ")) as client:
        response = await client.call("hi")
    assert response.tool_calls[0].arguments == {}


@pytest.mark.parametrize(
    ("raw", "kind"), [("[1]", "a JSON array"), ("7", "a JSON number"), ('"x"', "a JSON string")]
)
async def test_a_call_whose_arguments_are_not_an_object_is_reported(raw: str, kind: str) -> None:
    error = await _error_of_stream(_client(ToolCall(id="c1", name="f", raw_arguments=raw)))
    reason = f"{kind}, not an object"
    assert error.invalid_calls == (InvalidToolCall(0, "c1", "f", raw, reason),)
    assert (
        str(error)
        == f"the arguments of 1 tool call are not a JSON object:\n- 'f' (index 0, id 'c1'): {reason}"
    )


async def test_every_invalid_call_is_reported_not_only_the_first() -> None:
    calls = (
        ToolCall(id="c1", name="f", raw_arguments="[1]"),
        ToolCall(id="c2", name="g", raw_arguments='{"x": '),
    )
    error = await _error_of_stream(_client(*calls))
    invalid_json = "not valid JSON: Expecting value at line 1 column 7"
    assert error.invalid_calls == (
        InvalidToolCall(0, "c1", "f", "[1]", "a JSON array, not an object"),
        InvalidToolCall(1, "c2", "g", '{"x": ', invalid_json),
    )
    assert str(error).splitlines() == [
        "the arguments of 2 tool calls are not a JSON object:",
        "- 'f' (index 0, id 'c1'): a JSON array, not an object",
        f"- 'g' (index 1, id 'c2'): {invalid_json}",
    ]
    # the single-call fields still describe the first
    assert (error.tool_name, error.tool_call_id, error.index) == ("f", "c1", 0)
    assert error.raw_arguments == "[1]"
    assert error.partial is not None and error.partial.text == "Calling."
    assert [c.raw_arguments for c in error.partial.tool_calls] == ["[1]", '{"x": ']


async def test_a_valid_call_next_to_an_invalid_one_keeps_its_arguments() -> None:
    calls = (
        ToolCall(id="ok", name="f", arguments={"a": 1}),
        ToolCall(id="bad", name="g", raw_arguments="null"),
    )
    async with _client(*calls) as client:
        with pytest.raises(InvalidToolArgumentsError) as caught:
            await client.call("hi")
    error = caught.value
    assert error.invalid_calls == (
        InvalidToolCall(1, "bad", "g", "null", "JSON null, not an object"),
    )
    assert (error.tool_call_id, error.index) == ("bad", 1)
    assert error.partial is not None
    assert [c.arguments for c in error.partial.tool_calls] == [{"a": 1}, {}]


def test_invalid_calls_are_listed_in_index_order_whatever_order_they_started_in() -> None:
    chunks: list[StreamChunk] = [
        StartChunk(id="r1", model="m", provider="test"),
        ToolCallStartChunk(index=1, id="b", name="g"),
        ToolCallStartChunk(index=0, id="a", name="f"),
        ToolCallChunk(index=0, arguments_delta="[]"),
        ToolCallChunk(index=1, arguments_delta="1"),
        StopChunk(finish_reason=FinishReason.tool_calls),
    ]
    with pytest.raises(InvalidToolArgumentsError) as caught:
        StreamingLLMResponse.from_chunks(chunks)
    assert [(c.index, c.id) for c in caught.value.invalid_calls] == [(0, "a"), (1, "b")]

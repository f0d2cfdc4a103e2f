"""The OpenAI Chat stream mapping on hand-written frames (real streams: ``test_real_streams``).

Each frame is validated into the generated TypedDicts: these pin what that must keep doing, a
wrongly typed field is a typed error, never a silently skipped part.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from rillet import MalformedStreamError, StreamChunk, StreamingLLMResponse
from rillet.protocol import (
    ContentChunk,
    ErrorChunk,
    ErrorCode,
    ReasoningChunk,
    StopChunk,
    ToolCallEndChunk,
    ToolCallStartChunk,
    Usage,
)
from rillet.providers.openai_chat._mapper import ChatMapper
from rillet.transport import Frame


def _chunk(delta: dict[str, Any], **fields: Any) -> Frame:
    body = {"id": "chatcmpl-1", "model": "m", "choices": [{"index": 0, "delta": delta}]}
    return Frame(data=json.dumps({**body, **fields}))


def _map(*frames: Frame) -> list[StreamChunk]:
    mapper = ChatMapper("openai")
    return [chunk for frame in frames for chunk in mapper.feed(frame)] + list(mapper.finish())


def test_error_null_beside_a_delta_is_no_error() -> None:
    chunks = _map(_chunk({"content": "hi"}, error=None), Frame(data="[DONE]"))
    assert [c.type for c in chunks] == ["start", "content", "stop"]


@pytest.mark.parametrize(
    ("error", "code", "retryable"),
    [
        ({"message": "slow down", "type": "rate_limit_error"}, ErrorCode.rate_limit, True),
        ({"message": "busy", "code": 503}, ErrorCode.overloaded, True),
        ("upstream failed", ErrorCode.provider, False),
    ],
)
def test_in_stream_error_ends_the_stream_with_the_raw_body(
    error: Any, code: ErrorCode, retryable: bool
) -> None:
    raw = {"error": error if isinstance(error, str) else {**error, "param": None, "extra": 1}}
    chunks = _map(_chunk({"content": "par"}), Frame(data=json.dumps(raw)))
    last = chunks[-1]
    assert isinstance(last, ErrorChunk)
    assert (last.code, last.retryable) == (code, retryable)
    assert last.provider_error == raw  # as sent, fields the schema does not name included


def test_content_as_a_list_of_parts() -> None:
    thinking = {"type": "thinking", "thinking": [{"type": "text", "text": "hmm"}]}  # Mistral
    parts = [thinking, {"type": "text", "text": "ok"}, {"type": "new_kind"}]
    chunks = _map(_chunk({"content": parts}), Frame(data="[DONE]"))
    texts = [c.text for c in chunks if isinstance(c, ContentChunk)]
    assert texts == ["ok"]
    assert [c.text for c in chunks if isinstance(c, ReasoningChunk)] == ["hmm"]
    assert isinstance(chunks[-1], StopChunk)


@pytest.mark.parametrize(
    "delta",
    [{"content": [{"type": "text", "text": 5}]}, {"content": 5}, {"tool_calls": [{"index": "a"}]}],
)
def test_a_wrongly_typed_known_field_is_a_typed_error(delta: dict[str, Any]) -> None:
    with pytest.raises(MalformedStreamError, match="ChatCompletionChunk"):
        ChatMapper("openai").feed(_chunk(delta))


# -- tool calls: the compatible servers' quirks --------------------------------------------------


def _call(
    index: int | None = None,
    call_id: str | None = None,
    name: str | None = None,
    arguments: str | None = None,
) -> dict[str, Any]:
    """One tool-call delta, with only the fields given (as servers leave fields out)."""
    call: dict[str, Any] = {}
    if index is not None:
        call["index"] = index
    if call_id is not None:
        call.update(id=call_id, type="function")
    function = {
        key: value for key, value in (("name", name), ("arguments", arguments)) if value is not None
    }
    if function:
        call["function"] = function
    return call


def _tool_stream(*calls: dict[str, Any], finish: str = "tool_calls") -> list[StreamChunk]:
    frames = [_chunk({"tool_calls": [call]}) for call in calls]
    end = Frame(data=json.dumps({"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}))
    return _map(*frames, end, Frame(data="[DONE]"))


def _calls(chunks: list[StreamChunk]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (c.id, c.name, c.arguments) for c in StreamingLLMResponse.from_chunks(chunks).tool_calls
    ]


def test_one_id_at_two_indexes_is_two_calls() -> None:
    chunks = _tool_stream(
        _call(0, "call_x", "first", '{"a":1}'),
        _call(1, "call_x", "second", '{"b":2}'),
    )
    assert _calls(chunks) == [("call_x", "first", {"a": 1}), ("call_x", "second", {"b": 2})]


def test_a_new_id_at_an_open_index_is_a_new_call() -> None:
    chunks = _tool_stream(
        _call(0, "call_a", "first", '{"a":'),
        _call(0, None, None, "1}"),
        _call(0, "call_b", "second", '{"b":2}'),
    )
    assert _calls(chunks) == [("call_a", "first", {"a": 1}), ("call_b", "second", {"b": 2})]


def test_index_less_deltas_are_matched_by_id() -> None:
    chunks = _tool_stream(
        _call(0, "call_a", "first", ""),
        _call(1, "call_b", "second", ""),
        _call(None, "call_a", None, '{"a":1}'),
        _call(None, "call_b", None, '{"b":2}'),
    )
    assert _calls(chunks) == [("call_a", "first", {"a": 1}), ("call_b", "second", {"b": 2})]


def test_index_less_deltas_without_id_continue_the_latest_call_unless_renamed() -> None:
    chunks = _tool_stream(
        _call(None, "call_a", "first", '{"a":'),
        _call(None, None, "first", "1}"),  # the name repeated: the same call
        _call(None, None, "second", "{}"),  # another name: a new call
    )
    assert [(name, args) for _, name, args in _calls(chunks)] == [
        ("first", {"a": 1}),
        ("second", {}),
    ]


def test_calls_come_out_in_index_order_whatever_order_they_arrive_in() -> None:
    chunks = _tool_stream(
        _call(1, "call_b", "second", '{"b":2}'),
        _call(0, "call_a", "first", '{"a":1}'),
    )
    assert [c.index for c in chunks if isinstance(c, ToolCallStartChunk)] == [1, 0]
    assert [c.index for c in chunks if isinstance(c, ToolCallEndChunk)] == [0, 1]
    assert [name for _, name, _ in _calls(chunks)] == ["first", "second"]


def test_an_empty_id_continues_the_call_qwen() -> None:
    """DashScope repeats the call with ``id: ""`` in later deltas and at the end of the call."""
    chunks = _tool_stream(
        _call(0, "call_q", "weather", '{"city":'),
        _call(0, "", None, ' "Paris"}'),
        _call(0, "", "", ""),
    )
    assert _calls(chunks) == [("call_q", "weather", {"city": "Paris"})]
    assert [c.type for c in chunks].count("tool_call_start") == 1


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        ({"prompt_tokens": 3}, Usage(input_tokens=3, output_tokens=0)),
        ({"completion_tokens": 5}, Usage(input_tokens=0, output_tokens=5)),
        (
            {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8},
            Usage(input_tokens=3, output_tokens=5, total_tokens=8),
        ),
    ],
)
def test_usage_is_kept_when_a_count_is_missing(usage: dict[str, int], expected: Usage) -> None:
    usage_only = Frame(data=json.dumps({"choices": [], "usage": usage}))
    stop = _map(_chunk({"content": "hi"}), usage_only, Frame(data="[DONE]"))[-1]
    assert isinstance(stop, StopChunk)
    assert stop.usage == expected


@pytest.mark.parametrize("status", [502, 503, 529])
def test_an_upstream_overload_inside_a_compatible_stream_is_overloaded(status: int) -> None:
    error = Frame(
        data=json.dumps({"error": {"message": "Provider returned error", "code": status}})
    )
    last = _map(_chunk({"content": "par"}), error)[-1]
    assert isinstance(last, ErrorChunk)
    assert (last.code, last.retryable, last.status_code) == (ErrorCode.overloaded, True, status)


def test_a_whole_completion_keeps_every_call_and_the_first_choice_only() -> None:
    """Whole tool calls are told apart by position, even with one id; arguments sent as an
    object (a few servers) are kept; content parts are read as in a stream."""
    message = {
        "role": "assistant",
        "content": [
            {"type": "thinking", "thinking": [{"type": "text", "text": "hmm"}]},
            {"type": "text", "text": "Two."},
        ],
        "tool_calls": [
            {"id": "same", "function": {"name": "f", "arguments": {"a": 1}}},
            {"id": "same", "function": {"name": "g", "arguments": '{"b": 2}'}},
            {"function": {"name": "h"}},
        ],
    }
    other = {"index": 1, "message": {"content": "ignored"}, "finish_reason": "stop"}
    body = {
        "object": "chat.completion",
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}, other],
    }
    chunks = _map(Frame(data=json.dumps(body)))
    response = StreamingLLMResponse.from_chunks(chunks)
    assert (response.text, response.reasoning) == ("Two.", "hmm")
    assert [(c.id, c.name, c.arguments) for c in response.tool_calls][:2] == [
        ("same", "f", {"a": 1}),
        ("same", "g", {"b": 2}),
    ]
    assert (response.tool_calls[2].name, response.tool_calls[2].arguments) == ("h", {})
    assert response.tool_calls[2].id  # one is made up when the server sent none

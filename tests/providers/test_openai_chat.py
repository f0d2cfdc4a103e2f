"""The OpenAI Chat stream mapping on hand-written frames (real streams: ``test_real_streams``).

Each frame is validated into the generated TypedDicts: these pin what that must keep doing, a
wrongly typed field is a typed error, never a silently skipped part.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import real_streams

from rillet import (
    MalformedStreamError,
    StreamChunk,
    StreamingLLMResponse,
    StreamInterruptedError,
)
from rillet.protocol import (
    ContentChunk,
    ErrorChunk,
    ErrorCode,
    FinishReason,
    ReasoningChunk,
    StartChunk,
    StopChunk,
    ToolCallChunk,
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


def test_later_chunks_skip_the_fields_nothing_reads_and_check_the_rest() -> None:
    # The id, model, fingerprint and logprobs of a later chunk are not read (the start took the
    # id and model from the first): wrongly typed there, they are ignored, as unknown fields.
    unread = _chunk({"content": " there"}, id=7, model=[], created="now", system_fingerprint=1)
    unread_choice = Frame(
        data=json.dumps(
            {"choices": [{"index": 0, "delta": {"content": "!"}, "logprobs": "x"}], "id": None}
        )
    )
    chunks = _map(_chunk({"content": "hi"}), unread, unread_choice, Frame(data="[DONE]"))
    assert "".join(c.text for c in chunks if isinstance(c, ContentChunk)) == "hi there!"
    assert isinstance(chunks[0], StartChunk) and chunks[0].id == "chatcmpl-1"
    # The same fields are checked in the first chunk, and what is read is checked in any.
    with pytest.raises(MalformedStreamError):
        _map(_chunk({"content": "hi"}, model=[]))
    with pytest.raises(MalformedStreamError):
        _map(_chunk({"content": "hi"}), _chunk({"content": 5}))


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
        "choices": [other, {"index": 0, "message": message, "finish_reason": "tool_calls"}],
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


# -- the real recorded streams --------------------------------------------------------------------


def _assert_contract(chunks: list[StreamChunk]) -> None:
    """A start, one stop at the end, and per call: its start, its argument chunks, its end."""
    kinds = [c.type for c in chunks]
    assert (kinds[0], kinds[-1], kinds.count("stop")) == ("start", "stop", 1)
    tool_chunks = [
        c for c in chunks if isinstance(c, (ToolCallStartChunk, ToolCallChunk, ToolCallEndChunk))
    ]
    for index in {c.index for c in tool_chunks}:
        per_call = [c.type for c in tool_chunks if c.index == index]
        middle = ["tool_call_chunk"] * (len(per_call) - 2)
        assert per_call == ["tool_call_start", *middle, "tool_call_end"]


@pytest.mark.parametrize("entry", real_streams.params("openai_chat"))
def test_real_stream_matches_the_official_sdk(entry: dict[str, Any] | None) -> None:
    frames = real_streams.frames(real_streams.body(entry))
    assert entry is not None
    chunks = _map(*frames)
    _assert_contract(chunks)
    response = StreamingLLMResponse.from_chunks(chunks)
    real_streams.assert_agrees(response, entry["expected"])
    sent = [json.loads(f.data) for f in frames if f.data != "[DONE]"]
    assert (response.id, response.model) == (sent[0]["id"], sent[0]["model"])
    sent_ids = {
        call["id"]
        for event in sent
        for choice in event["choices"]
        for call in choice["delta"].get("tool_calls") or ()
        if call.get("id")
    }
    assert {c.id for c in response.tool_calls} == sent_ids  # the ids the server wants back


# -- one response, chunk by chunk -----------------------------------------------------------------


_DONE = Frame(data="[DONE]")


def _finish(reason: str) -> Frame:
    """A last chunk with ``finish_reason`` and an empty delta."""
    choice = {"index": 0, "delta": {}, "finish_reason": reason}
    return Frame(data=json.dumps({"choices": [choice]}))


def test_a_text_stream_chunk_by_chunk() -> None:
    usage = {
        "prompt_tokens": 9,
        "completion_tokens": 4,
        "total_tokens": 13,
        "prompt_tokens_details": {"cached_tokens": 2},
        "completion_tokens_details": {"reasoning_tokens": 1},
    }
    mapper = ChatMapper("groq")
    fed = [
        mapper.feed(_chunk({"role": "assistant", "content": ""})),
        mapper.feed(_chunk({"content": "Hel"})),
        mapper.feed(_chunk({"content": "lo"})),
        mapper.feed(_finish("length")),
        mapper.feed(Frame(data=json.dumps({"choices": [], "usage": usage}))),
        mapper.feed(_DONE),
        mapper.feed(_chunk({"content": "after the end"})),
        mapper.finish(),
    ]
    assert [list(chunks) for chunks in fed] == [
        [StartChunk(id="chatcmpl-1", model="m", provider="groq")],
        [ContentChunk(text="Hel")],
        [ContentChunk(text="lo")],
        [],
        [],
        [
            StopChunk(
                finish_reason=FinishReason.length,
                provider_finish_reason="length",
                usage=Usage(
                    input_tokens=9,
                    output_tokens=4,
                    cached_input_tokens=2,
                    reasoning_tokens=1,
                    total_tokens=13,
                ),
            )
        ],
        [],
        [],
    ]


def test_usage_without_details_has_no_cached_or_reasoning_counts() -> None:
    usage = {"prompt_tokens": 3, "completion_tokens": 5, "prompt_tokens_details": None}
    stop = _map(_chunk({"content": "hi"}), Frame(data=json.dumps({"choices": [], "usage": usage})))
    assert stop[-1] == StopChunk(
        finish_reason=FinishReason.stop, usage=Usage(input_tokens=3, output_tokens=5)
    )


@pytest.mark.parametrize(
    ("last", "finish_reason", "raw"),
    [
        (_finish("content_filter"), FinishReason.content_filter, "content_filter"),
        (_finish("eos"), FinishReason.stop, "eos"),  # a compatible server's own value
        (
            Frame(data=json.dumps({"choices": [], "usage": {"prompt_tokens": 1}})),
            FinishReason.stop,
            None,
        ),
    ],
)
def test_a_stream_without_done_ends_at_its_finish_reason_or_usage(
    last: Frame, finish_reason: FinishReason, raw: str | None
) -> None:
    mapper = ChatMapper("openai")
    mapper.feed(_chunk({"content": "hi"}))
    mapper.feed(last)
    (stop,) = mapper.finish()
    assert isinstance(stop, StopChunk)
    assert (stop.finish_reason, stop.provider_finish_reason) == (finish_reason, raw)
    assert mapper.finish() == ()  # finished once


def test_done_without_a_finish_reason_ends_the_stream() -> None:
    chunks = _map(_chunk({"content": "hi"}), _DONE)
    assert chunks[1:] == [ContentChunk(text="hi"), StopChunk(finish_reason=FinishReason.stop)]


def test_a_stream_cut_before_its_end_is_interrupted() -> None:
    mapper = ChatMapper("openai")
    mapper.feed(_chunk({"content": "hi"}))
    message = r"^the OpenAI stream ended before a finish_reason, usage or \[DONE\]$"
    with pytest.raises(StreamInterruptedError, match=message) as caught:
        mapper.finish()
    assert caught.value.body_started


@pytest.mark.parametrize(
    ("frames", "quoted"),
    [
        ([_DONE], "[DONE]"),
        ([Frame(data="{}"), _DONE], "{}"),
        ([Frame(data="{}"), Frame(data='{"id": "x"}'), _DONE], "{}"),  # still no choices
        ([Frame(data='{"foo": 1}')], '{"foo": 1}'),
    ],
)
def test_a_body_that_is_no_stream_is_malformed(frames: list[Frame], quoted: str) -> None:
    mapper = ChatMapper("openai")
    with pytest.raises(MalformedStreamError, match="not an OpenAI Chat stream") as caught:
        for frame in frames:
            mapper.feed(frame)
        mapper.finish()
    assert repr(quoted) in str(caught.value)


@pytest.mark.parametrize("first", ['{"id": "chatcmpl-1"}', "{}"])
def test_a_first_frame_without_choices_is_no_error_when_a_stream_follows(first: str) -> None:
    """Even one that ends in [DONE] without a finish_reason (some servers): it was a stream."""
    chunks = _map(Frame(data=first), _chunk({"content": "hi"}), _DONE)
    assert [c.type for c in chunks] == ["start", "content", "stop"]
    mapper = ChatMapper("openai")
    mapper.feed(Frame(data=first))
    mapper.feed(_chunk({"content": "hi"}))
    with pytest.raises(StreamInterruptedError):  # cut, not "not a stream"
        mapper.finish()


def test_a_first_frame_with_only_usage_is_a_stream() -> None:
    stop = _map(Frame(data=json.dumps({"usage": {"prompt_tokens": 2}})), _DONE)[-1]
    assert stop == StopChunk(
        finish_reason=FinishReason.stop, usage=Usage(input_tokens=2, output_tokens=0)
    )


def test_an_error_ends_the_stream_and_nothing_after_it_counts() -> None:
    mapper = ChatMapper("openai")
    error = {"error": {"message": "Token limit reached", "code": 400, "type": None}}
    chunks = [*mapper.feed(Frame(data=json.dumps(error)))]
    chunks += [*mapper.feed(_chunk({"content": "late"})), *mapper.feed(_DONE), *mapper.finish()]
    assert chunks == [
        StartChunk(provider="openai"),
        ErrorChunk(
            code=ErrorCode.invalid_request,
            message="Token limit reached",
            retryable=False,
            status_code=400,
            provider_error=error,
        ),
    ]


def test_a_bare_error_message_is_the_message_shown() -> None:
    last = _map(Frame(data=json.dumps({"error": "upstream failed"})))[-1]
    assert isinstance(last, ErrorChunk)
    assert last.message == "upstream failed"


def test_only_the_first_choice_is_streamed() -> None:
    other = {"index": 1, "delta": {"content": "second"}, "finish_reason": "length"}
    frame = _chunk({}, choices=[other, {"index": 0, "delta": {"content": "first"}}])
    chunks = _map(frame, _finish("stop"), _DONE)
    assert [c.text for c in chunks if isinstance(c, ContentChunk)] == ["first"]
    assert chunks[-1] == StopChunk(finish_reason=FinishReason.stop, provider_finish_reason="stop")


def test_every_text_field_of_a_delta_in_order() -> None:
    delta = {
        "role": "assistant",
        "reasoning_content": "think",
        "reasoning_details": [
            {"type": "reasoning.encrypted", "data": "enc"},
            {"type": "reasoning.text", "text": "t", "signature": "sig"},
            {"type": "reasoning.summary", "summary": "s"},
        ],
        "content": "answer",
        "refusal": "no",
    }
    chunks = _map(_chunk(delta), _DONE)
    assert chunks[1:-1] == [
        ReasoningChunk(text="think"),
        ReasoningChunk(encrypted_content="enc"),
        ReasoningChunk(signature="sig"),
        ContentChunk(text="answer"),
        ContentChunk(text="no", refusal=True),
    ]


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_reasoning_text_from_either_field(field: str) -> None:
    chunks = _map(_chunk({field: "hmm", "content": None}), _chunk({field: ""}), _DONE)
    assert chunks[1:-1] == [ReasoningChunk(text="hmm")]


def test_empty_parts_and_parts_without_text_give_nothing() -> None:
    parts = [
        {"type": "thinking", "thinking": [{"type": "text", "text": "a"}, {"type": "text"}]},
        {"type": "thinking", "thinking": [{"type": "text", "text": ""}]},
        {"type": "thinking"},
        {"type": "text", "text": ""},
        {"type": "text"},
        {"type": "text", "text": "b"},
    ]
    chunks = _map(_chunk({"content": parts}), _DONE)
    assert chunks[1:-1] == [ReasoningChunk(text="a"), ContentChunk(text="b")]


# -- tool calls, chunk by chunk --------------------------------------------------------------------


def _tool_chunks(chunks: list[StreamChunk]) -> list[StreamChunk]:
    return [c for c in chunks if c.type.startswith("tool_call")]


def test_a_tool_call_chunk_by_chunk_ends_at_the_finish_reason() -> None:
    mapper = ChatMapper("openai")
    mapper.feed(_chunk({"role": "assistant", "content": None}))
    fed = [
        mapper.feed(_chunk({"tool_calls": [_call(0, "call_a", "f", "")]})),
        mapper.feed(_chunk({"tool_calls": [_call(0, None, None, '{"a":')]})),
        mapper.feed(_chunk({"tool_calls": [_call(0, None, None, "1}")]})),
        mapper.feed(_finish("tool_calls")),
        mapper.feed(_chunk({"tool_calls": [_call(0, None, None, "late")]})),  # already ended
        mapper.feed(_DONE),
    ]
    assert [list(chunks) for chunks in fed] == [
        [ToolCallStartChunk(index=0, id="call_a", name="f")],
        [ToolCallChunk(index=0, arguments_delta='{"a":')],
        [ToolCallChunk(index=0, arguments_delta="1}")],
        [ToolCallEndChunk(index=0, id="call_a")],
        [],
        [StopChunk(finish_reason=FinishReason.tool_calls, provider_finish_reason="tool_calls")],
    ]


def test_calls_still_open_at_done_end_before_the_stop() -> None:
    """No finish_reason (some servers): the stop ends the calls, and says tool_calls."""
    chunks = _map(_chunk({"tool_calls": [_call(0, "call_a", "f", "{}")]}), _DONE)
    assert chunks[1:] == [
        ToolCallStartChunk(index=0, id="call_a", name="f"),
        ToolCallChunk(index=0, arguments_delta="{}"),
        ToolCallEndChunk(index=0, id="call_a"),
        StopChunk(finish_reason=FinishReason.tool_calls),
    ]


def test_the_whole_call_in_one_delta_beside_text() -> None:
    delta = {"content": "Let me look.", "tool_calls": [_call(0, "call_a", "f", '{"q":1}')]}
    chunks = _map(_chunk(delta), _finish("tool_calls"))
    assert chunks[1:-1] == [
        ContentChunk(text="Let me look."),
        ToolCallStartChunk(index=0, id="call_a", name="f"),
        ToolCallChunk(index=0, arguments_delta='{"q":1}'),
        ToolCallEndChunk(index=0, id="call_a"),
    ]


def test_index_less_calls_are_numbered_in_arrival_order() -> None:
    chunks = _tool_stream(
        _call(None, "call_a", "first", "{}"),
        _call(None, "call_b", "second", "{}"),
        _call(None, "call_a", None, ""),  # a known id continues its own call
    )
    assert [(c.index, c.id) for c in chunks if isinstance(c, ToolCallStartChunk)] == [
        (0, "call_a"),
        (1, "call_b"),
    ]
    assert len(_calls(chunks)) == 2


def test_a_call_without_id_or_name_gets_an_id_and_an_empty_name() -> None:
    chunks = _tool_stream(_call(0, None, None, "{}"))
    (start,) = [c for c in chunks if isinstance(c, ToolCallStartChunk)]
    assert (start.index, start.name) == (0, "")
    assert start.id.startswith("call_")
    assert [c for c in chunks if isinstance(c, ToolCallEndChunk)] == [
        ToolCallEndChunk(index=0, id=start.id)
    ]


def test_a_new_call_at_a_taken_index_moves_past_every_call() -> None:
    """The second call at wire index 0 cannot take 0 (or 1, the wire index of a later call):
    it gets the index after the highest, and deltas at wire index 0 go on with it."""
    chunks = _tool_stream(
        _call(0, "call_a", "first", "{}"),
        _call(1, "call_b", "second", "{}"),
        _call(0, "call_c", "third", '{"c":'),
        _call(0, None, None, "3}"),
        _call(1, None, None, ""),
    )
    assert [(c.index, c.id) for c in chunks if isinstance(c, ToolCallStartChunk)] == [
        (0, "call_a"),
        (1, "call_b"),
        (2, "call_c"),
    ]
    assert _calls(chunks) == [
        ("call_a", "first", {}),
        ("call_b", "second", {}),
        ("call_c", "third", {"c": 3}),
    ]


def test_an_index_less_call_after_indexed_ones_takes_the_next_free_index() -> None:
    chunks = _tool_stream(
        _call(3, "call_a", "first", "{}"),
        _call(None, "call_b", "second", "{}"),
        _call(4, "call_c", "third", "{}"),
    )
    assert [(c.index, c.id) for c in chunks if isinstance(c, ToolCallStartChunk)] == [
        (3, "call_a"),
        (4, "call_b"),
        (5, "call_c"),
    ]


def test_an_id_first_sent_without_index_then_with_one_is_one_call() -> None:
    chunks = _tool_stream(
        _call(None, "call_a", "first", '{"a":'),
        _call(0, "call_a", None, "1}"),
        _call(0, None, None, ""),
    )
    assert _calls(chunks) == [("call_a", "first", {"a": 1})]


def test_a_delta_with_neither_id_nor_index_before_any_call_starts_one() -> None:
    chunks = _tool_stream(_call(None, None, "f", "{}"), _call(None, None, None, ""))
    assert [(name, args) for _, name, args in _calls(chunks)] == [("f", {})]


def test_an_unknown_id_without_index_is_a_new_call() -> None:
    chunks = _tool_stream(_call(0, "call_a", "f", "{}"), _call(None, "call_b", "f", "{}"))
    assert [c.id for c in chunks if isinstance(c, ToolCallStartChunk)] == ["call_a", "call_b"]


def test_the_latest_call_is_continued_not_the_first() -> None:
    chunks = _tool_stream(
        _call(None, "call_a", "f", "{}"),
        _call(None, "call_b", "g", '{"b":'),
        _call(None, None, None, "2}"),
    )
    assert _calls(chunks)[1] == ("call_b", "g", {"b": 2})


# -- a whole chat.completion (a server that ignores stream: true) ----------------------------------


def _whole(message: dict[str, Any], **fields: Any) -> Frame:
    choice = {"index": 0, "message": message, "finish_reason": "stop"}
    return Frame(data=json.dumps({"id": "chatcmpl-w", "model": "m", "choices": [choice], **fields}))


def test_a_whole_completion_chunk_by_chunk() -> None:
    message = {
        "role": "assistant",
        "content": "Zürich.",
        "tool_calls": [
            {"id": "call_a", "function": {"name": "f", "arguments": {"city": "Zürich", "n": 2}}}
        ],
    }
    usage = {"prompt_tokens": 4, "completion_tokens": 2, "total_tokens": 6}
    mapper = ChatMapper("mistral")
    chunks = [*mapper.feed(_whole(message, object="chat.completion", usage=usage))]
    assert chunks == [
        StartChunk(id="chatcmpl-w", model="m", provider="mistral"),
        ContentChunk(text="Zürich."),
        ToolCallStartChunk(index=0, id="call_a", name="f"),
        ToolCallChunk(index=0, arguments_delta='{"city":"Zürich","n":2}'),  # compact, as sent
        ToolCallEndChunk(index=0, id="call_a"),
        StopChunk(
            finish_reason=FinishReason.stop,
            provider_finish_reason="stop",
            usage=Usage(input_tokens=4, output_tokens=2, total_tokens=6),
        ),
    ]
    assert [*mapper.feed(_DONE), *mapper.feed(_chunk({"content": "x"})), *mapper.finish()] == []


def test_a_whole_completion_without_object_is_told_by_its_message() -> None:
    chunks = _map(_whole({"content": "hi", "tool_calls": [{"function": {"arguments": ""}}]}))
    kinds = ["start", "content", "tool_call_start", "tool_call_end", "stop"]
    assert [c.type for c in chunks] == kinds
    start = chunks[2]
    assert isinstance(start, ToolCallStartChunk)
    assert start.name == ""


def test_a_whole_completion_with_an_empty_message_is_a_stop() -> None:
    choice = {"index": 0, "message": None, "finish_reason": "length"}
    chunks = _map(Frame(data=json.dumps({"object": "chat.completion", "choices": [choice]})))
    assert chunks == [
        StartChunk(provider="openai"),
        StopChunk(finish_reason=FinishReason.length, provider_finish_reason="length"),
    ]


@pytest.mark.parametrize(
    "first",
    [
        {"object": "chat.completion.chunk", "choices": [{"index": 0, "message": {}}]},
        {"choices": [{"index": 0, "finish_reason": "stop"}]},  # neither delta nor message
        {"choices": [{"index": 0, "delta": {}, "message": {}}]},
        {"choices": []},
    ],
)
def test_a_first_frame_that_is_not_a_whole_completion_starts_a_stream(
    first: dict[str, Any],
) -> None:
    """What follows it still counts: the usage of a last chunk, here."""
    usage = Frame(data=json.dumps({"choices": [], "usage": {"prompt_tokens": 7}}))
    stop = _map(Frame(data=json.dumps(first)), usage, _DONE)[-1]
    assert isinstance(stop, StopChunk)
    assert stop.usage == Usage(input_tokens=7, output_tokens=0)


def test_a_call_delta_with_function_null_continues_its_call() -> None:
    chunks = _tool_stream(_call(0, "call_a", "f", '{"a":1}'), {"index": 0, "function": None})
    assert _calls(chunks) == [("call_a", "f", {"a": 1})]


def test_a_whole_call_with_function_null_is_a_nameless_call_without_arguments() -> None:
    message = {"content": None, "tool_calls": [{"id": "call_a", "function": None}]}
    chunks = _map(_whole(message, object="chat.completion"))
    assert chunks[1:-1] == [
        ToolCallStartChunk(index=0, id="call_a", name=""),
        ToolCallEndChunk(index=0, id="call_a"),
    ]


def test_a_field_left_out_of_later_chunks_must_be_in_the_schema() -> None:
    # A renamed field must not leave a stale name that silently leaves nothing out.
    from rillet._generated.wire_dicts import openai_chat_schema as wire
    from rillet.providers._mapper import Unread
    from rillet.providers.openai_chat._wire import CHUNK

    with pytest.raises(ValueError, match=r"ChatCompletionChunk\.fingerprint"):
        Unread(CHUNK, {wire.ChatCompletionChunk: ("id", "fingerprint")})
    left = Unread(CHUNK, {wire.ChatCompletionChunk: ("id",)})
    assert left.validator.validate_json('{"id": 5, "model": "m"}') == {"model": "m"}

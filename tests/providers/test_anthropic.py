"""The Anthropic stream mapping: real recorded streams and hand-written events.

The request side (bodies, headers, HTTP) is in ``test_anthropic_request.py``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

import pytest
import real_streams

from rillet import (
    FinishReason,
    MalformedStreamError,
    OverloadedError,
    StreamChunk,
    StreamingLLMResponse,
    StreamInterruptedError,
)
from rillet.protocol import (
    ErrorChunk,
    ErrorCode,
    StartChunk,
    StopChunk,
    ToolCallChunk,
    ToolCallEndChunk,
    ToolCallStartChunk,
    Usage,
)
from rillet.providers.anthropic._mapper import AnthropicMapper
from rillet.transport import Frame

# -- helpers ------------------------------------------------------------------------------------


def _map(frames: Sequence[Frame]) -> list[StreamChunk]:
    mapper = AnthropicMapper("anthropic")
    chunks = [chunk for frame in frames for chunk in mapper.feed(frame)]
    return chunks + list(mapper.finish())


def _ev(name: str, **fields: Any) -> Frame:
    return Frame(event=name, data=json.dumps({"type": name, **fields}))


def _start(input_tokens: int = 10, **usage: int) -> Frame:
    message: dict[str, Any] = {"id": "msg_1", "model": "claude-x", "content": []}
    return _ev(
        "message_start", message={**message, "usage": {"input_tokens": input_tokens, **usage}}
    )


def _block(index: int, **block: Any) -> Frame:
    return _ev("content_block_start", index=index, content_block=block)


def _delta(index: int, **delta: Any) -> Frame:
    return _ev("content_block_delta", index=index, delta=delta)


def _stop_block(index: int) -> Frame:
    return _ev("content_block_stop", index=index)


def _end(reason: str | None = "end_turn", output_tokens: int = 5, **usage: Any) -> list[Frame]:
    delta = _ev(
        "message_delta",
        delta={"stop_reason": reason},
        usage={"output_tokens": output_tokens, **usage},
    )
    return [delta, _ev("message_stop")]


def _text(index: int, *parts: str) -> list[Frame]:
    return [
        _block(index, type="text", text=""),
        *(_delta(index, type="text_delta", text=p) for p in parts),
        _stop_block(index),
    ]


def _tool(index: int, call_id: str, name: str, *fragments: str) -> list[Frame]:
    deltas = [_delta(index, type="input_json_delta", partial_json=f) for f in fragments]
    return [
        _block(index, type="tool_use", id=call_id, name=name, input={}),
        *deltas,
        _stop_block(index),
    ]


def _assert_contract(chunks: Sequence[StreamChunk]) -> None:
    assert chunks and chunks[0].type == "start"
    assert [c.type in ("stop", "error") for c in chunks].count(True) == 1
    assert chunks[-1].type in ("stop", "error")
    open_calls: set[int | None] = set()
    for chunk in chunks:
        if chunk.type == "tool_call_start":
            assert chunk.index not in open_calls
            open_calls.add(chunk.index)
        elif chunk.type in ("tool_call_chunk", "tool_call_end"):
            assert chunk.index in open_calls
            if chunk.type == "tool_call_end":
                open_calls.discard(chunk.index)
    if chunks[-1].type == "stop":
        assert not open_calls


# -- real streams -------------------------------------------------------------------------------


@pytest.mark.parametrize("entry", real_streams.params("anthropic"))
def test_real_stream_matches_the_official_sdk(entry: dict[str, Any] | None) -> None:
    chunks = _map(real_streams.frames(real_streams.body(entry)))
    assert entry is not None
    _assert_contract(chunks)
    response = StreamingLLMResponse.from_chunks(chunks)
    expected = entry["expected"]
    real_streams.assert_agrees(response, expected)
    if expected["reasoning"]:  # every thinking block came with its signature
        assert all(block.signature for block in response.reasoning_details)


# -- hand-written events ------------------------------------------------------------------------


def test_text_stream_chunks() -> None:
    chunks = _map([_start(), _ev("ping"), *_text(0, "Hel", "", "lo"), *_end()])
    assert chunks[0] == StartChunk(id="msg_1", model="claude-x", provider="anthropic")
    assert [c.text for c in chunks if c.type == "content"] == ["Hel", "lo"]
    stop = chunks[-1]
    assert isinstance(stop, StopChunk)
    assert stop.finish_reason is FinishReason.stop
    assert stop.provider_finish_reason == "end_turn"
    assert stop.usage == Usage(input_tokens=10, output_tokens=5)
    assert len(chunks) == 4


def test_tool_use_fragments_end_at_block_stop_at_the_block_index() -> None:
    frames = [
        _start(),
        *_text(0, "Let me look."),
        *_tool(1, "toolu_a", "weather", "", '{"city": ', '"Paris"}'),
    ]
    frames += _tool(2, "toolu_b", "clock")  # no input at all: {}
    chunks = _map([*frames, *_end("tool_use")])
    _assert_contract(chunks)
    calls = [
        c for c in chunks if isinstance(c, (ToolCallStartChunk, ToolCallChunk, ToolCallEndChunk))
    ]
    assert [(c.type, c.index) for c in calls] == [
        ("tool_call_start", 1),
        ("tool_call_chunk", 1),
        ("tool_call_chunk", 1),  # the empty first fragment is dropped
        ("tool_call_end", 1),
        ("tool_call_start", 2),
        ("tool_call_end", 2),
    ]
    ends = [(c.index, c.id) for c in calls if isinstance(c, ToolCallEndChunk)]
    assert ends == [(1, "toolu_a"), (2, "toolu_b")]  # a consumer of raw chunks knows which ended
    response = StreamingLLMResponse.from_chunks(chunks)
    assert [(c.id, c.name, c.arguments) for c in response.tool_calls] == [
        ("toolu_a", "weather", {"city": "Paris"}),
        ("toolu_b", "clock", {}),
    ]
    assert response.finish_reason is FinishReason.tool_calls


def test_tool_input_given_whole_at_block_start() -> None:
    start = _block(0, type="tool_use", id="toolu_a", name="f", input={"x": 1})
    chunks = _map([_start(), start, _stop_block(0), *_end("tool_use")])
    end = [c for c in chunks if c.type == "tool_call_end"]
    assert end[0].arguments == {"x": 1}
    assert StreamingLLMResponse.from_chunks(chunks).tool_calls[0].arguments == {"x": 1}


def test_streamed_input_replaces_an_input_given_at_block_start() -> None:
    # Anthropic sends ``input: {}`` and streams the input; the official SDK builds the input from
    # the streamed JSON alone, so a non-empty start input is not given again at the end.
    frames = [_start(), _block(0, type="tool_use", id="t", name="f", input={"a": 1})]
    frames += [_delta(0, type="input_json_delta", partial_json='{"a": 2}'), _stop_block(0)]
    chunks = _map([*frames, *_end("tool_use")])
    end = [c for c in chunks if isinstance(c, ToolCallEndChunk)]
    assert [(c.id, c.arguments) for c in end] == [("t", None)]
    assert _calls(chunks) == [("t", "f", {"a": 2})]


def test_interleaved_blocks_are_told_apart_by_their_index() -> None:
    frames = [
        _start(),
        _block(0, type="tool_use", id="toolu_a", name="f", input={}),
        _block(1, type="tool_use", id="toolu_b", name="g", input={}),
        _delta(0, type="input_json_delta", partial_json='{"a": 1}'),
        _delta(1, type="input_json_delta", partial_json='{"b": 2}'),
        _stop_block(0),
        _delta(1, type="input_json_delta", partial_json=""),
        _stop_block(1),
    ]
    chunks = _map([*frames, *_end("tool_use")])
    _assert_contract(chunks)
    assert [(c.type, getattr(c, "index", None)) for c in chunks[1:-1]] == [
        ("tool_call_start", 0),
        ("tool_call_start", 1),
        ("tool_call_chunk", 0),
        ("tool_call_chunk", 1),
        ("tool_call_end", 0),  # the stop names block 0, though block 1 started last
        ("tool_call_end", 1),
    ]
    assert _calls(chunks) == [("toolu_a", "f", {"a": 1}), ("toolu_b", "g", {"b": 2})]


def test_a_tool_use_block_without_a_name_gets_an_empty_name() -> None:
    block = _ev("content_block_start", index=0, content_block={"type": "tool_use", "id": "t"})
    start = _map([_start(), block, _stop_block(0), *_end("tool_use")])[1]
    assert start == ToolCallStartChunk(index=0, id="t", name="")


def test_open_tool_call_is_ended_before_stop() -> None:
    frames = [_start(), _block(0, type="tool_use", id="t", name="f", input={})]
    frames.append(_delta(0, type="input_json_delta", partial_json='{"a": 2}'))
    chunks = _map([*frames, *_end("tool_use")])  # no content_block_stop
    _assert_contract(chunks)
    assert StreamingLLMResponse.from_chunks(chunks).tool_calls[0].arguments == {"a": 2}


def test_thinking_signature_and_redacted_thinking_are_numbered_blocks() -> None:
    def thinking(index: int, *parts: str, signature: str) -> list[Frame]:
        deltas = [_delta(index, type="thinking_delta", thinking=p) for p in parts]
        sig = _delta(index, type="signature_delta", signature=signature)
        return [_block(index, type="thinking", thinking="", signature=""), *deltas, sig]

    frames = [_start(), *thinking(0, "Hmm, ", "ok.", "", signature="sig0"), _stop_block(0)]
    frames += [_block(1, type="redacted_thinking", data="ENC"), _stop_block(1), *_text(2, "Answer")]
    frames += thinking(3, "More.", signature="sig3")
    chunks = _map([*frames, _stop_block(3), *_end()])
    reasoning = [
        (c.index, c.text, c.signature, c.encrypted_content) for c in chunks if c.type == "reasoning"
    ]
    assert reasoning == [
        (0, "Hmm, ", None, None),
        (0, "ok.", None, None),
        (0, "", "sig0", None),
        (1, "", None, "ENC"),
        (2, "More.", None, None),
        (2, "", "sig3", None),
    ]
    response = StreamingLLMResponse.from_chunks(chunks)
    assert response.text == "Answer"
    assert response.reasoning == "Hmm, ok.More."
    details = [(b.text, b.signature, b.encrypted_content) for b in response.reasoning_details]
    assert details == [("Hmm, ok.", "sig0", None), ("", None, "ENC"), ("More.", "sig3", None)]


def test_server_tool_blocks_and_citations_are_not_client_calls(
    caplog: pytest.LogCaptureFixture,
) -> None:
    search = _block(0, type="server_tool_use", id="srvtoolu_1", name="web_search", input={})
    query = _delta(0, type="input_json_delta", partial_json='{"query": "x"}')
    results = [{"type": "web_search_result", "url": "u", "encrypted_content": "E"}]
    result = _block(1, type="web_search_tool_result", tool_use_id="srvtoolu_1", content=results)
    cite = _delta(2, type="citations_delta", citation={"type": "web_search_result_location"})
    text = _text(2, "Sunny.")
    frames = [_start(), _ev("ping"), search, query, _stop_block(0), result, _stop_block(1)]
    frames += [*text[:2], cite, text[2]]
    with caplog.at_level(logging.DEBUG, logger="rillet.providers"):
        chunks = _map([*frames, *_end()])
    assert [c.type for c in chunks] == ["start", "content", "stop"]
    # said to be skipped on purpose; ping and citations are known, so not reported as unknown
    assert caplog.messages == [
        "skipping server_tool_use block 0: run by Anthropic, not a client call",
        "skipping web_search_tool_result block 1: run by Anthropic, not a client call",
    ]


def test_usage_is_split_between_start_and_delta_and_latest_wins() -> None:
    start = _start(
        input_tokens=2039, cache_read_input_tokens=5, cache_creation_input_tokens=3, output_tokens=1
    )
    end = _end(
        output_tokens=341,
        input_tokens=10423,
        cache_read_input_tokens=None,
        output_tokens_details={"thinking_tokens": 53},
    )
    stop = _map([start, *_text(0, "x"), *end])[-1]
    assert isinstance(stop, StopChunk)
    assert stop.usage == Usage(
        input_tokens=10423,
        output_tokens=341,
        cached_input_tokens=5,
        cache_creation_input_tokens=3,
        reasoning_tokens=53,
    )


def test_a_stream_without_a_stop_reason_simply_stopped() -> None:
    usage_only = _ev("message_delta", usage={"output_tokens": 7})  # no delta at all
    no_reason = _ev("message_delta", delta={})
    frames = [_start(), *_text(0, "x"), usage_only, no_reason, _ev("message_stop")]
    stop = _map(frames)[-1]
    assert isinstance(stop, StopChunk)
    assert (stop.finish_reason, stop.provider_finish_reason) == (FinishReason.stop, None)
    assert stop.usage == Usage(input_tokens=10, output_tokens=7)


@pytest.mark.parametrize(
    ("start_usage", "delta_usage", "usage"),
    [
        (None, {"output_tokens": 7}, Usage(input_tokens=0, output_tokens=7)),
        ({"input_tokens": 12}, None, Usage(input_tokens=12, output_tokens=0)),
        ({"cache_read_input_tokens": 3}, None, None),  # no token count at all: no usage
    ],
)
def test_usage_with_one_count_missing_is_kept(
    start_usage: dict[str, int] | None, delta_usage: dict[str, int] | None, usage: Usage | None
) -> None:
    message: dict[str, Any] = {"id": "m", "model": "claude-x", "content": []}
    if start_usage is not None:
        message["usage"] = start_usage
    delta: dict[str, Any] = {"delta": {"stop_reason": "end_turn"}}
    if delta_usage is not None:
        delta["usage"] = delta_usage
    frames = [_ev("message_start", message=message), *_text(0, "x"), _ev("message_delta", **delta)]
    stop = _map([*frames, _ev("message_stop")])[-1]
    assert isinstance(stop, StopChunk)
    assert stop.usage == usage


@pytest.mark.parametrize(
    ("raw", "unified"),
    [
        ("end_turn", FinishReason.stop),
        ("stop_sequence", FinishReason.stop),
        ("max_tokens", FinishReason.length),
        ("model_context_window_exceeded", FinishReason.length),
        ("tool_use", FinishReason.tool_calls),
        ("refusal", FinishReason.content_filter),
        ("pause_turn", FinishReason.other),
        ("some_future_reason", FinishReason.other),
    ],
)
def test_stop_reasons(raw: str, unified: FinishReason) -> None:
    response = StreamingLLMResponse.from_chunks(_map([_start(), *_text(0, "x"), *_end(raw)]))
    assert (response.finish_reason, response.provider_finish_reason) == (unified, raw)


@pytest.mark.parametrize(
    ("error_type", "code", "retryable"),
    [
        ("overloaded_error", ErrorCode.overloaded, True),
        ("rate_limit_error", ErrorCode.rate_limit, True),
        ("api_error", ErrorCode.server, True),
        ("invalid_request_error", ErrorCode.invalid_request, False),
        ("billing_error", ErrorCode.provider, False),
    ],
)
def test_in_stream_error_is_the_terminal_chunk(
    error_type: str, code: ErrorCode, retryable: bool
) -> None:
    body = {"type": "error", "error": {"type": error_type, "message": "Overloaded"}}
    frames = [_start(), *_text(0, "part"), Frame(event="error", data=json.dumps(body))]
    chunks = _map([*frames, *_end()])  # anything after the terminal event is ignored
    _assert_contract(chunks)
    error = chunks[-1]
    assert isinstance(error, ErrorChunk)
    assert (error.code, error.retryable, error.error_type) == (code, retryable, error_type)
    assert (error.message, error.status_code, error.provider_error) == ("Overloaded", None, body)


def test_in_stream_overloaded_raises_with_the_partial_response() -> None:
    error = _ev("error", error={"type": "overloaded_error", "message": "Overloaded"})
    with pytest.raises(OverloadedError) as caught:
        StreamingLLMResponse.from_chunks(
            _map(
                [
                    _start(),
                    _block(0, type="text", text=""),
                    _delta(0, type="text_delta", text="Hi"),
                    error,
                ]
            )
        )
    assert caught.value.retryable
    assert caught.value.partial is not None and caught.value.partial.text == "Hi"


def test_error_before_message_start_still_starts_the_stream() -> None:
    chunks = _map([_ev("ping"), _ev("error", error={"type": "api_error", "message": "boom"})])
    assert [c.type for c in chunks] == ["start", "error"]


def test_a_message_start_without_its_message_still_starts_the_stream() -> None:
    chunks = _map([_ev("message_start"), *_text(0, "a"), *_end()])
    assert chunks[0] == StartChunk(provider="anthropic")
    assert StreamingLLMResponse.from_chunks(chunks).text == "a"


def test_a_ping_before_message_start_does_not_start_the_stream() -> None:
    chunks = _map([_ev("ping"), _start(), *_text(0, "a"), *_end()])
    assert [c.type for c in chunks] == ["start", "content", "stop"]
    assert chunks[0] == StartChunk(id="msg_1", model="claude-x", provider="anthropic")


def test_a_stream_without_message_start_starts_once() -> None:
    chunks = _map([*_text(0, "a"), *_text(1, "b"), *_end()])
    _assert_contract(chunks)
    assert [c.type for c in chunks] == ["start", "content", "content", "stop"]
    assert chunks[0] == StartChunk(provider="anthropic")


def test_frames_after_message_stop_are_ignored() -> None:
    chunks = _map([_start(), *_text(0, "a"), *_end(), *_text(1, "late"), _start()])
    assert [c.type for c in chunks] == ["start", "content", "stop"]


def test_unknown_events_blocks_deltas_and_fields_are_skipped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    frames = [
        _start(),
        _ev("message_annotation", note=1),
        _block(0, type="mcp_tool_use", id="m", name="n", input={}),
    ]
    frames += [
        _delta(0, type="mcp_delta", stuff=1),
        _stop_block(0),
        _block(1, type="text", text="", extra_field=1),
    ]
    frames += [_delta(1, type="text_delta", text="ok", new_field=True), _stop_block(1), *_end()]
    with caplog.at_level(logging.DEBUG, logger="rillet.providers"):
        chunks = _map(frames)
    assert [c.type for c in chunks] == ["start", "content", "stop"]
    assert caplog.messages == [  # what a user debugging a new API feature looks for
        "skipping unknown event 'message_annotation'",
        "skipping unknown content block 'mcp_tool_use'",
        "skipping unknown content block delta 'mcp_delta'",
    ]


def test_events_without_an_event_name_are_read_by_their_type() -> None:
    frames = [_start(), *_text(0, "plain"), *_end()]
    chunks = _map([Frame(data=f.data) for f in frames])  # event defaults to "message"
    assert StreamingLLMResponse.from_chunks(chunks).text == "plain"


@pytest.mark.parametrize(
    "frame",
    [
        Frame(event="content_block_delta", data='{"type":"content_block_delta","index":0,'),
        Frame(event="message_start", data="not json"),
        Frame(event="content_block_delta", data='{"type":"content_block_delta","index":"zero"}'),
        Frame(
            event="message_delta", data='{"type":"message_delta","usage":{"output_tokens":"many"}}'
        ),
    ],
)
def test_bad_frames_raise_malformed_stream(frame: Frame) -> None:
    mapper = AnthropicMapper("anthropic")
    mapper.feed(_start())
    with pytest.raises(MalformedStreamError):
        mapper.feed(frame)


@pytest.mark.parametrize("count", [0, 1, 3, 5])  # nothing, message_start, a delta, message_delta
def test_eof_before_message_stop_is_an_interruption(count: int) -> None:
    frames = [_start(), *_text(0, "a"), *_end()][:count]
    with pytest.raises(StreamInterruptedError) as caught:
        _map(frames)
    assert caught.value.body_started
    assert caught.value.message == "the Anthropic stream ended before message_stop"


# -- block indexes and signatures ----------------------------------------------------------------


def _calls(chunks: Sequence[StreamChunk]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (c.id, c.name, c.arguments) for c in StreamingLLMResponse.from_chunks(chunks).tool_calls
    ]


def test_a_block_index_reused_after_its_stop_is_a_second_call() -> None:
    frames = [*_tool(1, "toolu_a", "first", '{"a": 1}'), *_tool(1, "toolu_b", "second", '{"b": 2}')]
    chunks = _map([_start(), *_text(0, "Two calls."), *frames, *_end("tool_use")])
    _assert_contract(chunks)
    assert _calls(chunks) == [("toolu_a", "first", {"a": 1}), ("toolu_b", "second", {"b": 2})]
    starts = [(c.index, c.id) for c in chunks if isinstance(c, ToolCallStartChunk)]
    assert starts == [(1, "toolu_a"), (2, "toolu_b")]


def test_a_block_start_at_an_open_call_index_ends_that_call() -> None:
    first = _tool(0, "toolu_a", "first", '{"a": 1}')[:-1]  # no content_block_stop
    second = _tool(0, "toolu_b", "second", '{"b": 2}')
    chunks = _map([_start(), *first, *second, *_end("tool_use")])
    _assert_contract(chunks)
    assert _calls(chunks) == [("toolu_a", "first", {"a": 1}), ("toolu_b", "second", {"b": 2})]
    starts = [(c.index, c.id) for c in chunks if isinstance(c, ToolCallStartChunk)]
    assert starts == [(0, "toolu_a"), (1, "toolu_b")]


def test_a_block_start_without_index_takes_the_next_index() -> None:
    def unindexed(frame: Frame) -> Frame:
        event = json.loads(frame.data)
        del event["index"]
        return Frame(event=frame.event, data=json.dumps(event))

    blocks = [*_text(0, "Look."), *_tool(1, "toolu_a", "f", '{"x": ', "1}"), *_text(2, " Done.")]
    chunks = _map([_start(), *map(unindexed, blocks), *_end("tool_use")])
    _assert_contract(chunks)
    assert [(c.type, getattr(c, "index", None)) for c in chunks[1:-1]] == [
        ("content", None),
        ("tool_call_start", 1),
        ("tool_call_chunk", 1),
        ("tool_call_chunk", 1),
        ("tool_call_end", 1),  # at its block's stop, which has no index either
        ("content", None),
    ]
    response = StreamingLLMResponse.from_chunks(chunks)
    assert (response.text, _calls(chunks)) == ("Look. Done.", [("toolu_a", "f", {"x": 1})])


def test_a_signature_given_at_the_thinking_block_start_is_kept() -> None:
    first = [_block(0, type="thinking", thinking="One.", signature="s0"), _stop_block(0)]
    start = _block(1, type="thinking", thinking="", signature="sig-at-start")
    chunks = _map([_start(), *first, start, _stop_block(1), *_text(2, "ok"), *_end()])
    details = StreamingLLMResponse.from_chunks(chunks).reasoning_details
    assert [(b.text, b.signature) for b in details] == [("One.", "s0"), ("", "sig-at-start")]


def test_signature_deltas_are_concatenated() -> None:
    frames = [
        _block(0, type="thinking", thinking="", signature=""),
        _delta(0, type="thinking_delta", thinking="Hmm."),
        _delta(0, type="signature_delta", signature="AAA"),
        _delta(0, type="signature_delta", signature="BBB"),
        _stop_block(0),
    ]
    chunks = _map([_start(), *frames, *_text(1, "ok"), *_end()])
    details = StreamingLLMResponse.from_chunks(chunks).reasoning_details
    assert [(b.text, b.signature) for b in details] == [("Hmm.", "AAABBB")]


def test_a_thinking_block_index_reused_after_its_stop_is_a_second_block() -> None:
    def thinking(text: str, signature: str) -> list[Frame]:
        return [
            _block(0, type="thinking", thinking="", signature=""),
            _delta(0, type="thinking_delta", thinking=text),
            _delta(0, type="signature_delta", signature=signature),
            _stop_block(0),
        ]

    chunks = _map([_start(), *thinking("one", "s1"), *thinking("two", "s2"), *_end()])
    details = StreamingLLMResponse.from_chunks(chunks).reasoning_details
    assert [(b.text, b.signature) for b in details] == [("one", "s1"), ("two", "s2")]


def test_a_whole_message_gives_the_chunks_of_its_stream() -> None:
    message = {
        "id": "msg_w",
        "type": "message",
        "model": "claude-x",
        "content": [
            {"type": "redacted_thinking", "data": "ENC"},
            {"type": "text", "text": "Hi."},
            {"type": "server_tool_use", "id": "srv", "name": "web_search", "input": {"q": 1}},
            {"type": "tool_use", "id": "toolu_a", "name": "f", "input": {}},
            {"type": "tool_use", "id": "toolu_b", "name": "g", "input": {"y": ["Zürich"]}},
        ],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 4, "output_tokens": 2, "cache_read_input_tokens": 1},
    }
    chunks = _map([Frame(data=json.dumps(message))])
    _assert_contract(chunks)
    assert chunks[0] == StartChunk(id="msg_w", model="claude-x", provider="anthropic")
    assert [(c.type, getattr(c, "index", None)) for c in chunks[1:-1]] == [
        ("reasoning", 0),
        ("content", None),
        ("tool_call_start", 3),
        ("tool_call_end", 3),
        ("tool_call_start", 4),
        ("tool_call_chunk", 4),
        ("tool_call_end", 4),
    ]
    fragments = [c.arguments_delta for c in chunks if isinstance(c, ToolCallChunk)]
    assert fragments == ['{"y": ["Zürich"]}']  # the input as one fragment, as it was sent
    response = StreamingLLMResponse.from_chunks(chunks)
    assert _calls(chunks) == [("toolu_a", "f", {}), ("toolu_b", "g", {"y": ["Zürich"]})]
    assert response.reasoning_details[0].encrypted_content == "ENC"
    assert response.usage == Usage(input_tokens=4, output_tokens=2, cached_input_tokens=1)
    assert response.finish_reason is FinishReason.tool_calls


def test_a_whole_message_inside_a_stream_is_skipped(caplog: pytest.LogCaptureFixture) -> None:
    whole = {"type": "message", "content": [{"type": "text", "text": "again"}]}
    frames = [_start(), *_text(0, "once"), Frame(data=json.dumps(whole)), *_end()]
    with caplog.at_level(logging.DEBUG, logger="rillet.providers"):
        chunks = _map(frames)
    assert StreamingLLMResponse.from_chunks(chunks).text == "once"
    assert caplog.messages == ["skipping unknown event 'message'"]

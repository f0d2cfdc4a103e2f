"""The OpenAI Responses adapter: real recorded streams, every event kind, the request body."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

import pytest
import real_streams

from rillet import RilletError
from rillet._exceptions import MalformedStreamError, StreamInterruptedError
from rillet.protocol import ContentChunk, ErrorChunk, ErrorCode, FinishReason, StreamChunk
from rillet.providers.openai_responses._mapper import ResponsesMapper
from rillet.streaming import StreamingLLMResponse
from rillet.transport import Frame

# -- helpers -----------------------------------------------------------------------------------


def _sse(*events: dict[str, Any]) -> list[Frame]:
    return [Frame(event=e["type"], data=json.dumps(e)) for e in events]


def _map(frames: Sequence[Frame]) -> list[StreamChunk]:
    mapper = ResponsesMapper("openai-responses")
    chunks = [chunk for frame in frames for chunk in mapper.feed(frame)]
    return chunks + list(mapper.finish())


def _assert_contract(chunks: Sequence[StreamChunk]) -> None:
    types = [c.type for c in chunks]
    assert types[0] == "start"
    assert types[-1] in ("stop", "error")
    assert sum(t in ("stop", "error") for t in types) == 1
    open_calls: set[int | None] = set()
    for chunk in chunks:
        if chunk.type == "tool_call_start":
            assert chunk.index not in open_calls
            open_calls.add(chunk.index)
        elif chunk.type == "tool_call_chunk":
            assert chunk.index in open_calls
        elif chunk.type == "tool_call_end":
            open_calls.remove(chunk.index)
    assert not open_calls


def _run(*events: dict[str, Any]) -> list[StreamChunk]:
    chunks = _map(_sse(*events))
    _assert_contract(chunks)
    return chunks


def created(rid: str = "resp_1", model: str = "gpt-5") -> dict[str, Any]:
    response = {"id": rid, "model": model, "status": "in_progress", "output": []}
    return {"type": "response.created", "response": response, "sequence_number": 0}


def done(
    kind: str = "completed", *, output: list[Any] | None = None, **extra: Any
) -> dict[str, Any]:
    usage = {
        "input_tokens": 30,
        "input_tokens_details": {"cached_tokens": 8},
        "output_tokens": 12,
        "output_tokens_details": {"reasoning_tokens": 5},
        "total_tokens": 42,
    }
    response = {"id": "resp_1", "status": kind, "output": output or [], "usage": usage, **extra}
    return {"type": f"response.{kind}", "response": response}


def text(delta: str, index: int = 0) -> dict[str, Any]:
    return {"type": "response.output_text.delta", "item_id": "msg_1", "output_index": index,
            "content_index": 0, "delta": delta}  # fmt: skip


def added(item: dict[str, Any], index: int) -> dict[str, Any]:
    return {"type": "response.output_item.added", "output_index": index, "item": item}


def item_done(item: dict[str, Any], index: int) -> dict[str, Any]:
    return {"type": "response.output_item.done", "output_index": index, "item": item}


def call(n: int, arguments: str = "") -> dict[str, Any]:
    return {"type": "function_call", "id": f"fc_{n}", "call_id": f"call_{n}", "name": f"tool{n}",
            "arguments": arguments, "status": "in_progress"}  # fmt: skip


def args(n: int, delta: str, index: int) -> dict[str, Any]:
    return {"type": "response.function_call_arguments.delta", "item_id": f"fc_{n}",
            "output_index": index, "delta": delta}  # fmt: skip


def message(content: str) -> dict[str, Any]:
    return {"type": "message", "id": "msg_1", "role": "assistant",
            "content": [{"type": "output_text", "text": content, "annotations": []}]}  # fmt: skip


def reasoning(rid: str, enc: str | None = None, summary: Sequence[str] = ()) -> dict[str, Any]:
    parts = [{"type": "summary_text", "text": s} for s in summary]
    return {"type": "reasoning", "id": rid, "summary": parts, "encrypted_content": enc}


def summary(delta: str, index: int, kind: str = "reasoning_summary_text") -> dict[str, Any]:
    return {"type": f"response.{kind}.delta", "item_id": f"rs_{index}", "output_index": index,
            "summary_index": 0, "content_index": 0, "delta": delta}  # fmt: skip


def args_done(n: int, arguments: str, index: int) -> dict[str, Any]:
    return {"type": "response.function_call_arguments.done", "item_id": f"fc_{n}",
            "output_index": index, "arguments": arguments}  # fmt: skip


# -- the real recorded streams ---------------------------------------------------------------


@pytest.mark.parametrize("entry", real_streams.params("openai_responses"))
def test_real_stream(entry: dict[str, Any] | None) -> None:
    chunks = _map(real_streams.frames(real_streams.body(entry)))
    assert entry is not None
    _assert_contract(chunks)
    response = StreamingLLMResponse.from_chunks(chunks)
    real_streams.assert_agrees(response, entry["expected"])
    assert response.id is not None and response.id.startswith("resp_")
    assert all(c.id.startswith("call_") for c in response.tool_calls)  # the id the API wants back


# -- hand-written event sequences ------------------------------------------------------------


def test_text_start_and_usage() -> None:
    chunks = _run(
        created(),
        {"type": "response.in_progress", "response": {"id": "resp_1"}},
        added({"type": "message", "id": "msg_1", "content": []}, 0),
        {"type": "response.content_part.added", "output_index": 0, "part": {"type": "output_text"}},
        text("Hel"),
        text("lo"),
        {"type": "response.output_text.done", "output_index": 0, "text": "Hello"},
        item_done(message("Hello"), 0),
        done(output=[message("Hello")]),
    )
    assert [c.type for c in chunks] == ["start", "content", "content", "stop"]
    response = StreamingLLMResponse.from_chunks(chunks)
    assert (response.id, response.model) == ("resp_1", "gpt-5")
    assert response.text == "Hello"  # not repeated from the done events
    assert response.finish_reason is FinishReason.stop
    assert response.provider_finish_reason == "completed"
    assert response.usage is not None
    assert response.usage.model_dump() == {
        "input_tokens": 30, "output_tokens": 12, "cached_input_tokens": 8,
        "cache_creation_input_tokens": None, "reasoning_tokens": 5, "total_tokens": 42,
    }  # fmt: skip


def test_reasoning_summaries_text_and_encrypted_content() -> None:
    chunks = _run(
        created(),
        added(reasoning("rs_0"), 0),
        {"type": "response.reasoning_summary_part.added", "output_index": 0, "summary_index": 0},
        summary("Think", 0),
        summary("ing.", 0),
        {"type": "response.reasoning_summary_part.added", "output_index": 0, "summary_index": 1},
        summary(" More.", 0),
        {"type": "response.reasoning_summary_text.done", "output_index": 0, "text": "Thinking."},
        item_done(reasoning("rs_0", "ENC0", ["Thinking.", " More."]), 0),
        added(reasoning("rs_1"), 1),
        summary("raw", 1, "reasoning_text"),
        item_done(reasoning("rs_1", "ENC1"), 1),
        added(reasoning("rs_2"), 2),  # only encrypted content, no text at all
        item_done(reasoning("rs_2", "ENC2"), 2),
        text("Answer", 3),
        done(),
    )
    response = StreamingLLMResponse.from_chunks(chunks)
    assert response.reasoning == "Thinking. More.raw"
    assert response.text == "Answer"
    assert [(b.text, b.id, b.encrypted_content) for b in response.reasoning_details] == [
        ("Thinking. More.", "rs_0", "ENC0"),
        ("raw", "rs_1", "ENC1"),
        ("", "rs_2", "ENC2"),
    ]
    assert {c.index for c in chunks if c.type == "reasoning"} == {0, 1, 2}


def test_function_calls_by_item_id_and_output_index() -> None:
    chunks = _run(
        created(),
        added(reasoning("rs_0"), 0),
        item_done(reasoning("rs_0", "ENC"), 0),
        added(call(1), 1),
        added(call(2), 2),
        args(1, '{"a":', 1),
        args(2, '{"b":2}', 2),
        {"type": "response.function_call_arguments.delta", "item_id": "fc_1", "delta": "1}"},
        args_done(1, '{"a":1}', 1),
        item_done(call(1, '{"a":1}'), 1),
        item_done(call(2, '{"b":2}'), 2),
        done(output=[reasoning("rs_0", "ENC"), call(1, '{"a":1}'), call(2, '{"b":2}')]),
    )
    starts = [(c.index, c.id, c.name) for c in chunks if c.type == "tool_call_start"]
    assert starts == [(1, "call_1", "tool1"), (2, "call_2", "tool2")]
    assert [c.index for c in chunks if c.type == "tool_call_end"] == [1, 2]
    response = StreamingLLMResponse.from_chunks(chunks)
    assert [(c.id, c.name, c.arguments, c.raw_arguments) for c in response.tool_calls] == [
        ("call_1", "tool1", {"a": 1}, '{"a":1}'),
        ("call_2", "tool2", {"b": 2}, '{"b":2}'),
    ]
    assert response.finish_reason is FinishReason.tool_calls
    assert response.provider_finish_reason == "completed"


def test_whole_arguments_without_deltas() -> None:
    chunks = _run(
        created(),
        added(call(1), 0),
        args_done(1, '{"x":1}', 0),
        item_done(call(2, '{"y":2}'), 1),  # never announced: started, sent whole, ended
        done(output=[call(1, '{"x":1}'), call(2, '{"y":2}'), call(3, "{}")]),  # 3: only here
    )
    response = StreamingLLMResponse.from_chunks(chunks)
    assert [(c.name, c.arguments) for c in response.tool_calls] == [
        ("tool1", {"x": 1}), ("tool2", {"y": 2}), ("tool3", {})
    ]  # fmt: skip
    assert sum(c.type == "tool_call_chunk" for c in chunks) == 3


def test_hosted_tools_annotations_and_unknown_events_are_skipped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, "rillet.providers")
    search = {"type": "web_search_call", "id": "ws_1", "status": "completed", "action": {}}
    chunks = _run(
        created(),
        added(search, 0),
        {"type": "response.web_search_call.searching", "output_index": 0, "item_id": "ws_1"},
        item_done(search, 0),
        text("See [1].", 1),
        {"type": "response.output_text.annotation.added", "annotation": {"type": "url_citation"}},
        {"type": "response.brand_new_event", "whatever": [1, 2]},
        {**text("!", 1), "new_field": {"nested": True}},
        done(output=[search]),
    )
    response = StreamingLLMResponse.from_chunks(chunks)
    assert response.text == "See [1].!"
    assert "response.brand_new_event" in caplog.text
    assert response.tool_calls == []
    assert response.finish_reason is FinishReason.stop


def test_a_refusal_is_kept_apart_from_the_text() -> None:
    refusal = {"type": "response.refusal.delta", "item_id": "msg_1", "output_index": 0,
               "content_index": 0, "delta": "I can't help with that."}  # fmt: skip
    chunks = _run(created(), refusal, done())
    assert ContentChunk(text="I can't help with that.", refusal=True) in chunks
    response = StreamingLLMResponse.from_chunks(chunks)
    assert (response.text, response.refusal) == ("", "I can't help with that.")


def test_a_refusal_part_never_streamed_is_the_refusal() -> None:
    item = {"type": "message", "id": "msg_1", "role": "assistant",
            "content": [{"type": "refusal", "refusal": "No."}]}  # fmt: skip
    response = StreamingLLMResponse.from_chunks(_run(created(), item_done(item, 0), done()))
    assert (response.text, response.refusal) == ("", "No.")


def test_encrypted_reasoning_only_in_the_final_response() -> None:
    chunks = _run(
        created(),
        added(reasoning("rs_0"), 0),
        summary("Hmm.", 0),
        item_done(reasoning("rs_0", None, ["Hmm."]), 0),
        done(output=[reasoning("rs_0", "ENC", ["Hmm."])]),
    )
    response = StreamingLLMResponse.from_chunks(chunks)
    assert [(b.text, b.id, b.encrypted_content) for b in response.reasoning_details] == [
        ("Hmm.", "rs_0", "ENC")
    ]


def test_text_only_in_finished_items_or_final_response_comes_once() -> None:
    only_done = _run(created(), item_done(message("Hi"), 0), done(output=[message("Hi")]))
    assert StreamingLLMResponse.from_chunks(only_done).text == "Hi"
    rs = reasoning("rs_0", "ENC", ["Summary."])
    only_final = _run(created(), done(output=[rs, message("Hi"), call(1, '{"a":1}')]))
    response = StreamingLLMResponse.from_chunks(only_final)
    assert (response.text, response.reasoning) == ("Hi", "Summary.")
    assert response.reasoning_details[0].encrypted_content == "ENC"
    assert [(c.name, c.arguments) for c in response.tool_calls] == [("tool1", {"a": 1})]


@pytest.mark.parametrize(
    ("reason", "unified"),
    [
        ("max_output_tokens", FinishReason.length),
        ("content_filter", FinishReason.content_filter),
        ("something_new", FinishReason.other),
    ],
)
def test_incomplete(reason: str, unified: FinishReason) -> None:
    incomplete = done("incomplete", incomplete_details={"reason": reason})
    chunks = _run(created(), text("Trunc"), added(call(1), 1), args(1, '{"a', 1), incomplete)
    assert chunks[-2].type == "tool_call_end"  # the open call is ended before the stop
    stop = chunks[-1]
    assert stop.type == "stop"
    assert (stop.finish_reason, stop.provider_finish_reason) == (unified, reason)
    assert stop.usage is not None and stop.usage.output_tokens == 12


@pytest.mark.parametrize(
    ("code", "kind", "retryable"),
    [
        ("server_error", ErrorCode.server, True),
        ("rate_limit_exceeded", ErrorCode.rate_limit, True),
        ("invalid_prompt", ErrorCode.invalid_request, False),
        ("vector_store_timeout", ErrorCode.server, True),
        ("mystery", ErrorCode.provider, False),
    ],
)
def test_failed_response_is_an_error_chunk(code: str, kind: ErrorCode, retryable: bool) -> None:
    failed = done("failed", error={"code": code, "message": "boom"})
    chunks = _run(created(), text("partial"), failed)
    error = chunks[-1]
    assert isinstance(error, ErrorChunk)
    assert (error.code, error.retryable, error.message, error.error_type) == (
        kind, retryable, "boom", code
    )  # fmt: skip
    assert error.provider_error == {"code": code, "message": "boom"}
    assert error.status_code is None


@pytest.mark.parametrize(
    ("event", "kind", "retryable"),
    [
        ({"code": "rate_limit_exceeded", "message": "slow down"}, ErrorCode.rate_limit, True),
        ({"code": "server_error", "message": "oops"}, ErrorCode.server, True),
        (
            {"error": {"type": "invalid_request_error", "message": "?"}},
            ErrorCode.invalid_request,
            False,
        ),
        ({"code": "ERR_SOMETHING", "message": "?"}, ErrorCode.provider, False),
    ],
)
def test_error_event(event: dict[str, Any], kind: ErrorCode, retryable: bool) -> None:
    raw = {"type": "error", **event}
    chunks = _run(created(), added(call(1), 0), raw, text("after the end"))
    error = chunks[-1]
    assert isinstance(error, ErrorChunk)
    assert (error.code, error.retryable) == (kind, retryable)
    assert error.provider_error == raw
    with pytest.raises(RilletError) as caught:
        StreamingLLMResponse.from_chunks(chunks)
    assert getattr(caught.value, "retryable", None) is retryable


def test_error_before_anything_still_starts() -> None:
    chunks = _run({"type": "error", "code": "server_error", "message": "down"})
    assert [c.type for c in chunks] == ["start", "error"]


def test_data_only_frames_and_nothing_after_the_terminal() -> None:
    compact = [json.dumps(e, separators=(",", ":")) for e in (created(), text("a"))]
    spaced = [json.dumps(e) for e in (text("b"), done(), text("late"))]
    frames = [Frame(data=data) for data in compact + spaced]
    frames.append(Frame(data="[DONE]"))
    chunks = _map(frames)
    _assert_contract(chunks)
    assert StreamingLLMResponse.from_chunks(chunks).text == "ab"


def test_malformed_json_and_invalid_fields_raise_malformed_stream() -> None:
    mapper = ResponsesMapper("openai-responses")
    mapper.feed(_sse(created())[0])
    with pytest.raises(MalformedStreamError, match="invalid JSON"):
        mapper.feed(Frame(event="response.output_text.delta", data='{"delta": "a'))
    with pytest.raises(MalformedStreamError, match="not a valid"):
        mapper.feed(_sse({**text("x"), "delta": {"not": "text"}})[0])
    with pytest.raises(MalformedStreamError):
        mapper.feed(Frame(data="not json"))


def test_ignored_events_are_not_even_parsed() -> None:
    mapper = ResponsesMapper("openai-responses")
    for name in ("response.in_progress", "response.output_text.done",
                 "response.content_part.done", "response.web_search_call.completed"):  # fmt: skip
        assert mapper.feed(Frame(event=name, data="{ huge payload, unparsed")) == ()


def test_eof_before_the_terminal_event_is_an_interruption() -> None:
    mapper = ResponsesMapper("openai-responses")
    for frame in _sse(created(), text("half")):
        mapper.feed(frame)
    with pytest.raises(StreamInterruptedError) as caught:
        mapper.finish()
    assert caught.value.body_started is True
    with pytest.raises(StreamInterruptedError):
        ResponsesMapper("openai-responses").finish()


def test_a_whole_response_object_inside_a_stream_is_malformed() -> None:
    mapper = ResponsesMapper("openai-responses")
    mapper.feed(_sse(created())[0])
    whole = json.dumps({"object": "response", "status": "completed", "output": []})
    with pytest.raises(MalformedStreamError, match="not an OpenAI Responses stream"):
        mapper.feed(Frame(data=whole))

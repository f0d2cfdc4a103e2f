"""The Bedrock mapper: ConverseStream events (as the event-stream decoder frames them) to
chunks, exceptions inside the stream, stop reasons and usage."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rillet import (
    ContentChunk,
    ErrorChunk,
    ErrorCode,
    FinishReason,
    MalformedStreamError,
    RateLimitError,
    ReasoningChunk,
    StopChunk,
    StreamChunk,
    StreamingLLMResponse,
    StreamInterruptedError,
    ToolCallChunk,
    ToolCallEndChunk,
    ToolCallStartChunk,
    Usage,
)
from rillet.providers.bedrock._mapper import BedrockMapper
from rillet.transport import Frame


def _ev(name: str, **payload: Any) -> Frame:
    return Frame(name, json.dumps({**payload, "p": "abcdefgh"}))


def _text(index: int, text: str) -> Frame:
    return _ev("contentBlockDelta", contentBlockIndex=index, delta={"text": text})


def _stop(reason: str = "end_turn") -> Frame:
    return _ev("messageStop", stopReason=reason)


def _metadata(**usage: int) -> Frame:
    return _ev("metadata", usage=usage, metrics={"latencyMs": 12})


def _map(frames: list[Frame], *, finish: bool = True) -> list[StreamChunk]:
    mapper = BedrockMapper("bedrock")
    chunks = [chunk for frame in frames for chunk in mapper.feed(frame)]
    return chunks + list(mapper.finish()) if finish else chunks


_START = _ev("messageStart", role="assistant")


def test_text_blocks_start_with_their_first_delta_and_the_stop_waits_for_the_usage() -> None:
    chunks = _map(
        [
            _START,
            _text(0, "Hel"),
            _text(0, ""),
            _text(0, "lo"),
            _ev("contentBlockStop", contentBlockIndex=0),
            _stop("max_tokens"),
            _metadata(inputTokens=8, outputTokens=10, totalTokens=18),
        ]
    )
    assert [c.type for c in chunks] == ["start", "content", "content", "stop"]
    response = StreamingLLMResponse.from_chunks(chunks)
    assert response.text == "Hello"
    stop = chunks[-1]
    assert isinstance(stop, StopChunk)
    assert (stop.finish_reason, stop.provider_finish_reason) == (FinishReason.length, "max_tokens")
    assert stop.usage == Usage(input_tokens=8, output_tokens=10, total_tokens=18)


def test_tool_calls_start_at_block_start_and_their_input_comes_in_fragments() -> None:
    start = {"toolUse": {"toolUseId": "tooluse_1", "name": "weather"}}
    chunks = _map(
        [
            _START,
            _text(0, "Let me look."),
            _ev("contentBlockStart", contentBlockIndex=1, start=start),
            _ev("contentBlockDelta", contentBlockIndex=1, delta={"toolUse": {"input": ""}}),
            _ev("contentBlockDelta", contentBlockIndex=1, delta={"toolUse": {"input": '{"ci'}}),
            _ev("contentBlockDelta", contentBlockIndex=1, delta={"toolUse": {"input": 'ty":1}'}}),
            _ev("contentBlockStop", contentBlockIndex=1),
            _ev("contentBlockStart", contentBlockIndex=2, start={"toolUse": {"toolUseId": "t2"}}),
            _stop("tool_use"),
            _metadata(inputTokens=1, outputTokens=2),
        ]
    )
    calls = [c for c in chunks if isinstance(c, (ToolCallStartChunk, ToolCallEndChunk))]
    assert [(type(c).__name__, c.index, c.id) for c in calls] == [
        ("ToolCallStartChunk", 1, "tooluse_1"),
        ("ToolCallEndChunk", 1, "tooluse_1"),
        ("ToolCallStartChunk", 2, "t2"),
        ("ToolCallEndChunk", 2, "t2"),  # still open at messageStop: ended there
    ]
    assert [c.arguments_delta for c in chunks if isinstance(c, ToolCallChunk)] == ['{"ci', 'ty":1}']
    response = StreamingLLMResponse.from_chunks(chunks)
    assert [(c.name, c.arguments) for c in response.tool_calls] == [
        ("weather", {"city": 1}),
        ("", {}),
    ]
    assert response.finish_reason == FinishReason.tool_calls


def test_reasoning_text_signature_and_redacted_content_are_numbered_blocks() -> None:
    def reasoning(index: int, **delta: str) -> Frame:
        return _ev("contentBlockDelta", contentBlockIndex=index, delta={"reasoningContent": delta})

    chunks = _map(
        [
            _START,
            reasoning(0, text="Think"),
            reasoning(0, text="ing."),
            reasoning(0, signature="sig=="),
            reasoning(1, redactedContent="ZW5j"),
            _text(2, "Answer"),
            _stop(),
        ]
    )
    got = [
        (c.index, c.text, c.signature, c.encrypted_content)
        for c in chunks
        if isinstance(c, ReasoningChunk)
    ]
    assert got == [
        (0, "Think", None, None),
        (0, "ing.", None, None),
        (0, "", "sig==", None),
        (1, "", None, "ZW5j"),
    ]
    response = StreamingLLMResponse.from_chunks(chunks)
    assert response.reasoning == "Thinking."
    assert response.text == "Answer"


def test_cache_tokens_are_kept_with_the_usage() -> None:
    usage = {"inputTokens": 3, "outputTokens": 4, "totalTokens": 57}
    usage |= {"cacheReadInputTokens": 40, "cacheWriteInputTokens": 10}
    stop = _map([_START, _stop(), _metadata(**usage)])[-1]
    assert isinstance(stop, StopChunk)
    assert stop.usage == Usage(
        input_tokens=3,
        output_tokens=4,
        total_tokens=57,
        cached_input_tokens=40,
        cache_creation_input_tokens=10,
    )


def test_latency_trace_and_additional_fields_are_kept_as_provider_details() -> None:
    frames = [
        _START,
        _ev("messageStop", stopReason="end_turn", additionalModelResponseFields={"x": 1}),
        _ev("metadata", usage={"inputTokens": 1}, metrics={"latencyMs": 321}, trace={"t": 2}),
    ]
    stop = _map(frames)[-1]
    assert isinstance(stop, StopChunk)
    assert stop.provider_details == {
        "additionalModelResponseFields": {"x": 1},
        "metrics": {"latencyMs": 321},
        "trace": {"t": 2},
    }
    response = StreamingLLMResponse.from_chunks(_map(frames))
    assert response.provider_details == stop.provider_details


def test_without_metadata_the_stop_comes_at_the_end_without_usage() -> None:
    mapper = BedrockMapper("bedrock")
    assert [c.type for f in (_START, _text(0, "x"), _stop()) for c in mapper.feed(f)] == [
        "start",
        "content",
    ]
    (stop,) = mapper.finish()
    assert isinstance(stop, StopChunk) and stop.usage is None
    assert stop.finish_reason == FinishReason.stop


def test_a_body_that_ends_before_message_stop_was_interrupted() -> None:
    with pytest.raises(StreamInterruptedError, match="before messageStop"):
        _map([_START, _text(0, "cut")])


@pytest.mark.parametrize(
    ("raw", "unified"),
    [
        ("end_turn", FinishReason.stop),
        ("stop_sequence", FinishReason.stop),
        ("max_tokens", FinishReason.length),
        ("model_context_window_exceeded", FinishReason.length),
        ("tool_use", FinishReason.tool_calls),
        ("guardrail_intervened", FinishReason.content_filter),
        ("content_filtered", FinishReason.content_filter),
        ("malformed_tool_use", FinishReason.error),
        ("a_new_reason", FinishReason.other),
    ],
)
def test_stop_reasons(raw: str, unified: FinishReason) -> None:
    stop = _map([_START, _stop(raw), _metadata()])[-1]
    assert isinstance(stop, StopChunk)
    assert (stop.finish_reason, stop.provider_finish_reason) == (unified, raw)


@pytest.mark.parametrize(
    ("exception", "code", "retryable"),
    [
        ("throttlingException", ErrorCode.rate_limit, True),
        ("modelStreamErrorException", ErrorCode.server, True),
        ("internalServerException", ErrorCode.server, True),
        ("serviceUnavailableException", ErrorCode.overloaded, True),
        ("validationException", ErrorCode.invalid_request, False),
        ("modelTimeoutException", ErrorCode.server, True),
        ("serviceQuotaExceededException", ErrorCode.rate_limit, False),
        ("someNewException", ErrorCode.provider, False),
    ],
)
def test_an_exception_message_is_the_terminal_error_chunk(
    exception: str, code: ErrorCode, retryable: bool
) -> None:
    payload = {"message": "Too many requests"}
    frames = [_START, _text(0, "part"), Frame(f":exception:{exception}", json.dumps(payload))]
    chunks = _map([*frames, _stop(), _metadata()])  # nothing after it counts
    assert [c.type for c in chunks] == ["start", "content", "error"]
    error = chunks[-1]
    assert isinstance(error, ErrorChunk)
    assert (error.code, error.retryable, error.error_type) == (code, retryable, exception)
    assert (error.message, error.status_code, error.provider_error) == (
        "Too many requests",
        None,
        payload,
    )


def test_an_exception_raises_its_typed_error_with_the_partial_response() -> None:
    frames = [_START, _text(0, "Hi"), Frame(":exception:throttlingException", '{"message":"x"}')]
    with pytest.raises(RateLimitError) as caught:
        StreamingLLMResponse.from_chunks(_map(frames))
    assert caught.value.retryable
    assert caught.value.partial is not None and caught.value.partial.text == "Hi"


def test_an_error_message_and_an_exception_before_message_start_still_start_the_stream() -> None:
    chunks = _map([Frame(":error:InternalFailure", '{"message": "boom"}')])
    assert [c.type for c in chunks] == ["start", "error"]
    error = chunks[-1]
    assert isinstance(error, ErrorChunk)
    assert (error.error_type, error.message) == ("InternalFailure", "boom")
    bare = _map([Frame(":exception:", "not json")])[-1]
    assert isinstance(bare, ErrorChunk) and bare.provider_error == "not json"
    assert "Bedrock reported an exception" in bare.message


def test_a_text_delta_before_message_start_still_starts_the_stream_once() -> None:
    chunks = _map([_text(0, "Hi"), _START, _text(0, "!"), _stop(), _metadata(inputTokens=1)])
    assert [c.type for c in chunks] == ["start", "content", "content", "stop"]
    assert [c.text for c in chunks if isinstance(c, ContentChunk)] == ["Hi", "!"]


def test_unknown_events_and_deltas_are_skipped() -> None:
    frames = [
        _START,
        _ev("somethingNew", x=1),
        _ev("contentBlockDelta", contentBlockIndex=0, delta={"citation": {}}),
        _ev("contentBlockStart", contentBlockIndex=0, start={"image": {"format": "png"}}),
        _ev("contentBlockDelta", contentBlockIndex=5, delta={"toolUse": {"input": "{}"}}),
        _text(1, "kept"),
        _stop(),
    ]
    assert [c.type for c in _map(frames)] == ["start", "content", "stop"]


def test_a_json_body_is_not_a_stream() -> None:
    with pytest.raises(MalformedStreamError, match="not a Bedrock ConverseStream"):
        _map([Frame("message", '{"output": {}}')])


def test_an_event_of_the_wrong_shape_is_malformed() -> None:
    with pytest.raises(MalformedStreamError, match="not a valid"):
        _map([_START, _ev("contentBlockDelta", contentBlockIndex="x", delta={"text": 1})])

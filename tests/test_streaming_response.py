"""``StreamingLLMResponse``'s contract over plain chunk sources and batch sources: exactly one
terminal chunk, nothing after it, every failure a typed error carrying what arrived (with the
start chunk's metadata), and the error a complete response ends in raised after its stop chunk."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator, Sequence

import pytest

from rillet import (
    ConfigurationError,
    ContentChunk,
    FinishReason,
    InvalidToolArgumentsError,
    OverloadedError,
    RilletError,
    StartChunk,
    StopChunk,
    StreamChunk,
    StreamingLLMResponse,
    StreamInterruptedError,
    ToolCallChunk,
    ToolCallStartChunk,
)


async def _chunks(
    chunks: Sequence[StreamChunk], then: BaseException | None = None
) -> AsyncGenerator[StreamChunk, None]:
    for chunk in chunks:
        yield chunk
    if then is not None:
        raise then


async def _batches(
    batches: Sequence[Sequence[StreamChunk]],
) -> AsyncGenerator[Sequence[StreamChunk], None]:
    for batch in batches:
        yield batch


async def test_it_needs_exactly_one_source() -> None:
    with pytest.raises(
        ConfigurationError, match=r"^StreamingLLMResponse needs either chunks or batches$"
    ):
        StreamingLLMResponse()
    both = _chunks([])
    batches = _batches([])
    with pytest.raises(ConfigurationError, match="needs either chunks or batches"):
        StreamingLLMResponse(both, batches=batches)
    await both.aclose()
    await batches.aclose()


async def test_text_is_kept_unless_told_otherwise() -> None:
    chunks: list[StreamChunk] = [
        StartChunk(provider="p"),
        ContentChunk(text="kept"),
        StopChunk(finish_reason=FinishReason.stop),
    ]
    assert (await StreamingLLMResponse(_chunks(chunks)).get_response()).text == "kept"
    lean = StreamingLLMResponse(_chunks(chunks), keep_text=False)
    assert (await lean.get_response()).text == ""


async def test_a_source_ending_without_its_terminal_chunk_is_an_interrupted_stream() -> None:
    stream = StreamingLLMResponse(_chunks([StartChunk(provider="p"), ContentChunk(text="cu")]))
    seen = [chunk async for chunk in _until_error(stream)]
    assert [c.type for c in seen] == ["start", "content", "error"]
    with pytest.raises(StreamInterruptedError) as caught:
        await stream.__anext__()
    error = caught.value
    assert str(error) == "the stream ended before its terminal chunk"
    assert error.body_started is True and error.retryable is False
    assert error.partial is not None and error.partial.text == "cu"
    with pytest.raises(StopAsyncIteration):  # the error is raised once, then the stream is over
        await stream.__anext__()


async def _until_error(stream: StreamingLLMResponse) -> AsyncIterator[StreamChunk]:
    while True:
        chunk = await stream.__anext__()
        yield chunk
        if chunk.type == "error":
            return


async def test_a_bug_in_an_adapter_is_logged_and_named_in_the_rillet_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    source = _chunks([StartChunk(provider="p")], then=KeyError("choices"))
    with (
        caplog.at_level(logging.ERROR, logger="rillet.stream"),
        pytest.raises(RilletError) as caught,
    ):
        await StreamingLLMResponse(source).get_response()
    assert str(caught.value) == "the adapter failed: KeyError: 'choices'"
    assert isinstance(caught.value.__cause__, KeyError)
    [record] = caplog.records
    assert record.getMessage() == "adapter raised KeyError"
    assert record.exc_info is not None and record.exc_info[0] is KeyError


async def test_a_provider_error_mid_stream_carries_the_start_chunks_metadata() -> None:
    start = StartChunk(provider="p", request_id="req_9", headers={"x-request-id": "req_9"})
    source = _chunks([start, ContentChunk(text="par")], then=OverloadedError("busy"))
    stream = StreamingLLMResponse(source)
    with pytest.raises(OverloadedError) as caught:
        await stream.get_response()
    assert caught.value.request_id == "req_9"
    assert caught.value.headers == {"x-request-id": "req_9"}
    assert caught.value.partial is not None and caught.value.partial.request_id == "req_9"
    assert caught.value.partial.text == "par"


async def test_invalid_tool_arguments_are_raised_after_the_stop_chunk() -> None:
    chunks: list[StreamChunk] = [
        StartChunk(provider="p"),
        ToolCallStartChunk(index=0, id="a", name="f"),
        ToolCallChunk(index=0, arguments_delta="[1]"),
        StopChunk(finish_reason=FinishReason.tool_calls),
    ]
    for stream in (
        StreamingLLMResponse(_chunks(chunks)),
        StreamingLLMResponse(batches=_batches([chunks[:1], chunks[1:]])),
    ):
        seen = [await stream.__anext__() for _ in chunks]
        assert seen[-1].type == "stop"
        with pytest.raises(InvalidToolArgumentsError) as caught:
            await stream.__anext__()
        assert caught.value.raw_arguments == "[1]"
        with pytest.raises(StopAsyncIteration):
            await stream.__anext__()


async def test_batches_skip_empty_reads_and_nothing_after_the_terminal_chunk_is_kept() -> None:
    stop = StopChunk(finish_reason=FinishReason.stop)
    batches: list[list[StreamChunk]] = [
        [StartChunk(provider="p")],
        [],
        [],
        [ContentChunk(text="a"), ContentChunk(text="b")],
        [ContentChunk(text="c"), stop, ContentChunk(text="late")],
        [ContentChunk(text="later")],
    ]
    stream = StreamingLLMResponse(batches=_batches(batches))
    async with stream:
        texts = [c.text if isinstance(c, ContentChunk) else c.type async for c in stream]
    assert texts == ["start", "a", "b", "c", "stop"]
    assert stream.response.text == "abc"
    assert stream.accumulator.terminal is stop

"""``StreamingLLMResponse`` lets go of its source (and so of the connection) as soon as the
stream is over: at the terminal chunk, and on a failure, even while the consumer still holds
the stream; after ``aclose()`` it hands out nothing more."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from rillet import (
    ContentChunk,
    LLMClient,
    MalformedStreamError,
    RilletError,
    StartChunk,
    StreamChunk,
    StreamingLLMResponse,
    StreamInterruptedError,
)
from rillet.testing import FaultServer, Reply
from rillet.transport import HTTPTransport


def _chat_body(words: Sequence[str]) -> bytes:
    def frame(delta: dict[str, str], finish: str | None = None) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return json.dumps({"id": "c1", "model": "m", "choices": [choice]})

    frames = [frame({"role": "assistant"}), *(frame({"content": w}) for w in words)]
    frames += [frame({}, "stop"), "[DONE]"]
    return "".join(f"data: {f}\n\n" for f in frames).encode()


def _client(server: FaultServer, http: HTTPTransport) -> LLMClient:
    return LLMClient(
        provider="openai", model="m", api_key="k", base_url=server.url, options={"transport": http}
    )


def _connections_in_use(http: HTTPTransport) -> object:
    session = http._session
    connector = session.connector if session is not None else None
    return getattr(connector, "_acquired", ())  # aiohttp keeps no public count


async def test_the_terminal_chunk_releases_the_connection_while_the_stream_is_held(
    no_leaks: None,
) -> None:
    body = _chat_body(["a", "b"])
    async with FaultServer() as server, HTTPTransport() as http:
        # The server stalls before the end of the chunked body: only the client can end it.
        server.script(Reply(body=body, stall_after=len(body), stall_for=10.0))
        client = _client(server, http)
        async with client.stream("hi") as stream:
            types = [chunk.type async for chunk in stream]
            assert types[-1] == "stop"
            # Still inside the stream's context: the connection is already let go of.
            assert not _connections_in_use(http)
            await server.wait_finished(timeout=1.0)
            assert server.requests[0].disconnected
        assert stream.response.text == "ab"


async def test_no_chunk_is_handed_out_after_aclose(no_leaks: None) -> None:
    async with FaultServer() as server, HTTPTransport() as http:
        server.script(Reply(body=_chat_body(["a", "b", "c"])))  # one read: one batch
        client = _client(server, http)
        stream = client.stream("hi")
        # The first chunk comes alone; the second is the first of a batch of the rest.
        seen = [await stream.__anext__(), await stream.__anext__()]
        assert [chunk.type for chunk in seen] == ["start", "content"]
        await stream.aclose()
        assert [chunk async for chunk in stream] == []
        assert stream.response.text == "a"
        assert not _connections_in_use(http)


class _Source:
    """An async iterator of chunks (not a generator) that fails as scripted; records aclose."""

    def __init__(self, chunks: list[StreamChunk], then: BaseException) -> None:
        self._chunks = chunks
        self._then = then
        self.closed = False

    def __aiter__(self) -> _Source:
        return self

    async def __anext__(self) -> StreamChunk:
        if self.closed:
            raise AssertionError("read after aclose()")
        if self._chunks:
            return self._chunks.pop(0)
        raise self._then

    async def aclose(self) -> None:
        self.closed = True


class _Batches(_Source):
    async def __anext__(self) -> list[StreamChunk]:  # type: ignore[override]
        return [await super().__anext__()]


FAILURES: list[BaseException] = [
    StreamInterruptedError("reset", body_started=True),
    MalformedStreamError("bad frame"),
    StopAsyncIteration(),  # ended before its terminal chunk
    KeyError("choices"),  # a bug in an adapter
]


@pytest.mark.parametrize("then", FAILURES, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("kind", ["chunks", "batches"])
async def test_a_failure_lets_go_of_the_source_at_once(then: BaseException, kind: str) -> None:
    chunks: list[StreamChunk] = [StartChunk(provider="p"), ContentChunk(text="par")]
    if kind == "chunks":
        source: _Source = _Source(chunks, then)
        stream = StreamingLLMResponse(source)
    else:
        source = _Batches(chunks, then)
        stream = StreamingLLMResponse(batches=source)  # type: ignore[arg-type]
    seen = [await stream.__anext__(), await stream.__anext__()]
    error_chunk = await stream.__anext__()
    assert [c.type for c in seen] == ["start", "content"] and error_chunk.type == "error"
    assert source.closed  # before the consumer closes anything
    with pytest.raises(RilletError) as caught:
        await stream.__anext__()
    assert caught.value.partial is not None and caught.value.partial.text == "par"


async def test_a_failure_before_any_chunk_is_raised_and_the_source_closed() -> None:
    source = _Source([], StreamInterruptedError("refused"))
    stream = StreamingLLMResponse(source)
    with pytest.raises(StreamInterruptedError):
        await stream.__anext__()
    assert source.closed

"""A live stream's reads (one event per network read) against a real server: each takes the one
chunk aiohttp's reader buffers without ``read_nowait``, which resumes the connection on every
read whether it was paused or not (a parser call and a transport call per event), and aiohttp's
flow control still holds: a paused connection is resumed by the read that drains it, and the
ends of the chunks read past are dropped as aiohttp itself drops them."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp.client_proto import ResponseHandler

from rillet import StreamInterruptedError
from rillet.testing import FaultServer, Reply
from rillet.transport import HTTPTransport, Timeout

from ._support import ReaderProtocol, datas, reader_stream, sse

# A small reader: it pauses the connection past 16 chunks not read past (a sixteenth of the
# read buffer; aiohttp 3.14 raises its limit in bytes to the size of the first read, not this).
_READ_BUFSIZE = 256


@pytest.fixture
async def small_reader_transport(no_leaks: None) -> AsyncIterator[HTTPTransport]:
    async with (
        aiohttp.ClientSession(read_bufsize=_READ_BUFSIZE) as session,
        HTTPTransport(session=session, timeout=Timeout(idle=5.0)) as http,
    ):
        yield http


@pytest.fixture
def flow_control(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often any connection was paused and resumed."""
    calls = {"pause_reading": 0, "resume_reading": 0}

    def counting(name: str) -> Callable[..., None]:
        method = getattr(ResponseHandler, name)

        def counted(self: ResponseHandler, *args: Any, **kwargs: Any) -> None:
            calls[name] += 1
            method(self, *args, **kwargs)

        return counted

    for name in calls:
        monkeypatch.setattr(ResponseHandler, name, counting(name))
    return calls


async def _live(http: HTTPTransport, events: list[str], size: int, delay: float) -> list[str]:
    body = sse(*events)
    cuts = list(itertools.accumulate(len(sse(event)) for event in events))[:-1]
    async with FaultServer() as server:
        server.script(Reply(body=body, chunks=cuts, chunk_delay=delay))
        async with http.stream("POST", server.url, headers={}, body=b"{}") as stream:
            received = [frame.data async for frame in stream]
            assert stream.bytes_received == len(body) == size
    return received


async def test_live_reads_neither_pause_nor_resume_the_connection(
    small_reader_transport: HTTPTransport, flow_control: dict[str, int]
) -> None:
    # 60 chunks, each read alone: were the chunks' ends not dropped as they are read past,
    # the 17th would pause the connection; were the bytes taken not counted off the reader's
    # buffer, it would pause past 128 KiB (the 44th), never to resume.
    # (The first is small: the reader's limit in bytes is 512 until the first read.)
    events = ["first"] + [f"{i:02d}" + "x" * 3000 for i in range(60)]
    size = len(sse(*events))
    assert await _live(small_reader_transport, events, size, 0.01) == events
    assert flow_control["pause_reading"] == 0
    # The end of the body resumes it once; a read that found two chunks buffered (a loaded
    # machine) goes through read_nowait, which resumes it. A resume per read would be 60.
    assert flow_control["resume_reading"] <= len(events) // 4, flow_control


async def test_a_paused_connection_is_resumed_by_the_read_that_drains_it(
    no_leaks: None,
) -> None:
    # One event buffered, the connection paused (past the high-water mark, or too many chunks
    # on an aiohttp that counts them): the read that takes it resumes the connection, or no
    # more bytes would ever come.
    protocol = ReaderProtocol()
    content = aiohttp.StreamReader(protocol, 1 << 16, loop=asyncio.get_running_loop())  # type: ignore[arg-type]
    frames = reader_stream(content, protocol, first=sse("first"))
    try:
        assert [frame.data for frame in frames.take_nowait() or []] == ["first"]
        for i in range(3):
            content.feed_data(sse(f"e{i}"))
            protocol.pause_reading()
            await frames.wait()
            assert [frame.data for frame in frames.take_nowait() or []] == [f"e{i}"]
            assert not protocol._reading_paused and protocol.resumed == i + 1
        # Not paused: the read leaves the connection alone.
        content.feed_data(sse("e3"))
        await frames.wait()
        assert [frame.data for frame in frames.take_nowait() or []] == ["e3"]
        assert protocol.resumed == 3
    finally:
        await frames.aclose()


async def test_a_wait_that_begins_on_a_lost_connection_fails_at_once(no_leaks: None) -> None:
    # The connection is gone and neither the reader nor the guard was told (the consumer was
    # busy as it broke): the wait must fail now, not wait for bytes that cannot come.
    protocol = ReaderProtocol()
    content = aiohttp.StreamReader(protocol, 1 << 16, loop=asyncio.get_running_loop())  # type: ignore[arg-type]
    frames = reader_stream(content, protocol, first=sse("first"))
    assert [frame.data for frame in frames.take_nowait() or []] == ["first"]
    protocol.connected = False
    with pytest.raises(StreamInterruptedError) as raised:
        try:
            await asyncio.wait_for(frames.wait(), 2.0)
        except BaseException as exc:
            frames.wait_failed(exc)
    assert raised.value.body_started and datas(raised.value.frames) == ["first"]

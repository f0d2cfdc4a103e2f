"""The idle timeout of a body (``ReadGuard``; ``Timeout.idle``: the longest silence between two
received bytes): a body silent for ``idle`` fails between ``idle`` and a quarter more after its
last byte, whether its consumer waits for the next bytes or is busy elsewhere (what came before
is read first); a connection paused by backpressure is not silent; bytes that keep coming keep
a stream alive however long it runs. Over a real server, every way of reading and waiting."""

from __future__ import annotations

import asyncio
import time

import pytest

from rillet import IdleTimeoutError
from rillet.testing import FaultServer, Reply
from rillet.transport import HTTPTransport, Timeout

from ._support import datas, sse

pytestmark = pytest.mark.usefixtures("every_read_path")

IDLE = 0.4
EVENTS = [("message", f"e{i}") for i in range(6)]
BODY = sse(*EVENTS)
FIRST = len(sse(*EVENTS[:1]))  # the first event's bytes


@pytest.fixture
async def transport(no_leaks: None) -> HTTPTransport:
    return HTTPTransport(timeout=Timeout(connect=2.0, idle=IDLE), max_retries=0)


async def test_a_waiting_read_fails_between_idle_and_a_quarter_more(
    server: FaultServer, transport: HTTPTransport
) -> None:
    # Three events a third of idle apart, then silence: the last byte comes at some moment
    # between two of the guard's checks, not just after it started.
    three = len(sse(*EVENTS[:3]))
    ends = [len(sse(*EVENTS[:1])), len(sse(*EVENTS[:2])), three]
    server.script(
        Reply(body=BODY, chunks=ends, chunk_delay=IDLE / 3, stall_after=three, stall_for=5.0)
    )
    async with transport:
        with pytest.raises(IdleTimeoutError) as caught:
            async with transport.stream("POST", server.url, headers={}) as frames:
                async for _ in frames:
                    began = time.monotonic()  # the next read waits from here
    waited = time.monotonic() - began
    assert IDLE <= waited < IDLE * 1.25 + 0.15
    assert datas(caught.value.frames) == ["e0", "e1", "e2"]


async def test_a_silent_body_fails_while_its_consumer_is_busy(
    server: FaultServer, transport: HTTPTransport
) -> None:
    # The consumer is busy for longer than the idle timeout while the server says nothing: the
    # stall is the server's, and the next read reports it at once, after the frames before it.
    server.script(Reply(body=BODY, stall_after=FIRST, stall_for=5.0))
    received: list[str] = []
    async with transport:
        with pytest.raises(IdleTimeoutError) as caught:
            async with transport.stream("POST", server.url, headers={}) as frames:
                async for frame in frames:
                    received.append(frame.data)
                    await asyncio.sleep(IDLE * 1.5)
                    resumed = time.monotonic()
    assert time.monotonic() - resumed < IDLE / 2
    assert received == datas(caught.value.frames) == ["e0"]


async def test_a_consumer_behind_a_fast_stream_is_not_timed_out(
    server: FaultServer, transport: HTTPTransport
) -> None:
    # 4 MB at once: aiohttp pauses the connection (backpressure) while the consumer sleeps, and
    # no byte comes in because none is read, not because the server is silent.
    events = [("message", "x" * 4000 + str(i)) for i in range(1000)]
    server.script(Reply(body=sse(*events)))
    async with transport, transport.stream("POST", server.url, headers={}) as frames:
        received: list[str] = []
        async for frame in frames:
            if not received:
                await asyncio.sleep(IDLE * 2)
            received.append(frame.data)
    assert received == [data for _, data in events]


async def test_bytes_that_keep_coming_keep_a_stream_alive(
    server: FaultServer, transport: HTTPTransport
) -> None:
    # Six events 0.6 idle apart: each read waits less than idle, the stream lasts 3.6 of them.
    ends = [len(sse(*EVENTS[: i + 1])) for i in range(len(EVENTS) - 1)]
    server.script(Reply(body=BODY, chunks=ends, chunk_delay=IDLE * 0.6))
    async with transport, transport.stream("POST", server.url, headers={}) as frames:
        received = [frame.data async for frame in frames]
    assert received == [data for _, data in EVENTS]

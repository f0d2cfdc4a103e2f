"""Bytes that break HTTP/1.1 itself: a typed, non-retryable protocol error that keeps what came
before the fault, never a retried "connection error", and never a read that waits for ever.

The server writes exact bytes (``RawServer``): aiohttp's own server cannot write a bad
chunk-size line. Every test bounds its wall time, so that a hang fails instead of blocking CI.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import types
import zlib
from collections.abc import AsyncIterator, Awaitable
from typing import Any, TypeVar, cast

import aiohttp
import pytest
from aiohttp import http_parser

from rillet import HTTPProtocolError, IdleTimeoutError, LLMClient, MalformedStreamError
from rillet.testing import FaultServer, Reply
from rillet.transport import HTTPTransport, RetryPolicy, Timeout
from rillet.transport import _http as http_module
from rillet.transport._read_guard import ReadGuard

from ._raw_server import Part, RawServer, chunk, head
from ._support import SleepRecorder, assert_no_connection_in_use, datas, sse

# Every fault, over every way of reading and waiting for bytes (see every_read_path).
pytestmark = pytest.mark.usefixtures("every_read_path")

T = TypeVar("T")
IDLE = 2.0
BOUND = IDLE + 3.0  # a test that takes longer has hung: it fails instead of waiting on
BIG = "X-Big: " + "a" * 100_000


@pytest.fixture
async def transport(no_leaks: None, sleeps: SleepRecorder) -> AsyncIterator[HTTPTransport]:
    async with HTTPTransport(
        timeout=Timeout(connect=2.0, idle=IDLE),
        retry_policy=RetryPolicy(jitter=0.0, sleep=sleeps),
    ) as http:
        yield http
        assert_no_connection_in_use(http)


async def bounded(awaitable: Awaitable[T]) -> T:
    return await asyncio.wait_for(awaitable, BOUND)


async def frames_until_error(
    http: HTTPTransport, url: str, *, pause: float = 0.0
) -> tuple[list[str], Exception]:
    """The data of the frames handed out, and the error that ended the stream; a consumer
    that ``pause``s after each frame is busy while the next bytes come."""
    received: list[str] = []
    try:
        async with http.stream("POST", url, headers={}, body=b"{}") as stream:
            async for frame in stream:
                received.append(frame.data)
                if pause:
                    await asyncio.sleep(pause)
    except Exception as error:
        return received, error
    raise AssertionError(f"the stream ended without an error after {received}")


def partial_gzip(data: bytes) -> bytes:
    """``data`` gzipped and flushed, so that it decodes without the end of the gzip stream."""
    compressor = zlib.compressobj(wbits=31)
    return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)


FAULTS_AFTER_THE_BODY_BEGAN: dict[str, list[Part]] = {
    # The hang: the bad line 0.2 s after the first valid chunk.
    "bad chunk-size line 0.2 s later": [head(), chunk(sse("a")), chunk(sse("b")), 0.2, b"zz\r\n"],
    "bad chunk-size line 0.05 s later": [head(), chunk(sse("a")), chunk(sse("b")), 0.05, b"zz\r\n"],
    "bad chunk-size line, then the server closes": [head(), chunk(sse("a b")), 0.05, b"zz\r\n"],
    "100 KB trailer": [head(), chunk(sse("a")), 0.05, b"0\r\n" + BIG.encode() + b"\r\n\r\n"],
    "gzip that stops decoding": [
        head("Content-Encoding: gzip"),
        chunk(partial_gzip(sse("a"))),
        0.05,
        chunk(b"this is not deflate data"),
    ],
}
FIRST_DATA = {
    "bad chunk-size line 0.2 s later": ["a", "b"],
    "bad chunk-size line 0.05 s later": ["a", "b"],
    "bad chunk-size line, then the server closes": ["a b"],
    "100 KB trailer": ["a"],
    "gzip that stops decoding": ["a"],
}


@pytest.mark.parametrize("fault", list(FAULTS_AFTER_THE_BODY_BEGAN))
async def test_fault_after_the_body_began_keeps_the_frames_and_ends_at_once(
    transport: HTTPTransport, fault: str
) -> None:
    async with RawServer(FAULTS_AFTER_THE_BODY_BEGAN[fault]) as server:
        started = time.monotonic()
        received, error = await bounded(frames_until_error(transport, server.url))
        elapsed = time.monotonic() - started
    assert isinstance(error, HTTPProtocolError), repr(error)
    assert isinstance(error, MalformedStreamError) and not error.retryable
    assert received == datas(error.frames) == FIRST_DATA[fault]
    assert server.requests == 1
    # aiohttp reports the fault to no one; the connection closing tells the read at once,
    # well within the idle timeout.
    assert elapsed < IDLE / 2


FAULTS_BEFORE_THE_BODY: dict[str, list[Part]] = {
    "100 KB header": [head(BIG), chunk(sse("a")), b"0\r\n\r\n"],
    "bad chunk-size line with the headers": [head() + chunk(sse("a")) + b"zz\r\n"],
    "gzip on a plain body": [head("Content-Encoding: gzip"), chunk(sse("a")), b"0\r\n\r\n"],
    "bad status line": [b"HTTP/1.1 two hundred OK\r\n\r\n"],
}


@pytest.mark.parametrize("fault", list(FAULTS_BEFORE_THE_BODY))
async def test_fault_before_the_body_is_not_retried(
    transport: HTTPTransport, sleeps: SleepRecorder, fault: str
) -> None:
    async with RawServer(FAULTS_BEFORE_THE_BODY[fault]) as server:
        received, error = await bounded(frames_until_error(transport, server.url))
    assert isinstance(error, HTTPProtocolError), repr(error)
    assert not error.retryable and error.frames == [] and received == []
    assert server.requests == 1 and sleeps.delays == []
    assert "not valid HTTP" in error.message


async def test_the_message_names_the_fault_and_holds_no_secret(transport: HTTPTransport) -> None:
    key = "sk-proj-SECRETSECRETSECRET"
    script = [head(f"X-Echo: {key}" + "a" * 100_000), chunk(sse("a"))]
    async with RawServer(script) as server:
        _, error = await bounded(frames_until_error(transport, server.url))
    assert isinstance(error, HTTPProtocolError)
    assert "more than 8190 bytes" in error.message and key not in f"{error} {error!r}"
    assert len(error.message) < 400


def _chat_chunk(text: str) -> bytes:
    body = {"id": "c1", "model": "m", "choices": [{"index": 0, "delta": {"content": text}}]}
    return f"data: {json.dumps(body)}\n\n".encode()


def _gemini_element(text: str) -> bytes:
    return json.dumps({"candidates": [{"content": {"parts": [{"text": text}]}}]}).encode()


CLIENT_SCRIPTS: dict[str, list[Part]] = {
    "openai": [head(), chunk(_chat_chunk("Hel")), chunk(_chat_chunk("lo")), 0.2, b"zz\r\n"],
    "gemini": [
        head(content_type="application/json"),
        chunk(b"[" + _gemini_element("Hel")),
        chunk(b"," + _gemini_element("lo")),
        0.2,
        b"0\r\n" + BIG.encode() + b"\r\n\r\n",
    ],
}


@pytest.mark.parametrize("provider", list(CLIENT_SCRIPTS))
async def test_client_partial_holds_the_text_before_the_fault(
    no_leaks: None, provider: str
) -> None:
    async with (
        RawServer(CLIENT_SCRIPTS[provider]) as server,
        LLMClient(
            provider=provider, model="m", api_key="k", base_url=server.url, timeout=IDLE
        ) as client,
    ):
        with pytest.raises(HTTPProtocolError) as caught:
            await bounded(client.call("hi"))
    error = caught.value
    assert not error.retryable and error.partial is not None
    assert error.partial.text == "Hello"
    assert server.requests == 1


async def test_idle_timeout_holds_without_aiohttps_read_timer(
    monkeypatch: pytest.MonkeyPatch, transport: HTTPTransport
) -> None:
    # aiohttp drops its sock_read timer in some failures; rillet's own deadline must still end
    # a read that waits: here aiohttp is given no read timer at all.
    def without_read_timer(timeout: Timeout, total: float | None) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(total=total, sock_connect=timeout.connect, sock_read=None)

    monkeypatch.setattr(http_module, "client_timeout", without_read_timer)
    body = sse("a", "b", "c")
    async with FaultServer() as server:
        server.script(Reply(body=body, stall_after=len(sse("a", "b")), stall_for=30.0))
        started = time.monotonic()
        received, error = await bounded(frames_until_error(transport, server.url))
        elapsed = time.monotonic() - started
    assert isinstance(error, IdleTimeoutError) and error.body_started
    assert received == datas(error.frames) == ["a", "b"]
    assert IDLE * 0.9 <= elapsed < IDLE + 1.0


async def test_a_live_stream_arms_no_timer_per_read(
    monkeypatch: pytest.MonkeyPatch, transport: HTTPTransport
) -> None:
    # A live model sends one event per read: a timer armed per read (aiohttp's sock_read is
    # re-armed on every packet) would cost a heap push and a cancel per event. Once the body
    # has started, only the guard's single timer bounds the reads.
    loop = asyncio.get_running_loop()
    armed: list[str] = []
    call_at = loop.call_at

    def counting_call_at(when: float, callback: Any, *args: Any, **kwargs: Any) -> Any:
        armed.append(getattr(callback, "__qualname__", ""))
        return call_at(when, callback, *args, **kwargs)

    monkeypatch.setattr(loop, "call_at", counting_call_at)
    events = [f"e{i}" for i in range(60)]
    body = sse(*events)
    cuts = list(itertools.accumulate(len(sse(e)) for e in events))[:-1]
    async with FaultServer() as server:
        server.script(Reply(body=body, chunks=cuts, chunk_delay=0.002))
        async with transport.stream("POST", server.url, headers={}, body=b"{}") as stream:
            received = [frame.data async for frame in stream]
    assert received == events
    read_timers = [name for name in armed if "read_timeout" in name.lower()]
    assert len(read_timers) <= 3, read_timers  # the headers and the first bytes only


@pytest.mark.skipif(
    http_parser.HttpResponseParser is http_parser.HttpResponseParserPy,
    reason="aiohttp's pure-Python parser fails the reader itself, dropping what is buffered",
)
async def test_bytes_before_the_fault_reach_a_busy_consumer(transport: HTTPTransport) -> None:
    # "b" and the bad line come in one write while the consumer is busy with "a": "b" waits in
    # aiohttp's buffer when the connection closes, and must still be read before the error.
    script: list[Part] = [head(), chunk(sse("a")), 0.05, chunk(sse("b")) + b"zz\r\n"]
    async with RawServer(script) as server:
        received, error = await bounded(frames_until_error(transport, server.url, pause=0.2))
    assert isinstance(error, HTTPProtocolError)
    assert received == datas(error.frames) == ["a", "b"]


class _Protocol:
    """What aiohttp's ``StreamReader`` and the guard ask of a connection."""

    connected = True
    _reading_paused = False

    def __init__(self) -> None:
        self.closed = asyncio.get_running_loop().create_future()

    def exception(self) -> BaseException | None:
        return None

    def pause_reading(self) -> None:
        self._reading_paused = True

    def resume_reading(self, resume_parser: bool = True) -> None:
        self._reading_paused = False


async def test_bytes_that_come_in_the_turn_of_the_deadline_are_no_timeout(no_leaks: None) -> None:
    # A busy loop runs the arrival of bytes and the idle deadline in one turn: the read they
    # wake has not resumed yet when the deadline is checked, and must not be failed.
    loop = asyncio.get_running_loop()
    content = aiohttp.StreamReader(cast(Any, _Protocol()), 1 << 16, loop=loop)
    response = cast(aiohttp.ClientResponse, types.SimpleNamespace(content=content, connection=None))
    guard = ReadGuard(response, idle=0.1)
    try:
        first = asyncio.create_task(guard.read(100))
        await asyncio.sleep(0)  # the read waits
        # The guard checks every 0.025 s; the one due after 0.1 s (past the deadline) and the
        # bytes due at 0.2 s both run in the turn after the busy spell, the check first.
        loop.call_later(0.2, content.feed_data, b"a")
        loop.call_later(0.11, time.sleep, 0.19)  # the loop is busy past both
        assert await bounded(first) == b"a"
        content.feed_data(b"b")
        assert await bounded(guard.read(100)) == b"b"
        content.feed_eof()
        assert await bounded(guard.read(100)) == b""  # the body ends whole: no failure was set
    finally:
        guard.close()


async def test_the_fault_server_scripts_a_broken_framing(transport: HTTPTransport) -> None:
    body = sse("a", "b", "c")
    async with FaultServer() as server:
        server.script(Reply(body=body, chunks=[3], corrupt_after=len(sse("a", "b")) + 2))
        received, error = await bounded(frames_until_error(transport, server.url))
        await server.wait_finished()
    assert isinstance(error, HTTPProtocolError) and not error.retryable
    assert received == datas(error.frames) == ["a", "b"]
    assert len(server.requests) == 1 and server.requests[0].disconnected


async def test_a_read_that_begins_on_a_lost_connection_raises_the_fault(
    monkeypatch: pytest.MonkeyPatch, transport: HTTPTransport
) -> None:
    # The consumer is busy while the connection breaks, and reads again before the guard has
    # heard of it (here: never): aiohttp's reader then raises a bare RuntimeError.
    monkeypatch.setattr(ReadGuard, "_on_lost", lambda self, closed: None)
    script: list[Part] = [head(), chunk(sse("a")), 0.05, b"zz\r\n"]
    async with RawServer(script) as server:
        received, error = await bounded(frames_until_error(transport, server.url, pause=0.3))
    assert isinstance(error, HTTPProtocolError)
    assert received == datas(error.frames) == ["a"]


async def test_the_first_read_on_a_lost_connection_raises_the_fault(no_leaks: None) -> None:
    loop = asyncio.get_running_loop()
    protocol = _Protocol()
    protocol.connected = False  # gone, and the guard not told yet
    content = aiohttp.StreamReader(cast(Any, protocol), 1 << 16, loop=loop)
    connection = types.SimpleNamespace(protocol=protocol)
    response = cast(
        aiohttp.ClientResponse, types.SimpleNamespace(content=content, connection=connection)
    )
    guard = ReadGuard(response, idle=1.0)
    try:
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await guard.read(100)
    finally:
        guard.close()

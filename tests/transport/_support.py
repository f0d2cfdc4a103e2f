"""Helpers shared by the transport tests."""

from __future__ import annotations

import asyncio
import types
from collections.abc import Sequence
from typing import Any

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy

from rillet.transport import Frame, FrameStream, HTTPTransport, SSEDecoder, Timeout
from rillet.transport._read_guard import ReadGuard
from rillet.transport._stream import Decoder


class SleepRecorder:
    """Stands in for ``asyncio.sleep`` in retry back-off: records the delay, waits for nothing."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(0)


def pairs(frames: Sequence[object]) -> list[tuple[str, str]]:
    """``(event, data)`` of each frame an error carries (typed ``object`` in the error tree)."""
    events = [frame for frame in frames if isinstance(frame, Frame)]
    assert len(events) == len(frames)
    return [(event.event, event.data) for event in events]


def datas(frames: Sequence[object]) -> list[str]:
    return [data for _, data in pairs(frames)]


def sse(*events: str | tuple[str, str], eol: str = "\n") -> bytes:
    """An SSE body: plain strings are ``data:`` events, pairs are ``(event, data)``."""
    parts = []
    for item in events:
        if isinstance(item, tuple):
            parts.append(f"event: {item[0]}{eol}data: {item[1]}{eol}{eol}")
        else:
            parts.append(f"data: {item}{eol}{eol}")
    return "".join(parts).encode()


async def collect(
    http: HTTPTransport,
    url: str,
    *,
    timeout: Timeout | float | None = None,
    max_retries: int | None = None,
) -> list[str]:
    """The data of every frame of one call."""
    async with http.stream(
        "POST", url, headers={}, body=b"{}", timeout=timeout, max_retries=max_retries
    ) as stream:
        return [event.data async for event in stream]


def assert_no_connection_in_use(http: HTTPTransport) -> None:
    """No connection is still checked out of the pool (each one was released or closed)."""
    session = http._session
    connector = session.connector if session is not None else None
    acquired: object = getattr(connector, "_acquired", ())  # aiohttp keeps no public count
    assert not acquired, f"connections still in use: {acquired}"


class ReaderProtocol:
    """What aiohttp's ``StreamReader`` and ``ReadGuard`` ask of a connection, with the
    connection's resumes counted: a ``FrameStream`` over a reader fed by the test itself."""

    connected = True

    def __init__(self) -> None:
        self._reading_paused = False
        self.resumed = 0
        self.closed = asyncio.get_running_loop().create_future()  # the guard watches it

    def exception(self) -> BaseException | None:
        return None

    def pause_reading(self) -> None:
        self._reading_paused = True

    def resume_reading(self, resume_parser: bool = True) -> None:
        self._reading_paused = False
        self.resumed += 1


def reader_stream(
    content: aiohttp.StreamReader,
    protocol: ReaderProtocol,
    *,
    first: bytes,
    decoder: Decoder | None = None,
    secrets: tuple[str, ...] = (),
) -> FrameStream:
    """The ``FrameStream`` the transport would make of a response read from ``content``, whose
    ``first`` read (never empty) has been taken."""
    response: Any = types.SimpleNamespace(
        status=200,
        headers=CIMultiDictProxy(CIMultiDict({"content-type": "text/event-stream"})),
        content=content,
        connection=types.SimpleNamespace(protocol=protocol),
        release=lambda: None,
        close=lambda: None,
    )
    return FrameStream(
        response,
        SSEDecoder() if decoder is None else decoder,
        first,
        ReadGuard(response, None),
        content_type="text/event-stream",
        retries=0,
        timeout=Timeout(),
        method="POST",
        url="http://test",
        secrets=secrets,
    )

"""``ReadGuard``: no read of a response body waits for ever, whatever the server sends.

aiohttp ends a stalled read with its ``sock_read`` timer, and a read on a connection that
breaks with an error. Not always: after a parser error in the body (a bad chunk-size line, an
over-long trailer) it drops that timer and closes the connection without telling the body's
reader, whose read then waits for ever. The guard makes the idle timeout rillet's own promise:

- when the connection closes while the body has neither ended nor failed, the body ends at
  once: its reader gets what is still buffered (bytes that came before the fault), then the end
  of the body, and ``fault`` says why (the parser's error that aiohttp kept on the connection's
  protocol), for the reader to raise instead of taking the end as a complete body;
- when the connection breaks with bytes still buffered, a reader gets them before the error
  (``salvage``): aiohttp's own reader raises the error first and drops them;
- a body silent for ``idle`` seconds fails (``Timeout.idle``: the longest silence between two
  received bytes), between ``idle`` and ``1.25 * idle`` after its last byte, whether a read
  waits then or the consumer is busy elsewhere; what was received before stays readable first.
  A connection paused by backpressure (a consumer behind a fast stream) is not silent. One
  timer per response checks the count of bytes received, ``_TICKS`` times per ``idle``: the
  reads themselves do nothing for it (a timer per read would cost a heap push and a cancel on
  every read; a stamp per read, a clock call and a write to the guard, whose memory has gone
  cold since the stream's last event when a thousand streams are live).
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from aiohttp.http_exceptions import HttpProcessingError

__all__ = ["ReadGuard"]

_TICKS = 4
"""Checks per ``idle``: a silent body fails ``idle`` to ``(1 + 1 / _TICKS) * idle`` after its last
byte, the timer firing ``_TICKS`` times per ``idle`` seconds (4 a minute by default)."""


class ReadGuard:
    """Watches one response's body from the headers until ``close()``."""

    __slots__ = (
        "_bytes_seen",
        "_closed",
        "_content",
        "_handle",
        "_idle",
        "_loop",
        "_protocol",
        "_silent_from",
        "fault",
    )

    def __init__(self, response: aiohttp.ClientResponse, idle: float | None) -> None:
        loop = asyncio.get_running_loop()
        self._loop = loop
        # What the checks saw: the bytes received so far, and since when no more came.
        self._bytes_seen = -1
        self._silent_from = 0.0
        self.fault: BaseException | None = None
        """Why the guard ended the body early; a reader that meets the end raises it."""
        self._content = response.content
        self._idle = idle
        self._handle: asyncio.Handle | None = None
        if idle is not None:
            self._handle = loop.call_at(loop.time() + idle / _TICKS, self._check)
        connection = response.connection
        self._protocol: Any = None if connection is None else connection.protocol
        self._closed: asyncio.Future[None] | None = None
        if self._protocol is not None:
            closed = self._protocol.closed  # None (aiohttp >= 3.12) once the connection is lost
            if closed is None or closed.done():
                self._end_body()
            else:
                # Whoever creates this future must see its exception retrieved: _retrieve
                # stays on it (once) after this stream lets go of the connection.
                closed.remove_done_callback(_retrieve)
                closed.add_done_callback(_retrieve)
                closed.add_done_callback(self._on_lost)
                self._closed = closed

    async def read(self, size: int) -> bytes:
        """One guarded read."""
        try:
            return await self._content.read(size)
        except RuntimeError as exc:
            cause = self.cause_of(exc)
            if cause is exc:
                raise
            raise cause from exc
        except Exception as exc:
            kept = self.salvage(exc)
            if not kept:
                raise
            return kept

    def own_idle_timeout(self) -> None:
        """From now on the guard alone bounds the body's reads: aiohttp's ``sock_read`` timer,
        re-armed on every packet (a heap push and a cancel per read, a tenth of a live stream's
        CPU), is turned off for the rest of this response. The next request on the connection
        sets it again. Called once the body has started, so the wait for the headers and the
        first bytes keeps aiohttp's bound too."""
        protocol = self._protocol
        if self._idle is not None and protocol is not None and hasattr(protocol, "read_timeout"):
            protocol.read_timeout = None

    def salvage(self, exc: BaseException) -> bytes:
        """The body bytes that came before the failure ``exc`` and were not read yet.

        When the connection breaks, aiohttp's reader raises the failure at once, ahead of what
        it still buffers: a consumer slower than the network would lose bytes that did arrive.
        They are taken here; the next read raises ``exc`` again (the reader keeps it). Empty
        when nothing is buffered, or when ``exc`` is not the reader's kept failure.
        """
        content = self._content
        buffer = getattr(content, "_buffer", None)  # aiohttp has no public way to drain it
        if not buffer or content.exception() is not exc:
            return b""
        data = b"".join(buffer)[getattr(content, "_buffer_offset", 0) :]
        buffer.clear()
        content._buffer_offset = 0
        content._size = 0
        return data

    def cause_of(self, exc: BaseException) -> BaseException:
        """What a read's ``exc`` stands for. aiohttp's reader raises a bare ``RuntimeError``
        for a read that begins on a connection already gone, before the guard heard of it:
        that is the parser's error, or a lost connection."""
        protocol = self._protocol
        if isinstance(exc, RuntimeError) and protocol is not None and not protocol.connected:
            return self._parser_error() or aiohttp.ServerDisconnectedError()
        return exc

    def close(self) -> None:
        """Stop watching: the body ended, or the response is being closed. Idempotent."""
        handle, self._handle = self._handle, None
        if handle is not None:
            handle.cancel()
        closed, self._closed = self._closed, None
        if closed is not None:
            closed.remove_done_callback(self._on_lost)

    def _check(self) -> None:
        idle = self._idle
        assert idle is not None  # the timer runs only with an idle timeout
        now = self._loop.time()
        received = self._content.total_bytes
        if received != self._bytes_seen or self._paused():
            self._bytes_seen, self._silent_from = received, now
        elif now - self._silent_from >= idle:
            # Bytes may have come in this same turn of the loop, not counted yet: decide on
            # the next turn, after them.
            self._handle = self._loop.call_soon(self._expire, received)
            return
        self._handle = self._loop.call_at(now + idle / _TICKS, self._check)

    def _expire(self, received: int) -> None:
        if self._content.total_bytes != received or self._paused():
            self._check()  # bytes came after all: watch on
            return
        self._handle = None
        self._fail(aiohttp.ServerTimeoutError(f"no data for {self._idle} s"))

    def _paused(self) -> bool:
        """Whether the connection is paused by backpressure (no bytes come because none are
        read, not because the server is silent)."""
        return bool(getattr(self._protocol, "_reading_paused", False))

    def _on_lost(self, closed: asyncio.Future[None]) -> None:
        if self._closed is closed:
            self._end_body()

    def _end_body(self) -> None:
        """The connection is gone: end a body that neither ended nor failed, keeping what is
        buffered (an error set on aiohttp's reader now would drop it)."""
        content = self._content
        if content.is_eof() or content.exception() is not None:
            return
        self.fault = self._parser_error() or aiohttp.ServerDisconnectedError()
        content.feed_eof()  # the connection is closed: it can never go back to the pool

    def _fail(self, otherwise: BaseException) -> None:
        """Fail the waiting read (nothing is buffered) with the parser's error, else
        ``otherwise``; nothing if the body already ended or failed."""
        content = self._content
        if content.is_eof() or content.exception() is not None:
            return
        content.set_exception(self._parser_error() or otherwise)

    def _parser_error(self) -> HttpProcessingError | None:
        error = None if self._protocol is None else self._protocol.exception()
        return error if isinstance(error, HttpProcessingError) else None


def _retrieve(closed: asyncio.Future[None]) -> None:
    if not closed.cancelled():
        closed.exception()  # so asyncio does not log a lost connection's error as unretrieved

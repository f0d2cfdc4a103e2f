"""``FrameStream``: the frames of one response, decoded as the consumer pulls them.

Each ``__anext__`` reads at most once from aiohttp's ``StreamReader`` (whose flow control then
pauses the socket), so a slow consumer holds back the sender instead of growing a buffer. Any
failure closes the connection and is translated in ``map_exception`` into an error that
carries every frame already handed out.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import Protocol

import aiohttp
from multidict import CIMultiDictProxy

from rillet._exceptions import APITimeoutError
from rillet.transport._errors import chains_safely, map_exception, request_id_of
from rillet.transport._sse import SSEEvent
from rillet.transport._timeout import Timeout

__all__ = ["Decoder", "FrameStream"]

_log = logging.getLogger("rillet.transport")


class Decoder(Protocol):
    """What ``SSEDecoder`` and ``JSONArrayDecoder`` have in common."""

    def feed(self, chunk: bytes) -> list[SSEEvent]: ...

    def flush(self) -> list[SSEEvent]: ...


class FrameStream:
    """The frames of one 2xx response, as an async iterator of ``SSEEvent``.

    ``frames`` lists every frame handed out so far (errors carry it), ``bytes_received`` counts
    body bytes after decompression, ``retries`` how many retries preceded this response.
    """

    def __init__(
        self,
        response: aiohttp.ClientResponse,
        decoder: Decoder,
        first_chunk: bytes,
        *,
        content_type: str,
        retries: int,
        timeout: Timeout,
        method: str,
        url: str,
    ) -> None:
        self.status: int = response.status
        self.headers: CIMultiDictProxy[str] = response.headers
        self.request_id: str | None = request_id_of(response.headers)
        self.content_type = content_type
        self.frames: list[SSEEvent] = []
        self.bytes_received = len(first_chunk)
        self.retries = retries
        self._response: aiohttp.ClientResponse | None = response
        self._content = response.content
        self._decoder = decoder
        self._first: bytes | None = first_chunk
        self._ready: deque[SSEEvent] = deque()
        self._done = False
        self._timeout = timeout
        self._method = method
        self._url = url

    def __aiter__(self) -> FrameStream:
        return self

    async def __anext__(self) -> SSEEvent:
        ready = self._ready  # one decoded read usually holds many frames
        while not ready:
            if self._done:
                raise StopAsyncIteration
            await self._pull()
        event = ready.popleft()
        self.frames.append(event)
        return event

    async def aclose(self) -> None:
        """Release the response now; idempotent.

        The connection goes back to the pool only if the whole body has arrived (a consumer
        that stops at the provider's terminal event usually has it); otherwise it is closed,
        so an abandoned stream never leaves a half-read connection behind.
        """
        self._done = True
        self._ready.clear()
        response, self._response = self._response, None
        if response is not None:
            if response.content.is_eof() and response.content.exception() is None:
                response.release()
            else:
                response.close()

    def __repr__(self) -> str:
        return (
            f"<FrameStream {self._method} {self._url} status={self.status} "
            f"request_id={self.request_id!r} frames={len(self.frames)} "
            f"bytes={self.bytes_received}>"
        )

    async def _pull(self) -> None:
        """Read once (reads happen only as the consumer asks) and decode what came."""
        try:
            if self._first is not None:
                chunk, self._first = self._first, None  # counted when it was read
            else:
                chunk = await self._content.readany()
                self.bytes_received += len(chunk)
            if chunk:
                self._ready.extend(self._decoder.feed(chunk))
            else:
                self._ready.extend(self._decoder.flush())
                self._release()
        except BaseException as exc:
            # Whatever went wrong (cancellation included), the connection is unusable now.
            await self.aclose()
            error = map_exception(
                exc, timeout=self._timeout, body_started=self.bytes_received > 0, frames=self.frames
            )
            if error is None or error is exc:
                raise
            if isinstance(error, APITimeoutError):
                _log.info(
                    "%s %s: %s (request_id=%s, %d frames, %d bytes)",
                    self._method,
                    self._url,
                    error.message,
                    self.request_id,
                    len(self.frames),
                    self.bytes_received,
                )
            raise error from (exc if chains_safely(exc) else None)

    def _release(self) -> None:
        # The body was read to the end: the connection may go back to the pool.
        self._done = True
        response, self._response = self._response, None
        if response is not None:
            response.release()

"""``RawServer``: a TCP server on 127.0.0.1 that answers every request with exact bytes.

aiohttp's own server only writes valid HTTP; the faults of the HTTP layer itself (a bad
chunk-size line, an over-long header or trailer, a body its ``Content-Encoding`` does not
decode) need bytes written by hand. ``script`` is the reply to each request: byte strings are
written in order, a number pauses that many seconds between writes. After the script the
connection stays open (silent) until the client goes away or the server stops.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from types import TracebackType

__all__ = ["Part", "RawServer", "chunk", "head"]

Part = bytes | float


def head(*headers: str, content_type: str = "text/event-stream") -> bytes:
    """A 200 status line and headers for a chunked body, the blank line included."""
    lines = [
        "HTTP/1.1 200 OK",
        f"Content-Type: {content_type}",
        "Transfer-Encoding: chunked",
        *headers,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def chunk(data: bytes) -> bytes:
    """One chunk of a chunked body."""
    return b"%x\r\n%s\r\n" % (len(data), data)


class RawServer:
    """``async with RawServer(script) as server``: ``server.url``, ``server.requests``."""

    def __init__(self, script: Sequence[Part]) -> None:
        self.script = list(script)
        self.requests = 0
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def __aenter__(self) -> RawServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            request_head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in request_head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            self.requests += 1
            for part in self.script:
                if isinstance(part, bytes):
                    writer.write(part)
                    await writer.drain()
                else:
                    await asyncio.sleep(part)
            await reader.read()  # silent until the client goes away
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            pass  # the server stops: asyncio's stream callback would log a cancelled task
        finally:
            writer.close()
            self._handlers.discard(task)

"""``ReplyServer``: a real HTTP server on 127.0.0.1 that records each request and plays a
``Reply`` to it, faults included.

A subclass chooses each request's ``Reply`` (the emulator from its scenarios; ``FaultServer`` in
``rillet.testing`` from a script). A reply can delay its headers, send its body whole, a byte at
a time or cut at given offsets, gzip it, stall after N bytes, reset the connection (RST), end
it cleanly without the chunked terminator, or break the HTTP framing itself. Offsets count bytes
on the wire, so after gzip they count compressed bytes. Every request is recorded with its body
and whether the client went away before the reply was complete.

Sleeps inside a reply end early when the client disconnects or the server stops, so stopping
never waits on a stalled reply and leaves no task behind. ``play`` writes one ``Reply`` to one
aiohttp request. This module depends on aiohttp only.
"""

from __future__ import annotations

import asyncio
import gzip
import socket
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from types import TracebackType
from typing import Literal, TypeVar

from aiohttp import web

__all__ = ["RecordedRequest", "Reply", "ReplyServer", "play"]

_POLL = 0.005  # how often a sleeping reply checks for a disconnect


@dataclass(frozen=True)
class Reply:
    """What one request gets. Offsets (``chunks``, ``*_after``) count body bytes on the wire."""

    status: int = 200
    body: bytes = b""
    content_type: str | None = "text/event-stream"
    headers: Mapping[str, str] = field(default_factory=dict)
    chunks: Literal["whole", "drip"] | Sequence[int] = "whole"
    """``whole``: one write; ``drip``: one byte per write; a sequence: cut at these offsets."""
    chunk_delay: float = 0.0
    """Pause between writes (0 still yields to the event loop, so writes arrive apart)."""
    gzip: bool = False
    content_length: bool = False
    """Send ``Content-Length`` instead of chunked transfer encoding."""
    headers_delay: float = 0.0
    """Wait this long before sending the status line (a stall before headers)."""
    stall_after: int | None = None
    stall_for: float = 30.0
    reset_after: int | None = None
    """Send this many bytes, then reset the connection (TCP RST)."""
    truncate_after: int | None = None
    """Send this many bytes, then close the connection without finishing the body."""
    corrupt_after: int | None = None
    """Send this many bytes, then ``corrupt_with`` straight to the socket, outside the chunked
    framing (so with chunked transfer encoding only), then stall for ``stall_for``."""
    corrupt_with: bytes = b"zz\r\n"
    """What breaks the framing: a bad chunk-size line by default."""
    fault_delay: float = 0.05
    """Pause before a reset, truncation or corruption, so the client has read what was sent."""


@dataclass
class RecordedRequest:
    """One request the server received, and how its reply went."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes
    reply: Reply
    client_port: int | None = None
    """The client's TCP port: equal ports mean one kept-alive connection served both."""
    bytes_sent: int = 0
    disconnected: bool = False
    """The client went away before the reply was complete."""
    raw_path: str = ""
    """The path as it came on the wire, percent-escapes kept (``path`` is decoded)."""
    finished: asyncio.Event = field(default_factory=asyncio.Event, repr=False)


_ServerT = TypeVar("_ServerT", bound="ReplyServer")


class ReplyServer:
    """A recording aiohttp server on ``host``; subclasses choose each request's ``Reply``.

    An async context manager (or ``start()`` / ``stop()``). Every request is recorded in
    ``requests`` and answered by ``play``, faults included.
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.requests: list[RecordedRequest] = []
        self._port = port
        self._runner: web.AppRunner | None = None
        self._stopping = asyncio.Event()

    @property
    def url(self) -> str:
        """The base URL, ``http://127.0.0.1:<port>``."""
        if self._runner is None:
            raise RuntimeError(f"the {type(self).__name__} is not running")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "", "::") else self.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self._port}"

    def reply_for(self, request: web.Request, body: bytes) -> Reply:
        """The reply to one request (its body already read)."""
        raise NotImplementedError

    async def start(self) -> None:
        self._stopping.clear()
        app = web.Application(client_max_size=256 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._port)
        await site.start()
        self._port = int(runner.addresses[0][1])
        self._runner = runner

    async def stop(self) -> None:
        self._stopping.set()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self: _ServerT) -> _ServerT:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def wait_finished(self, count: int | None = None, timeout: float = 2.0) -> None:
        """Wait until the replies to the first ``count`` requests (default: all) are over."""
        pending = self.requests if count is None else self.requests[:count]
        await asyncio.wait_for(_wait_all(pending), timeout)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        reply = self.reply_for(request, body)
        record = RecordedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers=dict(request.headers),
            body=body,
            reply=reply,
            client_port=_peer_port(request),
            raw_path=request.raw_path.partition("?")[0],
        )
        self.requests.append(record)
        return await play(request, reply, record, self._stopping)


async def play(
    request: web.Request, reply: Reply, record: RecordedRequest, stopping: asyncio.Event
) -> web.StreamResponse:
    """Write ``reply`` to ``request``, faults included; ``record`` learns how it went and its
    ``finished`` is set at the end. Sleeps end early once ``stopping`` is set."""
    try:
        return await _Replier(request, reply, record, stopping).run()
    finally:
        record.finished.set()


class _Replier:
    """Plays one ``Reply`` to one request."""

    def __init__(
        self, request: web.Request, reply: Reply, record: RecordedRequest, stopping: asyncio.Event
    ) -> None:
        self._request = request
        self._reply = reply
        self._record = record
        self._stopping = stopping

    async def run(self) -> web.StreamResponse:
        reply = self._reply
        response = web.StreamResponse(status=reply.status, headers=dict(reply.headers))
        wire = gzip.compress(reply.body, mtime=0) if reply.gzip else reply.body
        if reply.content_type is not None:
            response.headers["Content-Type"] = reply.content_type
        if reply.gzip:
            response.headers["Content-Encoding"] = "gzip"
        if reply.content_length:
            response.content_length = len(wire)
        else:
            response.enable_chunked_encoding()
        if reply.headers_delay and not await self._sleep(reply.headers_delay):
            return self._abandon(response)
        try:
            await response.prepare(self._request)
            if reply.stall_after == 0 and not await self._sleep(reply.stall_for):
                return self._abandon(response)  # a stall after the headers, before any byte
            for part in self._parts(wire):
                if not await self._send(response, part):
                    return self._abandon(response)
            await response.write_eof()
        except ConnectionError:
            self._record.disconnected = True
        return response

    def _parts(self, wire: bytes) -> list[bytes]:
        reply = self._reply
        if reply.chunks == "whole":
            cuts: set[int] = set()
        elif reply.chunks == "drip":
            cuts = set(range(1, len(wire)))
        else:
            cuts = {int(cut) for cut in reply.chunks}
        faults = (reply.stall_after, reply.reset_after, reply.truncate_after, reply.corrupt_after)
        for fault in faults:
            if fault is not None:
                cuts.add(fault)
        bounds = [0, *sorted(cut for cut in cuts if 0 < cut < len(wire)), len(wire)]
        return [wire[start:end] for start, end in pairwise(bounds)]

    async def _send(self, response: web.StreamResponse, part: bytes) -> bool:
        """Write one part and play any fault due after it; False when the reply must end."""
        reply, record = self._reply, self._record
        if part:
            await response.write(part)
            record.bytes_sent += len(part)
        sent = record.bytes_sent
        if reply.reset_after is not None and sent >= reply.reset_after:
            await self._sleep(reply.fault_delay)
            self._reset()
            return False
        if reply.truncate_after is not None and sent >= reply.truncate_after:
            await self._sleep(reply.fault_delay)
            self._close()
            return False
        if reply.corrupt_after is not None and sent >= reply.corrupt_after:
            await self._sleep(reply.fault_delay)
            transport = self._request.transport
            if transport is not None and not transport.is_closing():
                transport.write(reply.corrupt_with)
            await self._sleep(reply.stall_for)
            return False
        if reply.stall_after is not None and sent == reply.stall_after:
            if not await self._sleep(reply.stall_for):
                return False
        elif not await self._sleep(reply.chunk_delay):
            return False
        return True

    async def _sleep(self, seconds: float) -> bool:
        """Sleep, ending early on disconnect or shutdown; True if the reply may go on."""
        if seconds <= 0:
            await asyncio.sleep(0)
            return self._may_go_on()
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while self._may_go_on():
            remaining = end - loop.time()
            if remaining <= 0:
                return True
            await asyncio.sleep(min(_POLL, remaining))
        return False

    def _may_go_on(self) -> bool:
        transport = self._request.transport
        if transport is None or transport.is_closing():
            self._record.disconnected = True
            return False
        return not self._stopping.is_set()

    def _reset(self) -> None:
        transport = self._request.transport
        if transport is None:
            return
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # Linger 0: close() sends RST instead of FIN, as a crashed peer or middlebox does.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()

    def _close(self) -> None:
        transport = self._request.transport
        if transport is not None:
            transport.close()

    def _abandon(self, response: web.StreamResponse) -> web.StreamResponse:
        # The reply stops here: make sure the connection does too, whatever state it is in.
        transport = self._request.transport
        if transport is not None and not transport.is_closing():
            transport.abort()
        return response


def _peer_port(request: web.Request) -> int | None:
    transport = request.transport
    peer = transport.get_extra_info("peername") if transport is not None else None
    return int(peer[1]) if isinstance(peer, tuple) and len(peer) >= 2 else None


async def _wait_all(records: Sequence[RecordedRequest]) -> None:
    for record in records:
        await record.finished.wait()

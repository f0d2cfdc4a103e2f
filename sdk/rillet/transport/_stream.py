"""``FrameStream``: the frames of one response, decoded as the consumer pulls them.

Each ``__anext__`` reads at most once (at most ``READ_SIZE`` bytes) from aiohttp's
``StreamReader`` (whose flow control then pauses the socket), so a slow consumer holds back the
sender instead of growing a buffer. A ``ReadGuard`` ends any read that would wait past the idle
timeout. Any failure closes the connection and is translated in ``map_exception`` into an error
that carries every frame already handed out.

``read_batch()`` hands out all the frames of one network read at once (often hundreds), so that
a frame costs no ``await`` of its own. ``wait()`` and ``take_nowait()`` are its two halves: the
built-in adapters read through them, so that a live stream (one event per read) waits on the
reader's own future with no coroutine around it (with a total deadline, in aiohttp's ``_wait``,
which keeps it), and takes the one chunk buffered as ``read_nowait`` would, less its resume of a
connection that was never paused.

What ``frames`` keeps (what errors carry) is bounded by default, so that a stream's memory stays
flat however long it runs: ``keep_frames=True`` keeps the last ``FRAME_WINDOW`` (16) frames
handed out, ``"all"`` the whole body (for debugging a stream from its first byte), ``False``
nothing.

A server may echo a credential of the request anywhere in the body. Every read is searched for
the request's ``secrets`` (one byte search per secret, across read boundaries too); from the
read where one shows up on, each frame is handed out redacted, so that nothing built from the
frames (chunks, an in-stream error, the quote of a malformed frame, ``frames``) holds it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sys
from collections import deque
from collections.abc import Awaitable, Callable, Generator
from typing import NoReturn, Protocol, cast

import aiohttp
from aiohttp.helpers import TimerNoop
from multidict import CIMultiDictProxy

from rillet._exceptions import APITimeoutError, RilletError
from rillet._keep_frames import FRAME_WINDOW, KeepFrames
from rillet._redact import redact_text
from rillet._response_metadata import ResponseMetadata, read_metadata
from rillet.timeout import Timeout
from rillet.transport._errors import chains_safely, map_exception
from rillet.transport._frame import Frame
from rillet.transport._read_guard import ReadGuard

__all__ = ["FRAME_WINDOW", "Decoder", "FrameStream", "KeepFrames"]

_log = logging.getLogger("rillet.transport")
READ_SIZE = 1 << 16
"""The most one read takes from the socket buffer (``readany`` would take up to 256 KiB): a read's
frames and chunks are all alive together, and fewer of them at a time keeps them from outliving
the garbage collector's young generations, whose survivors make its full collections walk the
whole heap: with larger reads the CPU per event grows with the length of the stream."""


def _reader_has(*names: str) -> bool:
    reader = aiohttp.StreamReader
    return all(name in getattr(reader, "__slots__", ()) or hasattr(reader, name) for name in names)


_LOW_LEVEL_READER = _reader_has("_wait", "_buffer", "_eof", "_exception")
"""aiohttp's ``StreamReader`` has the private wait and state ``take_nowait`` reads (it has since
3.0; without them, ``wait`` reads through the public ``read``)."""

_DIRECT_READER = _LOW_LEVEL_READER and _reader_has(
    "_waiter",
    "_timer",
    "_protocol",
    "_loop",
    "_size",
    "_cursor",
    "_buffer_offset",
    "_http_chunk_splits",
)
"""It also has the waiter, counters and chunk ends that ``read_nowait`` and ``_wait`` keep: a
live read (one chunk buffered, the connection not paused) is then taken and waited for without
them (see ``FrameStream._direct``)."""


# A kept frame is two entries of the window: its head, then its data. The head is the event
# name alone for a frame with no id and no retry (every frame the providers send), else a tuple.
_KeptHead = str | tuple[str, str | None, int | None]
_NOTHING: list[Frame] = []  # never appended to: no frames (ready, or of the last batch), shared
_NO_CHUNKS: list[bytes] = []  # never appended to: the body of a stream that keeps none


def _kept(frame: Frame) -> tuple[_KeptHead, str]:
    if frame.id is None and frame.retry is None:
        return frame.event, frame.data
    return (frame.event, frame.id, frame.retry), frame.data


def _unkept(head: _KeptHead | str, data: _KeptHead | str) -> Frame:
    """The frame whose ``_kept`` entries these are."""
    text = cast(str, data)
    if isinstance(head, str):
        return Frame(head, text)
    event, id_, retry = head
    return Frame(event, text, id_, retry)


class _Ready:
    """An awaitable that is done at once: ``wait()`` when there is something to take."""

    __slots__ = ()

    def __await__(self) -> Generator[None, None, None]:
        return
        yield  # a generator that ends at once


READY: Awaitable[None] = _Ready()


class Decoder(Protocol):
    """What ``SSEDecoder``, ``JSONArrayDecoder`` and ``EventStreamDecoder`` have in common."""

    def feed(self, chunk: bytes) -> list[Frame]: ...

    def flush(self) -> list[Frame]: ...

    @property
    def partial(self) -> bool:
        """Bytes of a frame whose end has not arrived are held: a read may go on with it."""
        ...

    @property
    def pending(self) -> bool:
        """Complete frames wait in the decoder for ``feed(b"")``, which is asked before any
        more bytes (``JSONArrayDecoder`` with ``parse_element``; never for the others)."""
        ...


class FrameStream:
    """The frames of one 2xx response, as an async iterator of ``Frame``.

    ``frames`` lists the frames handed out so far that ``keep_frames`` keeps (errors carry
    it): the last ``FRAME_WINDOW`` by default, every one with ``"all"``, none with ``False``.
    ``bytes_received`` counts body bytes after decompression,
    ``retries`` how many retries preceded this response. ``headers`` are the response's own;
    ``metadata`` holds its request id, rate limits and headers with the credentials removed. ``secrets``: the request's
    credentials, redacted from every frame once the body holds one.

    With ``"all"`` the history is the body itself: the chunks as they were read, and
    ``frames`` decodes them again when asked (on an error, usually; decoding is a pure function
    of the bytes, whatever their split). A long stream thus holds its body once, not a string
    and a record per frame besides.
    """

    __slots__ = (
        "_chunks",
        "_content",
        "_decoder",
        "_direct",
        "_done",
        "_guard",
        "_handed_out",
        "_keep_body",
        "_last_batch",
        "_last_taken",
        "_method",
        "_next",
        "_ready",
        "_received",
        "_redacting",
        "_response",
        "_secrets",
        "_tail",
        "_timeout",
        "_url",
        "_wait_for_bytes",
        "_watch",
        "_window",
        "bytes_received",
        "content_type",
        "headers",
        "keep_frames",
        "metadata",
        "request_id",
        "retries",
        "status",
    )

    def __init__(
        self,
        response: aiohttp.ClientResponse,
        decoder: Decoder,
        first_chunk: bytes,
        guard: ReadGuard,
        *,
        content_type: str,
        retries: int,
        timeout: Timeout,
        method: str,
        url: str,
        keep_frames: KeepFrames = True,
        metadata: ResponseMetadata | None = None,
        secrets: tuple[str, ...] = (),
    ) -> None:
        self.status: int = response.status
        self.headers: CIMultiDictProxy[str] = response.headers
        self.metadata = read_metadata(response.headers, secrets) if metadata is None else metadata
        self.request_id: str | None = self.metadata.request_id
        self.content_type = content_type
        # The body so far, as read (keep_frames="all"; never appended to otherwise).
        self._chunks: list[bytes] = [] if keep_frames == "all" else _NO_CHUNKS
        # The last frames handed out (keep_frames=True), in a bounded deque, as their strings
        # (``_kept``: a head and the data, two entries a frame). Strings are no business of the
        # garbage collector's, where a frame kept for FRAME_WINDOW reads would reach its oldest
        # generation, whose growth brings on full collections; and even a tuple of strings,
        # which leaves its care at its first collection, counts towards the next one while the
        # window fills: 16,000 of them for 1,000 streams, some 40 young collections.
        self._window: deque[_KeptHead | str] | None = (
            deque(maxlen=2 * FRAME_WINDOW) if keep_frames is True else None
        )
        # The last read's frames when it held several, joined to the window at the next read: a
        # fault in the middle of it must find the frames before it there, not those after it.
        self._last_batch: list[Frame] = _NOTHING
        self._last_taken = 0  # how many of it were handed out (``__anext__`` takes one a time)
        self._keep_body = keep_frames == "all"
        self._handed_out = 0
        self.bytes_received = len(first_chunk)
        self.retries = retries
        self._response: aiohttp.ClientResponse | None = response
        self._content = response.content
        self._guard = guard
        self._decoder = decoder
        # Bytes received (and counted) but not decoded yet: the first read, bytes ``wait`` read
        # where aiohttp has no wait of its own, or bytes salvaged before a failure.
        self._received: bytes | None = first_chunk
        # aiohttp's reader's own wait for bytes: what ``read`` awaits, without ``read``'s
        # coroutine around it (a call and a frame per live event). Private, so looked up.
        self._wait_for_bytes: Callable[[str], Awaitable[None]] | None = (
            getattr(self._content, "_wait", None) if _LOW_LEVEL_READER else None
        )
        # A reader with no total deadline of aiohttp's to keep (rillet's own ``total`` is one:
        # its ``_timer`` then cancels a read that outlives it): a live read takes the one chunk
        # buffered and waits on the reader's own future, without ``read_nowait`` and ``_wait``.
        # ``read_nowait`` resumes the connection on every read, paused or not (a parser call
        # and a transport call in aiohttp 3.14): 0.9 us of aiohttp's reader per live event,
        # 0.25 us this way.
        self._direct = _DIRECT_READER and type(getattr(self._content, "_timer", None)) is TimerNoop
        self.keep_frames = keep_frames
        # The frames of the last read not yet handed out: _ready[_next:] (a list and an index,
        # not a deque, so that read_batch can hand the decoder's own list out without a copy).
        self._ready: list[Frame] = _NOTHING
        self._next = 0
        self._done = False
        self._timeout = timeout
        self._method = method
        self._url = url
        self._secrets = secrets
        self._watch = _watch_for(secrets) if secrets else None
        self._tail = b""  # what the watch keeps of the reads before, for the next one's edge
        self._redacting = False  # a secret arrived: every frame from now on is redacted

    @property
    def frames(self) -> list[Frame]:
        """The frames handed out so far that ``keep_frames`` keeps, in order: the last
        ``FRAME_WINDOW``, or all of them with ``"all"`` (a new list on each call; always empty
        with ``keep_frames=False``)."""
        return self.frames_before(0)

    def frames_before(self, last: int) -> list[Frame]:
        """``frames`` as it was before the ``last`` frames handed out most recently (the
        frames of a read that came after a bad one, say)."""
        if self._window is not None:
            entries = list(self._window)
            heads, texts = entries[::2], entries[1::2]
            kept = [_unkept(head, text) for head, text in zip(heads, texts, strict=True)]
            kept += self._last_batch[: self._last_taken]
            del kept[max(0, len(kept) - last) :]
            del kept[: max(0, len(kept) - FRAME_WINDOW)]
            return self._redacted(kept) if self._redacting else kept
        count = self._handed_out - last
        if not self._chunks or not count:
            return []
        decoder = _unbounded(self._decoder)
        frames: list[Frame] = []
        try:
            for chunk in self._chunks:
                frames += decoder.feed(chunk)
                if len(frames) >= count:
                    break
            else:
                frames += decoder.flush()
        except RilletError:
            pass  # a fault in bytes after the frames handed out: it ended the stream
        del frames[count:]
        return self._redacted(frames) if self._redacting else frames

    @property
    def frame_count(self) -> int:
        """How many frames were handed out so far."""
        return self._handed_out

    def __aiter__(self) -> FrameStream:
        return self

    async def __anext__(self) -> Frame:
        index = self._next  # one decoded read usually holds many frames
        ready = self._ready
        if index >= len(ready):
            ready = await self.read_batch()
            if not ready:
                raise StopAsyncIteration
            self._handed_out -= len(ready)  # handed out one at a time, below
            self._last_taken = 0
            self._ready, index = ready, 0
        self._next = index + 1
        self._handed_out += 1
        self._last_taken += 1
        return ready[index]

    async def read_batch(self) -> list[Frame]:
        """Every frame decoded and not yet handed out, reading once more if there is none;
        ``[]`` at the end of the body. The list is the caller's."""
        while True:  # reads happen only as the consumer asks
            try:
                await self.wait()
            except BaseException as exc:
                self.wait_failed(exc)
            batch = self.take_nowait()
            if batch is not None:
                return batch

    def take_nowait(self) -> list[Frame] | None:
        """``read_batch`` without waiting: the frames the bytes already here complete, None when
        they complete none yet (``await wait()`` again, then take again), ``[]`` at the end of
        the body. A failure closes the connection and raises its rillet error.

        After ``await wait()``, this is how a live stream is read: one read per event, and no
        coroutine of the transport's own between the consumer and the socket's wait."""
        if self._ready and self._next < len(self._ready):  # the rest of a read ``__anext__`` began
            batch = self._ready[self._next :]
            self._ready, self._next = _NOTHING, 0
            self._handed_out += len(batch)
            self._last_taken = len(self._last_batch)
            return batch  # the window has the whole read already
        if self._done:
            return []
        try:
            while True:
                if self._received is None:
                    if self._decoder.pending:
                        batch = self._resumed()
                        if batch:
                            break
                        continue
                    content = self._content
                    buffer = content._buffer
                    if (
                        self._direct
                        and len(buffer) == 1
                        and not content._buffer_offset
                        and not content._protocol._reading_paused
                        and (size := len(buffer[0])) <= READ_SIZE
                    ):
                        chunk = buffer.popleft()  # what read_nowait does, less its resume
                        content._size -= size
                        content._cursor += size
                        splits = content._http_chunk_splits
                        if splits:  # the ends of the chunks read past, dropped as aiohttp does
                            while splits and splits[0] < content._cursor:
                                del splits[0]
                    else:
                        try:
                            chunk = content.read_nowait(READ_SIZE)
                        except Exception as exc:
                            chunk = self._guard.salvage(exc)  # what came before the break first
                            if not chunk:
                                raise
                        if not chunk and not content.is_eof():
                            return None  # nothing yet
                        size = len(chunk)
                    self.bytes_received += size
                else:
                    chunk = self._received
                    self._received = None
                batch = self._decoded(chunk)
                if batch:
                    break
                if self._done:
                    return []
        except BaseException as exc:
            self._fail(exc)
        count = len(batch)
        self._handed_out += count
        window = self._window
        if window is not None:
            if self._last_batch:
                for f in self._last_batch[-FRAME_WINDOW:]:
                    window.extend(_kept(f))
            if count == 1:  # a live read: its frame is handed out now, into the window
                f = batch[0]
                if f.id is None and f.retry is None:  # _kept, inline
                    window.append(f.event)
                    window.append(f.data)
                else:
                    window.extend(_kept(f))
                self._last_batch = _NOTHING
            else:
                self._last_batch = batch
            self._last_taken = count
        return batch

    def wait(self) -> Awaitable[object]:
        """Ends when there is something for ``take_nowait``: at once if there is already
        (frames, bytes, the end of the body or a failure), else when it arrives. If it raises,
        hand the exception to ``wait_failed``. The idle timeout runs meanwhile."""
        if (
            (self._ready and self._next < len(self._ready))
            or self._received is not None
            or self._done
            or self._decoder.pending
        ):
            return READY
        wait_for_bytes = self._wait_for_bytes
        if wait_for_bytes is None:
            return self._read_ahead()
        content = self._content
        if content._buffer or content._eof or content._exception is not None:
            return READY
        if self._direct and content._waiter is None and content._protocol.connected:
            # What ``_wait`` awaits, without its coroutine: the future ``feed_data`` resolves.
            # (A cancelled wait leaves it set; the connection is closed then, never read again.)
            waiter = content._waiter = content._loop.create_future()
            return waiter
        return wait_for_bytes("read")

    def wait_failed(self, exc: BaseException) -> None:
        """``wait()`` raised ``exc``: the bytes that came before the failure are kept for
        ``take_nowait`` (which then raises it); otherwise the connection is closed and the
        rillet error ``exc`` amounts to is raised (``exc`` itself for a cancellation)."""
        if isinstance(exc, Exception) and (kept := self._guard.salvage(exc)):
            self._received = kept
            self.bytes_received += len(kept)
            return
        self._fail(exc)

    async def _read_ahead(self) -> None:
        # ``wait`` where aiohttp's reader lacks the wait it has had since 3.0: read, and keep.
        self._received = data = await self._content.read(READ_SIZE)
        self.bytes_received += len(data)

    async def aclose(self, *, linger: bool = False) -> None:
        """Release the response now; idempotent.

        The connection goes back to the pool only if the whole body has arrived (a consumer
        that stops at the provider's terminal event usually has it); otherwise it is closed,
        so an abandoned stream never leaves a half-read connection behind. ``linger`` (a
        stream left without an error) first gives the event loop one turn: the end of the
        body (the chunked terminator) often follows the terminal event by microseconds, and
        catching it keeps the connection for the next request instead of opening a new one.
        """
        self._done = True
        response = self._response
        if response is not None and linger and not response.content.is_eof():
            await asyncio.sleep(0)
        self._close()

    def _close(self) -> None:
        self._done = True
        self._ready, self._next = _NOTHING, 0
        response, self._response = self._response, None
        if response is not None:
            self._guard.close()
            if response.content.is_eof() and response.content.exception() is None:
                response.release()
            else:
                response.close()

    def __repr__(self) -> str:
        return (
            f"<FrameStream {self._method} {self._url} status={self.status} "
            f"request_id={self.request_id!r} frames={self._handed_out} "
            f"bytes={self.bytes_received}>"
        )

    def _decoded(self, chunk: bytes) -> list[Frame]:
        """The frames one read completed (at the end of the body, the decoder's last ones)."""
        if self._keep_body and chunk:
            self._chunks.append(chunk)
        watch = self._watch
        if watch is not None and not self._redacting:
            self._redacting = watch.found_in(chunk, self._tail)
        if chunk:
            frames = self._decoder.feed(chunk)
            if watch is not None and not self._redacting:
                partial = self._decoder.partial
                if partial or self._tail:
                    self._tail = watch.tail_after(self._tail, chunk, partial)
        else:
            if self._guard.fault is not None:
                raise self._guard.fault  # not a complete body: the connection broke
            frames = self._decoder.flush()
            self._release()
        return self._redacted(frames) if self._redacting else frames

    def _resumed(self) -> list[Frame]:
        """The next frames the decoder holds complete (``pending``), no bytes read."""
        frames = self._decoder.feed(b"")
        return self._redacted(frames) if self._redacting else frames

    def _fail(self, exc: BaseException) -> NoReturn:
        """A read or its decoding failed: close, and raise the rillet error it amounts to."""
        cause = self._guard.cause_of(exc)  # first: closing clears what aiohttp kept
        # Whatever went wrong (cancellation included), the connection is unusable now.
        self._close()
        error = map_exception(
            cause,
            timeout=self._timeout,
            body_started=self.bytes_received > 0,
            frames=self.frames,
            secrets=self._secrets,
        )
        if error is None or error is exc:
            raise exc
        if isinstance(error, APITimeoutError):
            _log.info(
                "%s %s: %s (request_id=%s, %d frames, %d bytes)",
                self._method,
                self._url,
                error.message,
                self.request_id,
                self._handed_out,
                self.bytes_received,
            )
        raise error from (exc if chains_safely(exc) else None)

    def _redacted(self, frames: list[Frame]) -> list[Frame]:
        secrets = self._secrets
        return [
            Frame(
                event=redact_text(f.event, secrets),
                data=redact_text(f.data, secrets),
                id=None if f.id is None else redact_text(f.id, secrets),
                retry=f.retry,
            )
            for f in frames
        ]

    def _release(self) -> None:
        # The body was read to the end: the connection may go back to the pool.
        self._done = True
        response, self._response = self._response, None
        if response is not None:
            self._guard.close()
            response.release()


class _SecretWatch:
    """Says whether a secret's bytes arrived, in one read or across the edge of two.

    One byte search per secret per read. The edge with the read before is searched too, but
    only when the decoder holds the start of a frame that this read goes on with: a frame's
    bytes are all that anything shown is made of (chunks, errors, ``frames``), so a secret
    whose halves lie in two frames, or between them, is in nothing that could show it. A live
    stream's reads each end a frame, so they cost one search each.

    Immutable, and shared by every stream that sends the same secrets (``_watch_for``): a
    stream keeps only its ``tail`` (``tail_after``), the few bytes an edge needs, rather than
    the read before. Thousands of open streams then hold no watch each, and no read outlives
    its decoding (each kept read is freed long after, when its memory has gone cold)."""

    __slots__ = ("_needle", "_needles", "overlap")

    def __init__(self, secrets: tuple[str, ...]) -> None:
        found = set(secret.encode() for secret in secrets)
        # A secret that holds another ("Bearer <key>" holds the key) arrives only with it: the
        # shorter one is searched for alone.
        self._needles = tuple(n for n in found if not any(o in n for o in found if o != n))
        # The common case, one secret (an API key), searched without a loop.
        self._needle = self._needles[0] if len(self._needles) == 1 else None
        self.overlap = max(len(needle) for needle in self._needles) - 1
        """How many bytes of a secret the read before can hold when this read completes it."""

    def found_in(self, chunk: bytes, tail: bytes) -> bool:
        """Whether ``chunk`` holds a secret, or completes one begun in ``tail`` (what
        ``tail_after`` kept of the reads before: empty when no frame goes on into this one)."""
        edge = tail + chunk[: self.overlap] if tail else b""
        needle = self._needle
        if needle is not None:  # ``find`` is faster than ``in`` for a short chunk
            return chunk.find(needle) >= 0 or (edge != b"" and edge.find(needle) >= 0)
        for needle in self._needles:  # noqa: SIM110 (any() of a generator costs more)
            if needle in chunk or needle in edge:
                return True
        return False

    def tail_after(self, tail: bytes, chunk: bytes, partial: bool) -> bytes:
        """The ``tail`` for the read after ``chunk`` (``tail`` was the one for ``chunk``): its
        last ``overlap`` bytes (with those before it, when it was short) when the decoder holds
        the start of a frame (``partial``) that the next read may go on with; else none."""
        overlap = self.overlap
        if not partial or not overlap:  # a one-byte secret is never cut in two
            return b""
        if len(chunk) >= overlap:
            return chunk[-overlap:]
        return (tail + chunk)[-overlap:]


_watch_for = functools.lru_cache(maxsize=64)(_SecretWatch)
"""The watch for a tuple of secrets, built once for every stream that sends them (a client's few
credentials; a new token per request pushes the oldest out)."""


def _unbounded(decoder: Decoder) -> Decoder:
    """A new decoder of ``decoder``'s kind, without its size limit: the frames it decodes again
    were within that limit the first time."""
    return cast(Callable[..., Decoder], type(decoder))(max_event_bytes=sys.maxsize)

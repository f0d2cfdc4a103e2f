"""``HTTPBatches``: the chunks of one HTTP response, a network read at a time.

What ``HTTPAdapter.stream_batches`` returns: an async iterator of batches, and a ``PullBatches``
(``take`` / ``wait`` / ``wait_failed``) through which ``StreamingLLMResponse`` reads a live
stream with no coroutine of the adapter's, or of the transport's, between it and the socket's
wait. Each read's frames are mapped in one loop; the stream's first chunks go out alone, ahead
of the rest of their read, so that batching never delays the first token.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager

from rillet._exceptions import MalformedStreamError, TransportError
from rillet.protocol import StreamChunk, start_with
from rillet.providers._mapper import WireMapper
from rillet.transport import Frame, FrameStream
from rillet.transport._stream import READY

__all__ = ["HTTPBatches", "Opening"]

_NO_FRAMES: list[Frame] = []  # never appended to: no frames waiting, shared by every stream

Opening = AbstractAsyncContextManager[FrameStream]
"""What ``Transport.stream`` returns: entered, it sends the request and gives the frames."""


class HTTPBatches:
    """One response's batches of chunks. ``prepare`` gives the transport's context for the
    request and the response's mapper; it is called, and the request sent, on the first
    ``__anext__`` (so a bad request is an error of the stream's first read, as for any
    adapter)."""

    __slots__ = (
        "_context",
        "_error",
        "_failure",
        "_feed",
        "_frames",
        "_mapper",
        "_prepare",
        "_rest",
        "_started",
        "_state",
    )

    def __init__(self, prepare: Callable[[], tuple[Opening, WireMapper]]) -> None:
        self._prepare: Callable[[], tuple[Opening, WireMapper]] | None = prepare
        self._context: Opening | None = None
        self._mapper: WireMapper | None = None
        self._feed: Callable[[Frame], Sequence[StreamChunk]] | None = None
        self._frames: FrameStream | None = None
        self._failure: BaseException | None = None  # what ended the stream early
        self._started = False  # the first chunk went out
        # The frames of a read after its first chunk, not mapped yet.
        self._rest: list[Frame] = _NO_FRAMES
        self._error: BaseException | None = None  # raised after the chunks before it
        self._state = "new"  # "open", "ended" (the last batch taken), "failed", "closed"

    def __aiter__(self) -> HTTPBatches:
        return self

    async def __anext__(self) -> Sequence[StreamChunk]:
        if self._state == "new":
            self._state = "closed"  # until it opened: a failure to open ends the iteration
            prepare, self._prepare = self._prepare, None  # it holds the request: let it go
            assert prepare is not None  # "new"
            self._context, self._mapper = prepare()
            del prepare  # and before the wait for the connection, not after it
            self._feed = self._mapper.feed
            self._frames = await self._context.__aenter__()
            self._state = "open"
        try:
            while True:
                try:
                    await self.wait()
                except BaseException as exc:
                    self.wait_failed(exc)
                batch = self.take()
                if batch is not None:
                    break
        except BaseException:
            await self.aclose()
            raise
        if not batch:
            await self.aclose()
            raise StopAsyncIteration
        return batch

    def take(self) -> Sequence[StreamChunk] | None:
        """The chunks of what has arrived; None: nothing yet; ``[]``: the stream ended."""
        if self._error is not None:
            error, self._error = self._error, None
            self._failed(error)
            raise error
        if self._state != "open":
            if self._state == "new":
                raise RuntimeError("take() before the first batch (__anext__ opens the stream)")
            return []
        frames = self._frames
        assert frames is not None  # open
        try:
            while True:
                if self._rest:
                    batch, self._rest = self._rest, _NO_FRAMES
                else:
                    taken = frames.take_nowait()
                    if taken is None:
                        return None
                    if not taken:
                        return self._last(frames)
                    batch = taken
                if self._started:  # the common case, inline: after the first chunk
                    feed = self._feed
                    assert feed is not None  # open
                    out: Sequence[StreamChunk]
                    if len(batch) == 1:  # a live read: its frame's chunks, as the mapper gave them
                        try:
                            out = feed(batch[0])
                        except Exception as error:
                            return self._failed_after(error, [], batch, batch[0], frames)
                    else:
                        out = []
                        try:
                            for frame in batch:
                                out += feed(frame)
                        except Exception as error:
                            return self._failed_after(error, out, batch, frame, frames)
                else:
                    out = self._first_chunks(batch, frames)
                if out:
                    return out
        except (MalformedStreamError, TransportError) as error:
            self._failed(error)
            if not error.frames:
                error.frames = list(frames.frames)
            raise
        except BaseException as error:
            self._failed(error)
            raise

    def wait(self) -> Awaitable[object]:
        """Ends when there is something to take: at once if there is already."""
        frames = self._frames
        if self._rest or self._error is not None or self._state != "open" or frames is None:
            return READY
        return frames.wait()

    def wait_failed(self, exc: BaseException) -> None:
        """``wait()`` raised ``exc``: the transport's rillet error for it, raised (or nothing,
        when bytes that came before it are still to be taken)."""
        assert self._frames is not None
        try:
            self._frames.wait_failed(exc)
        except BaseException as error:
            self._failed(error)
            raise

    async def aclose(self) -> None:
        """Release the response; idempotent. A stream left whole may keep its connection."""
        state, self._state = self._state, "closed"
        context = self._context
        if state in ("open", "ended", "failed") and context is not None:
            # Left whole (or by a consumer that stopped): the connection may be kept.
            failure = self._failure
            if failure is None:
                await context.__aexit__(None, None, None)
            else:
                await context.__aexit__(type(failure), failure, failure.__traceback__)

    def _failed(self, error: BaseException) -> None:
        self._state = "failed"
        self._failure = error

    def _first_chunks(self, batch: list[Frame], frames: FrameStream) -> list[StreamChunk]:
        """The chunks of the first frame of ``batch`` that gives any: alone, ahead of the rest
        of their read (kept for the next ``take``), so that batching never delays them."""
        out: list[StreamChunk] = []
        feed = self._feed
        assert feed is not None  # open
        for index, frame in enumerate(batch):
            try:
                out += feed(frame)
            except Exception as error:
                return self._failed_after(error, out, batch, frame, frames)
            if out:
                self._rest = batch[index + 1 :] or _NO_FRAMES
                self._start(out, frames)
                return out
        return out

    def _failed_after(
        self,
        error: Exception,
        out: list[StreamChunk],
        batch: list[Frame],
        frame: Frame,
        frames: FrameStream,
    ) -> list[StreamChunk]:
        """Mapping ``frame`` of ``batch`` raised ``error``: the chunks of the frames before it
        go out first (``out``), and the error with the next ``take``."""
        if isinstance(error, (MalformedStreamError, TransportError)):
            _frames_up_to(error, frames, batch, frame)
        if not out:
            raise error
        if not self._started:
            self._start(out, frames)
        self._rest = _NO_FRAMES
        self._error = error
        return out

    def _last(self, frames: FrameStream) -> list[StreamChunk]:
        """A clean end of the body: the mapper's last chunks (or its error)."""
        if not frames.frame_count:  # nothing to read: not a stream
            raise MalformedStreamError(
                f"the {frames.status} response held no event "
                f"({frames.bytes_received} bytes of {frames.content_type or 'unlabelled'})"
            )
        assert self._mapper is not None  # open
        last = list(self._mapper.finish())
        self._state = "ended"
        if last and not self._started:
            self._start(last, frames)
        return last

    def _start(self, chunks: list[StreamChunk], frames: FrameStream) -> None:
        """Put the response's request id, rate limits and headers on the stream's first chunk,
        the ``start`` chunk (the accumulator takes them from there)."""
        self._started = True
        first = chunks[0]
        if first.type == "start":
            chunks[0] = start_with(first, frames.metadata.fields())


def _frames_up_to(
    error: MalformedStreamError | TransportError,
    frames: FrameStream,
    batch: list[Frame],
    failed: Frame | None,
) -> None:
    """Give ``error`` the frames handed out up to the one that failed, as if read one by one."""
    if error.frames or not frames.keep_frames:
        return
    position = next((i for i, f in enumerate(batch) if f is failed), len(batch) - 1)
    error.frames = list(frames.frames_before(len(batch) - position - 1))

"""``StreamingLLMResponse``: one stream of chunks, its accumulated response, and its end.

It guards the stream's contract for every adapter: whatever the adapter does, the consumer sees
chunks up to exactly one terminal chunk, and a failure after the stream began arrives as an
``error`` chunk followed by the typed exception (whose ``partial`` holds what arrived).

It reads either one chunk at a time (any async iterator of chunks) or a batch at a time (a
``ProviderAdapter``'s ``stream_batches``, as ``LLMClient`` reads it). Batches are handed out
one chunk per ``__anext__`` from a local list, so that a chunk costs one coroutine step instead
of a trip through every async generator below; each chunk is still added to the response only
as it is handed out, so ``response`` never runs ahead of the consumer. Batches that are also a
``PullBatches`` (the built-in adapters') are read, after the first, by awaiting their ``wait()``
here and taking what arrived: a live stream then waits with no coroutine of the adapter's or the
transport's between this one and the socket.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Sequence

from rillet._closing import AsyncClosing
from rillet._exceptions import ConfigurationError, RilletError, StreamInterruptedError
from rillet.accumulator import ResponseAccumulator
from rillet.adapter import PullBatches
from rillet.errors import error_to_chunk, with_response_metadata
from rillet.protocol import TERMINAL_CHUNK_TYPES, LLMResponse, RateLimit, StreamChunk

__all__ = ["StreamingLLMResponse"]

_log = logging.getLogger("rillet.stream")
_COMPACT_EVERY = 16
"""Chunks between two compactions of the accumulated text (a live stream reads one chunk at a
time: compacting on every read would cost a call per chunk for nothing)."""


_NONE_READY: list[StreamChunk] = []  # never appended to: shared by every stream with none
_PULLS: dict[type, bool] = {}  # a few classes: bounded below, never a class per stream


def _pulls(kind: type) -> bool:
    """Whether batches of ``kind`` are a ``PullBatches``: remembered per class, since a
    protocol's ``isinstance`` walks its members each time (tens of microseconds, cold, on the
    way to a stream's first chunk)."""
    found = _PULLS.get(kind)
    if found is None:
        if len(_PULLS) >= 64:  # classes made on the fly: do not keep each alive
            _PULLS.clear()
        found = _PULLS[kind] = all(callable(getattr(kind, name, None)) for name in _PULL_MEMBERS)
    return found


_PULL_MEMBERS = ("__aiter__", "__anext__", "take", "wait", "wait_failed", "aclose")


class StreamingLLMResponse(AsyncClosing):
    """An async iterator of ``StreamChunk`` and an async context manager.

    ``response`` is the accumulated ``LLMResponse`` at any moment: complete after the stop
    chunk, partial after a failure. ``request_id``, ``rate_limit`` and ``headers`` come with the
    first chunk, before the rest of the body. Leaving ``async with`` (or ``aclose()``) closes the
    connection at once, even in the middle of the stream.

    Give ``chunks`` (one chunk at a time) or ``batches`` (sequences of chunks, in order).
    ``keep_text=False``: the response keeps no content or reasoning text (see
    ``ResponseAccumulator``).
    """

    __slots__ = (
        "_accumulator",
        "_add",
        "_batches",
        "_compact_at",
        "_finished",
        "_pending",
        "_pull",
        "_ready",
        "_source",
    )

    def __init__(
        self,
        chunks: AsyncIterator[StreamChunk] | None = None,
        *,
        batches: AsyncIterator[Sequence[StreamChunk]] | None = None,
        keep_text: bool = True,
    ) -> None:
        if (chunks is None) == (batches is None):
            raise ConfigurationError("StreamingLLMResponse needs either chunks or batches")
        self._source: AsyncIterator[StreamChunk] | None = chunks
        self._batches: AsyncIterator[Sequence[StreamChunk]] | None = batches
        self._ready = _NONE_READY  # the rest of the current batch, last chunk first
        self._compact_at = _COMPACT_EVERY  # nothing to compact before the first chunks
        self._accumulator = ResponseAccumulator(keep_text=keep_text)
        self._add = self._accumulator.add
        self._pending: RilletError | None = None
        self._pull: PullBatches | None = None  # batches that can be taken without a coroutine
        self._finished = False

    @classmethod
    def from_chunks(cls, chunks: Iterable[StreamChunk]) -> LLMResponse:
        """Assemble complete chunks into the final response, or raise the error they end in."""
        accumulator = ResponseAccumulator()
        for chunk in chunks:
            accumulator.add(chunk)
        return accumulator.result()

    @property
    def response(self) -> LLMResponse:
        """The response accumulated so far."""
        return self._accumulator.snapshot()

    @property
    def request_id(self) -> str | None:
        """The provider's request id, known from the first chunk on (None until then, and when
        the provider sent none)."""
        return self._accumulator.request_id

    @property
    def rate_limit(self) -> RateLimit | None:
        """The rate limits the response headers reported, known from the first chunk on."""
        return self._accumulator.rate_limit

    @property
    def headers(self) -> dict[str, str]:
        """The response headers, credentials removed, known from the first chunk on."""
        return self._accumulator.headers

    @property
    def accumulator(self) -> ResponseAccumulator:
        """The live accumulator (for ``partial_arguments`` and other on-demand views)."""
        return self._accumulator

    def __aiter__(self) -> StreamingLLMResponse:
        return self

    async def __anext__(self) -> StreamChunk:
        ready = self._ready
        if ready:  # the common case: the rest of a batch already read
            chunk = self._add(ready.pop())
            if chunk.type in TERMINAL_CHUNK_TYPES:
                await self._end()
            return chunk
        if self._finished:
            pending, self._pending = self._pending, None
            if pending is not None:
                raise pending
            raise StopAsyncIteration
        try:
            if self._batches is not None and self._accumulator.chunk_count >= self._compact_at:
                self._compact()
            pull = self._pull
            if pull is not None:
                # A live stream: one read per chunk, and no coroutine between this one and the
                # socket's wait (each costs a call per chunk, and waits with it).
                while True:
                    try:
                        await pull.wait()  # at once when something is here already
                    except BaseException as exc:
                        pull.wait_failed(exc)  # raises, unless bytes came before the fault
                    batch = pull.take()
                    if batch is not None:
                        break
                if not batch:
                    raise StopAsyncIteration
                chunk = batch[0] if len(batch) == 1 else self._first_of_many(batch)
            elif (batches := self._batches) is not None:
                if not self._accumulator.chunk_count:
                    await self._read_batch(batches)  # the first read (a subclass may watch it)
                    if _pulls(type(batches)):
                        self._pull = batches  # type: ignore[assignment]  # the later reads: above
                    chunk = self._ready.pop()
                    if not self._ready:  # a read of one chunk: keep no empty list of its own
                        self._ready = _NONE_READY
                else:
                    # Batches of any other adapter, read inline: each coroutine in the chain
                    # costs a call per read and waits (outliving a collection or two) with it.
                    batch = await batches.__anext__()
                    while not batch:
                        batch = await batches.__anext__()
                    chunk = batch[0] if len(batch) == 1 else self._first_of_many(batch)
            elif self._source is not None:
                chunk = await self._source.__anext__()
            else:
                raise StopAsyncIteration
        except StopAsyncIteration:
            if self._source is None and self._batches is None:
                raise
            return await self._fail(
                StreamInterruptedError(
                    "the stream ended before its terminal chunk", body_started=True
                )
            )
        except RilletError as error:
            return await self._fail(error)
        except Exception as error:  # a bug in an adapter must still end as a rillet error
            _log.exception("adapter raised %s", type(error).__name__)
            wrapped = RilletError(f"the adapter failed: {type(error).__name__}: {error}")
            wrapped.__cause__ = error
            return await self._fail(wrapped)
        chunk = self._add(chunk)
        if chunk.type in TERMINAL_CHUNK_TYPES:
            await self._end()
        return chunk

    def _first_of_many(self, batch: Sequence[StreamChunk]) -> StreamChunk:
        """The first chunk of a batch of several; the rest wait in ``_ready``."""
        self._ready = list(reversed(batch))
        return self._ready.pop()

    def _compact(self) -> None:
        """Keeps a long text compact (see ``ResponseAccumulator.compact``), every so often."""
        accumulator = self._accumulator
        accumulator.compact()
        self._compact_at = accumulator.chunk_count + _COMPACT_EVERY

    async def _read_batch(self, batches: AsyncIterator[Sequence[StreamChunk]]) -> None:
        """The first non-empty batch into ``_ready`` (reversed: ``pop()`` gives the next);
        ``__anext__`` reads the later ones itself."""
        batch: Sequence[StreamChunk] = ()
        while not batch:
            batch = await batches.__anext__()
        self._ready = list(reversed(batch))

    async def _end(self) -> None:
        """The terminal chunk was handed out: nothing after it is read."""
        self._finished = True
        self._ready = _NONE_READY
        self._pending = self._accumulator.failure()
        await self._close_source()

    async def _fail(self, error: RilletError) -> StreamChunk:
        """End the stream with ``error``: as an error chunk when chunks were already seen."""
        await self._close_source()
        self._finished = True
        self._ready = _NONE_READY
        error.partial = self._accumulator.snapshot()
        with_response_metadata(error, error.partial)
        if not self._accumulator.started:
            raise error
        self._pending = error
        return self._add(error_to_chunk(error))

    async def get_response(self) -> LLMResponse:
        """Read the rest of the stream and return the final response (or raise its error)."""
        async for _ in self:
            pass
        return self._accumulator.result()

    async def _close_source(self) -> None:
        sources = (self._source, self._batches)
        self._source = self._batches = self._pull = None
        for source in sources:
            aclose = getattr(source, "aclose", None)
            if aclose is not None:
                await aclose()

    async def aclose(self) -> None:
        """Stop reading and release the connection."""
        self._finished = True
        self._ready = _NONE_READY
        await self._close_source()

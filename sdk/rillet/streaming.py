"""``StreamingLLMResponse``: one stream of chunks, its accumulated response, and its end.

It guards the stream's contract for every adapter: whatever the adapter does, the consumer sees
chunks up to exactly one terminal chunk, and a failure after the stream began arrives as an
``error`` chunk followed by the typed exception (whose ``partial`` holds what arrived).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from types import TracebackType

from rillet._exceptions import RilletError, StreamInterruptedError
from rillet.accumulator import ResponseAccumulator
from rillet.errors import error_to_chunk
from rillet.protocol import TERMINAL_CHUNK_TYPES, LLMResponse, StreamChunk

__all__ = ["StreamingLLMResponse"]

_log = logging.getLogger("rillet.stream")


class StreamingLLMResponse:
    """An async iterator of ``StreamChunk`` and an async context manager.

    ``response`` is the accumulated ``LLMResponse`` at any moment: complete after the stop
    chunk, partial after a failure. Leaving ``async with`` (or ``aclose()``) closes the
    connection at once, even in the middle of the stream.
    """

    def __init__(self, chunks: AsyncIterator[StreamChunk]) -> None:
        self._source: AsyncIterator[StreamChunk] | None = chunks
        self._accumulator = ResponseAccumulator()
        self._pending: RilletError | None = None
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
    def accumulator(self) -> ResponseAccumulator:
        """The live accumulator (for ``partial_arguments`` and other on-demand views)."""
        return self._accumulator

    async def __aenter__(self) -> StreamingLLMResponse:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __aiter__(self) -> StreamingLLMResponse:
        return self

    async def __anext__(self) -> StreamChunk:
        if self._finished:
            pending, self._pending = self._pending, None
            if pending is not None:
                raise pending
            raise StopAsyncIteration
        if self._source is None:
            raise StopAsyncIteration
        try:
            chunk = await self._source.__anext__()
        except StopAsyncIteration:
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
        chunk = self._accumulator.add(chunk)
        if chunk.type in TERMINAL_CHUNK_TYPES:
            self._finished = True
            self._pending = self._accumulator.failure()
            await self._close_source()
        return chunk

    async def _fail(self, error: RilletError) -> StreamChunk:
        """End the stream with ``error``: as an error chunk when chunks were already seen."""
        await self._close_source()
        self._finished = True
        error.partial = self._accumulator.snapshot()
        if not self._accumulator.started:
            raise error
        self._pending = error
        return self._accumulator.add(error_to_chunk(error))

    async def get_response(self) -> LLMResponse:
        """Read the rest of the stream and return the final response (or raise its error)."""
        async for _ in self:
            pass
        return self._accumulator.result()

    async def _close_source(self) -> None:
        source, self._source = self._source, None
        aclose = getattr(source, "aclose", None)
        if aclose is not None:
            await aclose()

    async def aclose(self) -> None:
        """Stop reading and release the connection."""
        self._finished = True
        await self._close_source()

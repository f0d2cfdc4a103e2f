"""The tap between ``LLMClient`` and an adapter under test: it records what the adapter yields.

``Tap(adapter, seen)`` wraps the adapter where the client calls it (``stream_batches``), so the
suite judges what users get, and records into ``seen`` every chunk the adapter yields, even
after its terminal chunk (which the client would hide), and what it raises.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Sequence

from rillet.adapter import CallSettings, ProviderAdapter
from rillet.conformance.observation import Observation
from rillet.protocol import TERMINAL_CHUNK_TYPES, LLMRequest, StreamChunk

__all__ = ["DRAIN_LIMIT", "Tap"]

DRAIN_LIMIT = 1000
"""Chunks read on after the terminal one before the tap stops reading."""


class Tap:
    """Wraps an adapter where ``LLMClient`` calls it (``stream_batches``); records every chunk
    it yields, and what it raises, into ``seen``."""

    def __init__(self, inner: ProviderAdapter, seen: Observation) -> None:
        self._inner = inner
        self._seen = seen

    @property
    def provider(self) -> str:
        return self._inner.provider

    @property
    def native_output(self) -> bool:
        """The adapter's own: the client asks for structured output natively only where the
        adapter maps it (else through a forced tool)."""
        return bool(getattr(self._inner, "native_output", False))

    async def stream_batches(
        self, request: LLMRequest, settings: CallSettings
    ) -> AsyncGenerator[Sequence[StreamChunk], None]:
        source = self._inner.stream_batches(request, settings)
        try:
            async for batch in source:
                self._seen.chunks.extend(batch)
                if any(chunk.type in TERMINAL_CHUNK_TYPES for chunk in batch):
                    await self._drain(source)
                yield batch
        except Exception as error:
            self._seen.raised = error
            raise
        finally:
            aclose = getattr(source, "aclose", None)
            if aclose is not None:
                await aclose()

    async def _drain(self, source: AsyncIterator[Sequence[StreamChunk]]) -> None:
        """Read on after the terminal chunk: whatever the adapter still yields is a violation."""
        try:
            async for extra in source:
                self._seen.chunks.extend(extra)
                if len(self._seen.chunks) > DRAIN_LIMIT:
                    break
        except Exception:  # an error after the terminal chunk never reaches the consumer
            pass

    async def aclose(self) -> None:
        await self._inner.aclose()

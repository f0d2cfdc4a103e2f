"""The interface every provider adapter implements."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from rillet.protocol import LLMRequest, StreamChunk
from rillet.timeout import Timeout

__all__ = ["CallOptions", "ProviderAdapter"]


@dataclass(frozen=True, slots=True)
class CallOptions:
    """Per-call transport settings; None means the adapter's (or client's) default.

    ``keep_frames=False`` asks the transport to keep no history of the frames it hands out
    (errors then carry none), so that a long stream holds no memory that grows with it.
    """

    timeout: Timeout | None = None
    max_retries: int | None = None
    keep_frames: bool = True


@runtime_checkable
class ProviderAdapter(Protocol):
    """Turns a neutral ``LLMRequest`` into the provider's stream, as ``StreamChunk`` values.

    ``stream`` yields one ``start`` chunk first and exactly one terminal chunk (``stop`` or
    ``error``) last. Failures of the transport are raised as rillet exceptions; an error the
    provider sends inside the stream is yielded as an ``error`` chunk. Closing the iterator
    early must release the connection.
    """

    @property
    def provider(self) -> str:
        """The provider's name, as in ``StartChunk.provider``."""
        ...

    def stream(self, request: LLMRequest, options: CallOptions) -> AsyncIterator[StreamChunk]:
        """Send ``request`` and yield its normalized chunks as they arrive."""
        ...

    async def aclose(self) -> None:
        """Release what the adapter owns (sessions, connections)."""
        ...

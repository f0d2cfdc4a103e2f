"""The interface ``LLMClient`` streams through, and the settings of one call.

``LLMClient`` calls one method of an adapter, ``stream_batches``: the chunks of each network read
at once, so that a chunk costs no trip through an async generator of its own. An adapter that is
simpler to write one chunk at a time subclasses ``ChunkAdapter`` and writes ``stream`` only.
"""

from __future__ import annotations

import warnings
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from rillet._deprecation import renamed_attributes
from rillet._exceptions import ConfigurationError
from rillet._keep_frames import KeepFrames
from rillet.protocol import LLMRequest, StreamChunk
from rillet.timeout import Timeout

__all__ = [
    "CallSettings",
    "ChunkAdapter",
    "ProviderAdapter",
    "PullBatches",
    "as_provider_adapter",
]


@dataclass(frozen=True, slots=True)
class CallSettings:
    """Per-call transport settings; None means the adapter's (or client's) default.

    ``keep_frames``: the history of frames the transport keeps for errors: the last
    ``FRAME_WINDOW`` (True), every one (``"all"``), none (False).
    """

    timeout: Timeout | None = None
    max_retries: int | None = None
    keep_frames: KeepFrames = True


@runtime_checkable
class ProviderAdapter(Protocol):
    """Turns a neutral ``LLMRequest`` into the provider's stream, as ``StreamChunk`` values.

    ``stream_batches`` yields the chunks in order, in sequences: each holds chunks already
    decoded (it never waits for more to fill up), so a consumer sees every chunk as soon as its
    bytes arrived. The first chunk is ``start`` and exactly one terminal chunk (``stop`` or
    ``error``) comes last. Failures of the transport are raised as rillet exceptions; an error
    the provider sends inside the stream is yielded as an ``error`` chunk. Closing the iterator
    early must release the connection.
    """

    @property
    def provider(self) -> str:
        """The provider's name, as in ``StartChunk.provider``."""
        ...

    def stream_batches(
        self, request: LLMRequest, settings: CallSettings
    ) -> AsyncIterator[Sequence[StreamChunk]]:
        """Send ``request`` and yield its normalized chunks, a network read's worth at a time."""
        ...

    async def aclose(self) -> None:
        """Release what the adapter owns (sessions, connections)."""
        ...


@runtime_checkable
class PullBatches(Protocol):
    """What ``stream_batches`` may return beside a plain async iterator, so that a live stream
    (one event per network read) costs no coroutine of the adapter's per event.

    ``await wait()`` ends when there is something to take: at once if there is already, else
    when more of the response arrived. ``take()`` then maps it, without waiting: a non-empty
    list of chunks, None when it completed no chunk yet (wait again), ``[]`` once the stream has
    ended. A failure of ``wait()`` goes to ``wait_failed(exc)``, which raises the rillet error
    it amounts to (``exc`` itself for a cancellation) or returns when bytes that came before it
    are still to be taken. ``StreamingLLMResponse`` reads the first batch through
    ``__anext__`` and the rest this way; iterating with ``async for`` gives the same batches.
    """

    def __aiter__(self) -> AsyncIterator[Sequence[StreamChunk]]: ...

    async def __anext__(self) -> Sequence[StreamChunk]: ...

    def take(self) -> Sequence[StreamChunk] | None: ...

    def wait(self) -> Awaitable[object]: ...

    def wait_failed(self, exc: BaseException) -> None: ...

    async def aclose(self) -> None: ...


class ChunkAdapter(ABC):
    """Base of an adapter written one chunk at a time: it gives ``provider`` and ``stream``
    (an async generator of ``StreamChunk``, under the contract of ``ProviderAdapter``) and, when
    it owns connections, ``aclose``; ``stream_batches`` hands each chunk out alone."""

    @abstractmethod
    def stream(self, request: LLMRequest, settings: CallSettings) -> AsyncIterator[StreamChunk]:
        """Send ``request`` and yield its normalized chunks as they arrive."""

    async def stream_batches(
        self, request: LLMRequest, settings: CallSettings
    ) -> AsyncIterator[Sequence[StreamChunk]]:
        """``stream``, each chunk a batch of its own."""
        chunks = self.stream(request, settings)
        try:
            async for chunk in chunks:
                yield (chunk,)
        finally:
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                await aclose()

    async def aclose(self) -> None:
        """Nothing to release unless a subclass owns connections."""
        return None


def as_provider_adapter(adapter: object) -> ProviderAdapter:
    """``adapter``, checked to be a ``ProviderAdapter`` (else ``ConfigurationError``).

    An adapter written before ``stream_batches`` (``provider``, ``stream`` and ``aclose`` only)
    still works, wrapped in a ``ChunkAdapter``, with a ``DeprecationWarning``: subclass
    ``ChunkAdapter``, which supplies ``stream_batches``, before the next release.
    """
    if isinstance(adapter, ProviderAdapter):
        return adapter
    if all(hasattr(adapter, name) for name in ("provider", "stream", "aclose")):
        warnings.warn(
            f"{type(adapter).__name__} has no stream_batches: subclass rillet.ChunkAdapter "
            "(adapters with stream alone stop working in the next release)",
            DeprecationWarning,
            stacklevel=3,
        )
        return _StreamOnly(adapter)
    raise ConfigurationError(
        f"{type(adapter).__name__} is not a ProviderAdapter: it needs provider, "
        "stream_batches (or subclass ChunkAdapter and write stream) and aclose"
    )


class _StreamOnly(ChunkAdapter):
    """An adapter with ``stream`` alone, seen through ``ChunkAdapter``; other attributes are
    the adapter's own (``client.adapter.requests`` still reads a mock's requests)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    @property
    def provider(self) -> str:
        return str(self._inner.provider)

    def stream(self, request: LLMRequest, settings: CallSettings) -> AsyncIterator[StreamChunk]:
        chunks: AsyncIterator[StreamChunk] = self._inner.stream(request, settings)
        return chunks

    async def aclose(self) -> None:
        await self._inner.aclose()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


if TYPE_CHECKING:
    CallOptions = CallSettings  # the deprecated name, for type checkers until it goes
else:
    __getattr__ = renamed_attributes(__name__, {"CallOptions": ("CallSettings", CallSettings)})

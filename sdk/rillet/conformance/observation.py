"""What one run of a case produced, and how a run can break a rule."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from rillet.output._parser import OutputEvent
from rillet.protocol import TERMINAL_CHUNK_TYPES, LLMResponse, StopChunk, StreamChunk

__all__ = ["Observation", "RequestSeen", "Violation", "describe", "first_divergence"]


@dataclass(frozen=True)
class RequestSeen:
    """One request as the emulator saw it."""

    path: str
    disconnected: bool
    """The client went away before the reply was complete."""
    finished: bool = True
    """The emulator's reply was over when the run ended."""
    status: int | None = None
    """The reply's HTTP status (None: not known, as in a vcrpy replay)."""
    headers: Mapping[str, str] = field(default_factory=dict)
    """The reply's headers, as the server sent them."""


@dataclass
class Observation:
    """Everything one run produced."""

    chunks: list[StreamChunk] = field(default_factory=list)
    """Every chunk the adapter yielded, in order, including any after its terminal chunk."""
    raised: BaseException | None = None
    """What the adapter itself raised (None: it ended, or the consumer left)."""
    error: BaseException | None = None
    """What the consumer's stream raised (a rillet error holds the partial response)."""
    response: LLMResponse | None = None
    """The consumer's accumulated response: complete, or what arrived."""
    requests: list[RequestSeen] = field(default_factory=list)
    cancelled: bool = False
    """The consumer left the stream on purpose."""
    hung: bool = False
    """The run outlived its guard and was stopped."""
    seconds: float = 0.0
    output_events: list[OutputEvent] = field(default_factory=list)
    """A structured-output case: the field events ``output_events()`` gave."""
    output: object = None
    """A structured-output case: ``response.output``, the validated value."""

    @property
    def terminal_index(self) -> int | None:
        return next((i for i, c in enumerate(self.chunks) if c.type in TERMINAL_CHUNK_TYPES), None)

    @property
    def stream(self) -> list[StreamChunk]:
        """The chunks up to the first terminal chunk, included: what the consumer sees."""
        end = self.terminal_index
        return self.chunks if end is None else self.chunks[: end + 1]

    @property
    def stop(self) -> StopChunk | None:
        end = self.terminal_index
        chunk = None if end is None else self.chunks[end]
        return chunk if isinstance(chunk, StopChunk) else None

    @property
    def succeeded(self) -> bool:
        """The stream ended in a stop chunk and raised nothing."""
        return self.stop is not None and self.error is None and not self.hung


@dataclass(frozen=True)
class Violation:
    """One way a run broke one rule."""

    rule: str
    message: str
    index: int | None = None
    expected: str | None = None
    got: str | None = None


_NOT_DESCRIBED = {"headers", "rate_limit"}
"""The start chunk's copy of the response headers: long, and not the stream's content (the
date, a server's own headers and rate-limit resets differ from one reply of a body to the next)."""


def describe(chunk: StreamChunk | None) -> str:
    """A chunk in one line, for reports."""
    if chunk is None:
        return "end of stream"
    data = chunk.model_dump(mode="json", exclude_none=True, exclude=_NOT_DESCRIBED)
    return json.dumps(data, ensure_ascii=False)


def first_divergence(
    violations: Sequence[Violation], chunks: Sequence[StreamChunk]
) -> Violation | None:
    """The violation at the earliest chunk (those without a chunk come last)."""
    if not violations:
        return None
    return min(violations, key=lambda v: len(chunks) + 1 if v.index is None else v.index)

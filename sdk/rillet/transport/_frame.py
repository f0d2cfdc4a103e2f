"""``Frame``: one unit of a streamed body: an SSE event, one element of a JSON array, or one
message of an AWS event stream.

The decoders build frames in bulk (hundreds per network read), so they build ``UnsealedFrame``
objects, which have ``Frame``'s layout but a plain ``__init__``, and ``seal`` turns them into
``Frame`` instances in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Frame", "UnsealedFrame", "seal"]


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame: an SSE event, or one element of a streamed JSON array (``event="message"``,
    ``data`` the element's JSON text), or one AWS event-stream message: an ``event`` message is
    ``event=<:event-type>``, ``data`` its payload; an ``exception`` message is
    ``event=":exception:<:exception-type>"``, ``data`` its payload (``{"message": ...}``); an
    ``error`` message is ``event=":error:<:error-code>"``, ``data`` ``{"message":
    <:error-message>}``. Event types never start with ``:``, so the three cannot be confused.

    ``id`` is the stream's last event id when this event was dispatched (it persists across
    events, as in the SSE spec; ``""`` after a bare ``id`` line), ``retry`` the ``retry`` field
    given in this event's own block, if any. Both stay ``None`` for JSON-array elements.
    """

    event: str = "message"
    data: str = ""
    id: str | None = None
    retry: int | None = None
    parsed: object = field(default=None, compare=False, repr=False)
    """``data`` as the adapter read it, when the decoder had to parse the element anyway to
    prove where it ends (``JSONArrayDecoder(parse_element=...)``), so that it is parsed once;
    None otherwise, and always on a frame whose data had a secret redacted."""


class UnsealedFrame:
    """``Frame``'s layout without the frozen ``__init__``, which sets each field through
    ``object.__setattr__`` and costs the decoders more than all their parsing. ``seal`` re-labels
    it ``Frame``: the same object as the dataclass would build, immutable from then on (CPython
    and PyPy allow ``__class__`` assignment between classes with identical slots)."""

    __slots__ = ("data", "event", "id", "parsed", "retry")

    def __init__(
        self, event: str, data: str, id: str | None, retry: int | None, parsed: object = None
    ) -> None:
        self.event = event
        self.data = data
        self.id = id
        self.retry = retry
        self.parsed = parsed


# CPython lays slots out in sorted order: the same names mean the same layout.
if sorted(UnsealedFrame.__slots__) != sorted(Frame.__slots__):  # pragma: no cover
    raise TypeError("UnsealedFrame must mirror Frame's fields")


def seal(frames: list[UnsealedFrame]) -> list[Frame]:
    """The same list, each of its frames now a ``Frame``."""
    for frame in frames:
        frame.__class__ = Frame  # type: ignore[assignment]
    return frames  # type: ignore[return-value]

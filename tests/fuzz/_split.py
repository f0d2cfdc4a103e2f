"""Feeding a decoder: a byte sequence cut anywhere, and what the decoder makes of it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Protocol

from hypothesis import strategies as st

from rillet import RilletError
from rillet.transport import Frame


class Decoder(Protocol):
    def feed(self, chunk: bytes) -> list[Frame]: ...

    def flush(self) -> list[Frame]: ...


@dataclass
class Outcome:
    """Every frame a decoder gave, and the rillet error that ended it (by class), if any."""

    frames: list[Frame] = field(default_factory=list)
    error: type[RilletError] | None = None


def decode(make: Callable[[], Decoder], chunks: Sequence[bytes]) -> Outcome:
    """Feed ``chunks`` one by one, then flush; a rillet error ends the feeding (any other
    exception fails the test)."""
    decoder = make()
    outcome = Outcome()
    try:
        for chunk in chunks:
            outcome.frames += decoder.feed(chunk)
        outcome.frames += decoder.flush()
    except RilletError as error:
        outcome.error = type(error)
    return outcome


def same_whatever_the_cut(
    make: Callable[[], Decoder], body: bytes, pieces: Sequence[bytes]
) -> Outcome:
    """What a decoder makes of ``body`` whole, once ``pieces`` (``body`` cut) gave the same: the
    same frames, or the same error (the frames before an error may differ: a read is decoded
    whole or not at all)."""
    whole = decode(make, [body])
    split = decode(make, pieces)
    assert split.error == whole.error
    if whole.error is None:
        assert split.frames == whole.frames
    return whole


@st.composite
def cut(draw: st.DrawFn, data: bytes) -> list[bytes]:
    """``data`` in pieces: cut anywhere, often a byte at a time, empty pieces included."""
    if data and draw(st.integers(0, 9)) == 0:
        return [data[i : i + 1] for i in range(len(data))]
    points = draw(st.lists(st.integers(0, len(data)), max_size=12))
    bounds = [0, *sorted(points), len(data)]
    return [data[start:end] for start, end in pairwise(bounds)]

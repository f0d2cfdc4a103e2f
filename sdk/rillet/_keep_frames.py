"""What a stream keeps of its wire frames for its errors (``keep_frames``)."""

from __future__ import annotations

from typing import Literal, TypeAlias

__all__ = ["FRAME_WINDOW", "KeepFrames"]

FRAME_WINDOW = 256
"""How many of the last frames a stream keeps for its errors by default (``keep_frames=True``):
enough to show what led to a fault, a few hundred KiB at most, and the same for a stream of ten
events or ten million."""

KeepFrames: TypeAlias = bool | Literal["all"]
"""``True``: the last ``FRAME_WINDOW`` frames; ``"all"``: every frame (the whole body is kept);
``False``: none."""

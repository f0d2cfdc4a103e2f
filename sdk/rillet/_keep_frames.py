"""What a stream keeps of its wire frames for its errors (``keep_frames``)."""

from __future__ import annotations

from typing import Literal, TypeAlias

__all__ = ["FRAME_WINDOW", "KeepFrames"]

FRAME_WINDOW = 16
"""How many of the last frames a stream keeps for its errors by default (``keep_frames=True``):
the frame at fault and what led to it, whatever the stream's length. A kept frame costs about
450 bytes (its text, kept as a string, and its slots in the window), a window of 16 about 7 KB: a
process of 10,000 open streams keeps 70 MB for them, where 256 frames would be 1.1 GB, several
times what the connections themselves hold."""

KeepFrames: TypeAlias = bool | Literal["all"]
"""``True``: the last ``FRAME_WINDOW`` frames (fewer before a fault in the middle of a read, whose
later frames were handed out with it); ``"all"``: every frame (the whole body is kept);
``False``: none."""

"""The wire-neutral pieces of rendering: events, deterministic ids, framing, event-level faults.

Each wire module turns a scenario into a list of ``Event``; this module frames events into
bytes (SSE with ``event:`` lines or without, or a pretty-printed JSON array) and applies the
faults that act on events rather than bytes (a huge event, an in-stream error after N content
events). Everything is pure and deterministic: the same scenario always gives the same bytes,
so recorded cassettes do not change from one run to the next.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

__all__ = [
    "CREATED",
    "PADDING_FIELD",
    "Event",
    "compact",
    "cut_for_error",
    "ident",
    "json_array",
    "pad_first_content",
    "sse",
]

CREATED = 1767225600
"""The fixed creation time every rendered response reports (2026-01-01T00:00:00Z)."""

PADDING_FIELD = "emulator_padding"
"""The unknown field that carries the bulk of a huge event."""

_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class Event:
    """One event of a rendered stream."""

    data: Any
    """A JSON value, or a string sent verbatim (``[DONE]``, a comment's text)."""
    name: str | None = None
    """The SSE ``event:`` name; None for data-only events."""
    content: bool = False
    """Carries the scenario's content (counted by ``StreamError.after_events``)."""
    terminal: bool = False
    """Part of how the stream ends: an in-stream error comes before the first of these."""
    comment: bool = False
    """An SSE comment line (``: text``); ``data`` is its text."""


def ident(seed: str, size: int) -> str:
    """A deterministic alphanumeric id of ``size`` characters derived from ``seed``."""
    digest = hashlib.sha256(seed.encode()).digest()
    while len(digest) < size:
        digest += hashlib.sha256(digest).digest()
    return "".join(_ALNUM[byte % len(_ALNUM)] for byte in digest[:size])


def compact(value: Any) -> str:
    """JSON as OpenAI and Anthropic send it: no spaces, UTF-8 kept."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def sse(
    events: Iterable[Event],
    *,
    dumps: Callable[[Any], str] = compact,
    named: bool = False,
    eol: str = "\n",
) -> bytes:
    """SSE framing: ``event:`` lines when ``named``, ``data:`` lines, a blank line after each."""
    out: list[str] = []
    for event in events:
        if event.comment:
            out.append(f": {event.data}{eol}{eol}")
            continue
        data = event.data if isinstance(event.data, str) else dumps(event.data)
        head = f"event: {event.name}{eol}" if named and event.name else ""
        out.append(f"{head}data: {data}{eol}{eol}")
    return "".join(out).encode()


def json_array(events: Sequence[Event]) -> bytes:
    """Gemini's JSON array without ``alt=sse``: two-space indented elements, each after the
    first preceded by ``,`` and CRLF, as the real API sends them (``[{`` ... ``}\\n,\\r\\n{``)."""
    elements = [json.dumps(e.data, ensure_ascii=False, indent=2) for e in events]
    return ("[" + "\n,\r\n".join(elements) + "\n]").encode()


def pad_first_content(events: Sequence[Event], size: int) -> list[Event]:
    """Grow the first content event (else the first event) to about ``size`` bytes."""
    out = list(events)
    targets = [i for i, e in enumerate(out) if e.content and isinstance(e.data, dict)]
    targets = targets or [i for i, e in enumerate(out) if isinstance(e.data, dict)]
    if not targets:
        return out
    index = targets[0]
    event = out[index]
    # compact JSON of the padded event is then ``size`` bytes (a few more once framed)
    room = size - len(compact(event.data).encode()) - len(f',"{PADDING_FIELD}":""')
    filler = "0123456789abcdef" * (max(room, 16) // 16 + 1)
    out[index] = replace(event, data={**event.data, PADDING_FIELD: filler[: max(room, 16)]})
    return out


def cut_for_error(events: Sequence[Event], after: int) -> list[Event]:
    """The events sent before an in-stream error: up to ``after`` content events, never the
    events that end the stream."""
    seen = 0
    for index, event in enumerate(events):
        if event.terminal:
            return list(events[:index])
        if event.content:
            if seen == after:
                return list(events[:index])
            seen += 1
    return list(events)

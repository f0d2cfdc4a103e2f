"""Bedrock ConverseStream: AWS event-stream frames, as ``bedrock-runtime`` sends them.

As the real bytes show (``../shared/real-streams-bedrock``): ``messageStart`` (``role``), then
one content block per part of the answer, numbered by ``contentBlockIndex``: reasoning
(``reasoningContent`` deltas, ``text`` then its ``signature``), text (no ``contentBlockStart``:
the first delta opens it) and one block per tool call, opened by ``contentBlockStart``
(``toolUse`` with its ``toolUseId`` and ``name``) and fed ``toolUse.input`` fragments, the first
one empty as Claude sends it; ``contentBlockStop`` after each block, ``messageStop``
(``stopReason``) and ``metadata`` (``usage`` and ``metrics.latencyMs``). Usage is always there
(zero tokens for a scenario without any): the service never leaves it out. Every payload's keys
are sorted and it carries a ``p`` field of padding (``abcd...``, of a length that varies), as
the real ones do. An error inside the stream is an ``exception`` message
(``:exception-type`` ``throttlingException``, ...) with ``{"message": ...}``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from rillet.emulator.render._events import Event, ident
from rillet.emulator.render._eventstream import (
    EVENT_STREAM_TYPE,
    event_message,
    exception_message,
)
from rillet.emulator.scenario import ErrorKind, Finish, Scenario, StreamError

__all__ = [
    "CONTENT_TYPE",
    "EXCEPTIONS",
    "RAW_FINISH",
    "error_event",
    "events",
    "frame",
    "usage",
]

CONTENT_TYPE = EVENT_STREAM_TYPE

RAW_FINISH: dict[Finish, str] = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "content_filtered",
    "error": "malformed_model_output",
    # Not in the service model (yet): a reason added later, which clients keep raw as "other"
    "other": "pause_turn",
}

EXCEPTIONS: dict[ErrorKind, tuple[str, str]] = {
    "rate_limit": (
        "throttlingException",
        "Too many requests, please wait before trying again.",
    ),
    "overloaded": ("serviceUnavailableException", "Bedrock is unable to process your request."),
    "server": (
        "internalServerException",
        "The system encountered an unexpected error during processing. Try your request again.",
    ),
    "invalid_request": ("validationException", "Input is too long for requested model."),
}
"""The ``:exception-type`` and message of an in-stream error of each kind."""

_EXCEPTION = "exception:"
"""An event named ``exception:<type>`` is framed as an exception message, not an event."""
_PADDING = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_LATENCY_MS = 593


def events(scenario: Scenario) -> list[Event]:
    out = [Event({"role": "assistant"}, "messageStart")]
    if scenario.faults.unknown_events:
        out.append(Event({"emulatorPayload": {"nested": [1, 2]}}, "emulatorUnknownEvent"))
    index = 0
    if scenario.reasoning or scenario.reasoning_signature:
        deltas = [{"reasoningContent": {"text": text}} for text in scenario.reasoning]
        if scenario.reasoning_signature:
            deltas.append({"reasoningContent": {"signature": scenario.reasoning_signature}})
        out += _block(index, None, deltas)
        index += 1
    if scenario.text:
        out += _block(index, None, [{"text": text} for text in scenario.text])
        index += 1
    for number, call in enumerate(scenario.tool_calls):
        tool_id = call.id or "tooluse_" + ident(f"{scenario.name}:{number}", 22)
        start = {"toolUse": {"name": call.name, "toolUseId": tool_id}}
        pieces = ["", *call.pieces()]  # Claude's first fragment is empty
        out += _block(index, start, [{"toolUse": {"input": piece}} for piece in pieces])
        index += 1
    if scenario.faults.unknown_events:
        _add_unknown_field(out)
    out.append(Event({"stopReason": RAW_FINISH[scenario.finish]}, "messageStop", terminal=True))
    out.append(Event(_metadata(scenario), "metadata", terminal=True))
    return out


def error_event(scenario: Scenario, error: StreamError) -> Event:
    exception_type, message = EXCEPTIONS[error.kind]
    return Event({"message": error.message or message}, _EXCEPTION + exception_type)


def frame(events: Sequence[Event]) -> bytes:
    """Each event as one event-stream message (exceptions as exception messages)."""
    out: list[bytes] = []
    for event in events:
        name, data = event.name or "", event.data
        if name.startswith(_EXCEPTION):
            out.append(exception_message(name.removeprefix(_EXCEPTION), data["message"]))
        else:
            out.append(event_message(name, _padded(data)))
    return b"".join(out)


def usage(scenario: Scenario) -> tuple[int, int]:
    """The (input, output) tokens sent: ``metadata.usage`` is always there."""
    return scenario.usage if scenario.usage is not None else (0, 0)


def _block(index: int, start: dict[str, Any] | None, deltas: list[dict[str, Any]]) -> list[Event]:
    out: list[Event] = []
    if start is not None:
        start_event = {"contentBlockIndex": index, "start": start}
        out.append(Event(start_event, "contentBlockStart"))
    for delta in deltas:
        data = {"contentBlockIndex": index, "delta": delta}
        out.append(Event(data, "contentBlockDelta", content=True))
    out.append(Event({"contentBlockIndex": index}, "contentBlockStop"))
    return out


def _metadata(scenario: Scenario) -> dict[str, Any]:
    prompt, output = usage(scenario)
    return {
        "metrics": {"latencyMs": _LATENCY_MS},
        "usage": {
            "cacheReadInputTokens": 0,
            "cacheWriteInputTokens": 0,
            "inputTokens": prompt,
            "outputTokens": output,
            "totalTokens": prompt + output,
        },
    }


def _add_unknown_field(events: list[Event]) -> None:
    """An unknown field in the first content delta."""
    for position, event in enumerate(events):
        if event.content:
            data = {**event.data, "emulatorField": "ignore me"}
            events[position] = Event(data, event.name, content=True)
            return


def _sorted(value: Any) -> Any:
    """Keys in sorted order at every level, as the service writes them."""
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value


def _padded(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with its ``p`` padding, placed where the sorted keys put it; the length comes
    from the content, so the same event always pads the same."""
    seed = repr(sorted(data.items())).encode()
    width = 1 + hashlib.sha256(seed).digest()[0] % len(_PADDING)
    padded: dict[str, Any] = _sorted({**data, "p": _PADDING[:width]})
    return padded

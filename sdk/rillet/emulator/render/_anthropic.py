"""Anthropic Messages: ``event:`` + ``data:`` pairs, one content block per part of the answer.

As api.anthropic.com sends them: ``message_start`` (usage with ``input_tokens``), then one block
per part, each ``content_block_start`` / deltas / ``content_block_stop`` (thinking with its
``signature_delta``, text, one ``tool_use`` block per call whose ``input_json_delta`` starts
empty), a ``ping`` after the first block start, ``message_delta`` (``stop_reason``, cumulative
usage) and ``message_stop``. Usage is always there (zero tokens for a scenario without any), as
the real API never leaves it out. Data lines carry the padding the real API adds before the
closing brace. A scenario ending in ``error`` has no stop reason here: the stream ends with an
``error`` event (``api_error``) instead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from rillet.emulator._errors import stream_error
from rillet.emulator.render._events import Event, compact, ident, sse
from rillet.emulator.scenario import Finish, Scenario, StreamError

__all__ = ["CONTENT_TYPE", "RAW_FINISH", "error_event", "events", "frame", "usage"]

CONTENT_TYPE = "text/event-stream; charset=utf-8"

RAW_FINISH: dict[Finish, str] = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
    "other": "pause_turn",
}

_PING = '{"type": "ping"}'  # the real API's ping, spaces and all

# a block before numbering: its start, then (delta, carries content) pairs
_Block = tuple[dict[str, Any], list[tuple[dict[str, Any], bool]]]


def events(scenario: Scenario) -> list[Event]:
    blocks = _blocks(scenario)
    out = [Event({"type": "message_start", "message": _message(scenario)}, "message_start")]
    if scenario.faults.unknown_events:
        payload = {"type": "emulator_unknown", "emulator_payload": {"nested": [1, 2]}}
        out.append(Event(payload, "emulator_unknown"))
    for index, (start, deltas) in enumerate(blocks):
        start_event = {"type": "content_block_start", "index": index, "content_block": start}
        out.append(Event(start_event, "content_block_start"))
        if index == 0:
            out.append(Event(_PING, "ping"))
        for delta, content in deltas:
            data = {"type": "content_block_delta", "index": index, "delta": delta}
            out.append(Event(data, "content_block_delta", content=content))
        out.append(Event({"type": "content_block_stop", "index": index}, "content_block_stop"))
    if scenario.finish == "error":
        out.append(Event(stream_error("anthropic", "server"), "error", terminal=True))
        return out
    out.append(Event(_message_delta(scenario), "message_delta", terminal=True))
    out.append(Event({"type": "message_stop"}, "message_stop", terminal=True))
    return out


def error_event(scenario: Scenario, error: StreamError) -> Event:
    return Event(stream_error("anthropic", error.kind, error.message), "error")


def frame(events: Sequence[Event]) -> bytes:
    return sse(events, dumps=_padded, named=True)


def _padded(value: Any) -> str:
    """Compact JSON with spaces before the last brace, as the real API pads its events."""
    text = compact(value)
    width = hashlib.sha256(text.encode()).digest()[0] % 16
    return text[:-1] + " " * width + text[-1]


def usage(scenario: Scenario) -> tuple[int, int]:
    """The (input, output) tokens sent: the API always reports usage, so a scenario without
    any reports zero tokens."""
    return scenario.usage if scenario.usage is not None else (0, 0)


def _message(scenario: Scenario) -> dict[str, Any]:
    prompt, output = usage(scenario)
    return {
        "model": scenario.model,
        "id": "msg_01" + ident(scenario.name, 22),
        "type": "message",
        "role": "assistant",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {
            "input_tokens": prompt,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
            "output_tokens": min(output, 1),
            "service_tier": "standard",
            "inference_geo": "not_available",
        },
    }


def _message_delta(scenario: Scenario) -> dict[str, Any]:
    prompt, output = usage(scenario)
    return {
        "type": "message_delta",
        "delta": {"stop_reason": _stop_reason(scenario), "stop_sequence": None},
        "usage": {
            "input_tokens": prompt,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": output,
        },
    }


def _stop_reason(scenario: Scenario) -> str:
    return RAW_FINISH["content_filter"] if scenario.refusal else RAW_FINISH[scenario.finish]


def _blocks(scenario: Scenario) -> list[_Block]:
    blocks: list[_Block] = []
    if scenario.reasoning or scenario.reasoning_signature:
        deltas = [({"type": "thinking_delta", "thinking": t}, True) for t in scenario.reasoning]
        if scenario.reasoning_signature:
            signature = {"type": "signature_delta", "signature": scenario.reasoning_signature}
            deltas.append((signature, True))
        blocks.append(({"type": "thinking", "thinking": "", "signature": ""}, deltas))
    if scenario.text or scenario.refusal:  # a refusal's words are text, then its stop
        texts = scenario.text + scenario.refusal
        deltas = [({"type": "text_delta", "text": t}, True) for t in texts]
        blocks.append(({"type": "text", "text": ""}, deltas))
    for number, call in enumerate(scenario.tool_calls):
        start = {
            "type": "tool_use",
            "id": call.id or "toolu_01" + ident(f"{scenario.name}:{number}", 22),
            "name": call.name,
            "input": {},
        }
        deltas = [({"type": "input_json_delta", "partial_json": ""}, True)]
        deltas += [({"type": "input_json_delta", "partial_json": p}, True) for p in call.pieces()]
        blocks.append((start, deltas))
    if scenario.faults.unknown_events:
        unknown: _Block = (
            {"type": "emulator_block", "emulator_payload": {"nested": True}},
            [({"type": "emulator_delta", "emulator_value": "ignore me"}, False)],
        )
        blocks.insert(min(1, len(blocks)), unknown)
        _add_unknown_field(blocks)
    return blocks


def _add_unknown_field(blocks: list[_Block]) -> None:
    """An unknown field in the first content delta."""
    for _, deltas in blocks:
        for position, (delta, content) in enumerate(deltas):
            if content:
                deltas[position] = ({**delta, "emulator_field": "ignore me"}, content)
                return

"""Helpers shared by the agent tests: an event recorder, and OpenAI-style SSE bodies."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from rillet.agent import AgentEvent


class EventLog:
    """A sync ``on_event`` callback that keeps every event."""

    def __init__(self) -> None:
        self.events: list[AgentEvent] = []

    def __call__(self, event: AgentEvent) -> None:
        self.events.append(event)

    @property
    def types(self) -> list[str]:
        return [event.type for event in self.events]

    def of(self, event_type: str) -> list[AgentEvent]:
        return [event for event in self.events if event.type == event_type]


def squeezed(types: Sequence[str]) -> list[str]:
    """Event types with each run of ``AGENT_STREAM_CHUNK`` written once, as ``CHUNKS``."""
    out: list[str] = []
    for kind in types:
        if kind != "AGENT_STREAM_CHUNK":
            out.append(kind)
        elif not out or out[-1] != "CHUNKS":
            out.append("CHUNKS")
    return out


def _line(delta: dict[str, Any], finish: str | None = None) -> str:
    chunk = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-test",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(chunk)}\n\n"


def openai_sse(
    text: str = "",
    *,
    tool_calls: Sequence[tuple[str, str, str]] = (),
    piece: int = 4,
) -> bytes:
    """An OpenAI Chat Completions SSE body: text in pieces, then ``(id, name, arguments)`` calls."""
    lines = [_line({"role": "assistant", "content": ""})]
    lines += [_line({"content": text[i : i + piece]}) for i in range(0, len(text), piece)]
    for index, (call_id, name, arguments) in enumerate(tool_calls):
        start = {"index": index, "id": call_id, "type": "function"}
        lines.append(
            _line({"tool_calls": [{**start, "function": {"name": name, "arguments": ""}}]})
        )
        for i in range(0, len(arguments), piece):
            part = {"index": index, "function": {"arguments": arguments[i : i + piece]}}
            lines.append(_line({"tool_calls": [part]}))
    lines.append(_line({}, "tool_calls" if tool_calls else "stop"))
    usage = {"prompt_tokens": 7, "completion_tokens": 5, "total_tokens": 12}
    lines.append(f"data: {json.dumps({'id': 'chatcmpl-1', 'choices': [], 'usage': usage})}\n\n")
    lines.append("data: [DONE]\n\n")
    return "".join(lines).encode()


def event_cuts(body: bytes) -> list[int]:
    """The offsets just after each SSE event: a ``Reply(chunks=...)`` that writes event by event."""
    cuts, at = [], body.find(b"\n\n")
    while at != -1:
        cuts.append(at + 2)
        at = body.find(b"\n\n", at + 2)
    return cuts

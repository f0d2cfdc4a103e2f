"""OpenAI Chat Completions: ``data:`` lines of ``chat.completion.chunk``, then ``data: [DONE]``.

As api.openai.com sends them: every chunk carries ``usage: null`` (the request asked for usage),
the first delta holds the role, parallel tool calls interleave by ``index`` (a call's first
delta has its ``id``, ``type`` and ``name`` with empty ``arguments``), the finish reason comes in
a chunk with an empty delta, and the usage in a last chunk whose ``choices`` is ``[]``. There is
no visible reasoning on this wire.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any

from rillet.emulator._errors import stream_error
from rillet.emulator.render._events import CREATED, Event, ident, sse
from rillet.emulator.scenario import Finish, Scenario, StreamError

__all__ = ["CONTENT_TYPE", "RAW_FINISH", "error_event", "events", "frame"]

CONTENT_TYPE = "text/event-stream; charset=utf-8"

RAW_FINISH: dict[Finish, str] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "content_filter": "content_filter",
    "error": "error",  # OpenRouter and other compatible servers
    "other": "insufficient_system_resource",  # DeepSeek's, unknown to OpenAI's own list
}


def events(scenario: Scenario) -> list[Event]:
    base = _base(scenario)
    out = [_chunk(base, _first_delta(scenario))]
    out += [_chunk(base, {"content": text}, content=True) for text in scenario.text]
    out += [_chunk(base, {"refusal": text}, content=True) for text in scenario.refusal]
    out += _tool_calls(base, scenario)
    out.append(_chunk(base, {}, finish=RAW_FINISH[scenario.finish], terminal=True))
    if scenario.usage is not None:
        out.append(_usage_chunk(base, scenario.usage))
    out.append(Event("[DONE]", terminal=True))
    return _with_unknown(out) if scenario.faults.unknown_events else out


def error_event(scenario: Scenario, error: StreamError) -> Event:
    return Event(stream_error("openai", error.kind, error.message))


def frame(events: Sequence[Event]) -> bytes:
    return sse(events)


def _first_delta(scenario: Scenario) -> dict[str, Any]:
    """The role, and an empty start of what follows: a refused answer has no content at all."""
    if scenario.refusal and not scenario.text:
        return {"role": "assistant", "content": None, "refusal": ""}
    return {"role": "assistant", "content": "", "refusal": None}


def _base(scenario: Scenario) -> dict[str, Any]:
    return {
        "id": "chatcmpl-" + ident(scenario.name, 29),
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": scenario.model,
        "service_tier": "default",
        "system_fingerprint": "fp_" + ident(scenario.model, 10).lower(),
    }


def _chunk(
    base: dict[str, Any],
    delta: dict[str, Any],
    *,
    finish: str | None = None,
    content: bool = False,
    terminal: bool = False,
) -> Event:
    choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
    return Event({**base, "choices": [choice], "usage": None}, content=content, terminal=terminal)


def _tool_calls(base: dict[str, Any], scenario: Scenario) -> list[Event]:
    """Every call's deltas, interleaved: one delta of each open call in turn."""
    queues: list[deque[dict[str, Any]]] = []
    for index, call in enumerate(scenario.tool_calls):
        call_id = call.id or "call_" + ident(f"{scenario.name}:{index}", 24)
        head = {
            "index": index,
            "id": call_id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        rest = [{"index": index, "function": {"arguments": piece}} for piece in call.pieces()]
        queues.append(deque([head, *rest]))
    out: list[Event] = []
    while any(queues):
        for queue in queues:
            if queue:
                out.append(_chunk(base, {"tool_calls": [queue.popleft()]}, content=True))
    return out


def _usage_chunk(base: dict[str, Any], usage: tuple[int, int]) -> Event:
    prompt, completion = usage
    data = {
        **base,
        "choices": [],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        },
    }
    return Event(data, terminal=True)


def _with_unknown(events: list[Event]) -> list[Event]:
    """A keep-alive comment after the first chunk, unknown fields in the first content chunk."""
    out = [events[0], Event("emulator keep-alive", comment=True), *events[1:]]
    for index, event in enumerate(out):
        if event.content:
            data = dict(event.data)
            choice = dict(data["choices"][0])
            choice["delta"] = {**choice["delta"], "emulator_delta_field": "ignore me"}
            choice["emulator_choice_field"] = {"nested": [1, "two", None]}
            data["choices"] = [choice]
            data["emulator_unknown"] = {"nested": True}
            out[index] = Event(data, content=True)
            break
    return out

"""OpenAI Responses: typed events (``event:`` equal to the data's ``type``), numbered in order.

As api.openai.com sends them: ``response.created`` and ``response.in_progress`` with the empty
response, then one output item per part, each ``response.output_item.added`` ... ``.done``
(a reasoning item with its summary deltas and ``encrypted_content``; a message with one
``output_text`` part and its deltas; one ``function_call`` item per call with argument
deltas), then ``response.completed`` / ``response.incomplete`` / ``response.failed`` holding
the whole response, output and usage included. ``sequence_number`` counts every event from 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from rillet.emulator._errors import responses_failure, stream_error
from rillet.emulator.render._events import CREATED, Event, ident, sse
from rillet.emulator.scenario import Finish, Scenario, StreamError

__all__ = ["CONTENT_TYPE", "RAW_FINISH", "error_event", "events", "finalize", "frame"]

CONTENT_TYPE = "text/event-stream; charset=utf-8"

RAW_FINISH: dict[Finish, str] = {
    "stop": "completed",
    "tool_calls": "completed",
    "length": "max_output_tokens",  # incomplete_details.reason
    "content_filter": "content_filter",  # incomplete_details.reason
    "other": "incomplete",  # an incomplete response without a reason
    "error": "failed",
}
_INCOMPLETE_REASONS: dict[Finish, str | None] = {
    "length": "max_output_tokens",
    "content_filter": "content_filter",
    "other": None,
}


def events(scenario: Scenario) -> list[Event]:
    response = _response(scenario, status="in_progress", output=[])
    out = [
        _event("response.created", response=response),
        _event("response.in_progress", response=response),
    ]
    items: list[dict[str, Any]] = []
    for kind in _item_kinds(scenario):
        index = len(items)
        if kind == "reasoning":
            item, item_events = _reasoning(scenario, index)
        elif kind == "message":
            item, item_events = _message(scenario, index)
        elif kind == "unknown":
            item, item_events = _unknown_item(scenario, index)
        else:
            item, item_events = _function_call(scenario, index, int(kind))
        items.append(item)
        out += item_events
    if scenario.faults.unknown_events:
        out = _with_unknown(out)
    out.append(_terminal(scenario, items))
    return out


def error_event(scenario: Scenario, error: StreamError) -> Event:
    data = stream_error("openai-responses", error.kind, error.message)
    return _event("error", **{k: v for k, v in data.items() if k != "type"})


def finalize(events: Sequence[Event]) -> list[Event]:
    """Number the events from 0, ``sequence_number`` last as the real API orders it."""
    out: list[Event] = []
    for number, event in enumerate(events):
        data = {k: v for k, v in event.data.items() if k != "sequence_number"}
        out.append(replace(event, data={**data, "sequence_number": number}))
    return out


def frame(events: Sequence[Event]) -> bytes:
    return sse(events, named=True)


def _event(name: str, *, content: bool = False, terminal: bool = False, **fields: Any) -> Event:
    data = {"type": name, **dict(sorted(fields.items()))}
    return Event(data, name, content=content, terminal=terminal)


def _with_unknown(events: list[Event]) -> list[Event]:
    """An unknown event type after the start, an unknown field in the first content event."""
    out = [*events[:2], _event("response.emulator_unknown", emulator_payload={"nested": [1, 2]})]
    for event in events[2:]:
        if event.content and not any(e.data.get("emulator_field") for e in out):
            event = replace(event, data={**event.data, "emulator_field": "ignore me"})
        out.append(event)
    return out


def _obfuscation(seed: str) -> str:
    return ident("obfuscation:" + seed, 4 + len(seed) % 12)


def _item_kinds(scenario: Scenario) -> list[str]:
    kinds: list[str] = []
    if scenario.reasoning or scenario.reasoning_signature:
        kinds.append("reasoning")
    if scenario.text or scenario.refusal:
        kinds.append("message")
    kinds += [str(number) for number in range(len(scenario.tool_calls))]
    if scenario.faults.unknown_events:
        kinds.insert(min(1, len(kinds)), "unknown")
    return kinds


def _reasoning(scenario: Scenario, index: int) -> tuple[dict[str, Any], list[Event]]:
    item_id = "rs_" + ident(f"{scenario.name}:reasoning", 48)
    head: dict[str, Any] = {"id": item_id, "type": "reasoning", "summary": []}
    if scenario.reasoning_signature:
        head["encrypted_content"] = scenario.reasoning_signature
    where: dict[str, Any] = {"item_id": item_id, "output_index": index, "summary_index": 0}
    text = scenario.all_reasoning
    out = [_event("response.output_item.added", item=head, output_index=index)]
    if scenario.reasoning:
        part = {"type": "summary_text", "text": ""}
        out.append(_event("response.reasoning_summary_part.added", part=part, **where))
        for number, delta in enumerate(scenario.reasoning):
            obfuscation = _obfuscation(f"{item_id}:{number}")
            out.append(
                _event(
                    "response.reasoning_summary_text.delta",
                    content=True,
                    delta=delta,
                    obfuscation=obfuscation,
                    **where,
                )
            )
        out.append(_event("response.reasoning_summary_text.done", text=text, **where))
        done_part = {"type": "summary_text", "text": text}
        out.append(_event("response.reasoning_summary_part.done", part=done_part, **where))
    summary = [{"type": "summary_text", "text": text}] if scenario.reasoning else []
    item = {**head, "summary": summary}
    sealed = bool(scenario.reasoning_signature)
    out.append(_event("response.output_item.done", content=sealed, item=item, output_index=index))
    return item, out


def _message(scenario: Scenario, index: int) -> tuple[dict[str, Any], list[Event]]:
    item_id = "msg_" + ident(f"{scenario.name}:message", 48)
    head = {
        "id": item_id,
        "type": "message",
        "status": "in_progress",
        "content": [],
        "phase": "final_answer",
        "role": "assistant",
    }
    out = [_event("response.output_item.added", item=head, output_index=index)]
    parts: list[dict[str, Any]] = []
    if scenario.text:
        part, part_events = _text_part(scenario, item_id, index)
        parts.append(part)
        out += part_events
    if scenario.refusal:
        where = {"content_index": len(parts), "item_id": item_id, "output_index": index}
        part, part_events = _refusal_part(scenario, where)
        parts.append(part)
        out += part_events
    item = {**head, "status": "completed", "content": parts}
    out.append(_event("response.output_item.done", item=item, output_index=index))
    return item, out


def _refusal_part(scenario: Scenario, where: dict[str, Any]) -> tuple[dict[str, Any], list[Event]]:
    """A refusal part: its deltas and ``response.refusal.done``, as for a refused request."""
    out = [_event("response.content_part.added", part={"type": "refusal", "refusal": ""}, **where)]
    for delta in scenario.refusal:
        out.append(_event("response.refusal.delta", content=True, delta=delta, **where))
    refusal = scenario.all_refusal
    out.append(_event("response.refusal.done", refusal=refusal, **where))
    part = {"type": "refusal", "refusal": refusal}
    out.append(_event("response.content_part.done", part=part, **where))
    return part, out


def _text_part(scenario: Scenario, item_id: str, index: int) -> tuple[dict[str, Any], list[Event]]:
    where: dict[str, Any] = {"content_index": 0, "item_id": item_id, "output_index": index}
    empty = {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}
    out = [_event("response.content_part.added", part=empty, **where)]
    for number, delta in enumerate(scenario.text):
        obfuscation = _obfuscation(f"{item_id}:{number}")
        out.append(
            _event(
                "response.output_text.delta",
                content=True,
                delta=delta,
                logprobs=[],
                obfuscation=obfuscation,
                **where,
            )
        )
    text = scenario.all_text
    part = {**empty, "text": text}
    out.append(_event("response.output_text.done", logprobs=[], text=text, **where))
    out.append(_event("response.content_part.done", part=part, **where))
    return part, out


def _function_call(
    scenario: Scenario, index: int, number: int
) -> tuple[dict[str, Any], list[Event]]:
    call = scenario.tool_calls[number]
    item_id = "fc_" + ident(f"{scenario.name}:call:{number}", 48)
    call_id = call.id or "call_" + ident(f"{scenario.name}:{number}", 24)
    head = {
        "id": item_id,
        "type": "function_call",
        "status": "in_progress",
        "arguments": "",
        "call_id": call_id,
        "name": call.name,
    }
    where: dict[str, Any] = {"item_id": item_id, "output_index": index}
    out = [_event("response.output_item.added", content=True, item=head, output_index=index)]
    for position, piece in enumerate(call.pieces()):
        obfuscation = _obfuscation(f"{item_id}:{position}")
        out.append(
            _event(
                "response.function_call_arguments.delta",
                content=True,
                delta=piece,
                obfuscation=obfuscation,
                **where,
            )
        )
    arguments = call.arguments_json
    out.append(_event("response.function_call_arguments.done", arguments=arguments, **where))
    item = {**head, "status": "completed", "arguments": arguments}
    out.append(_event("response.output_item.done", item=item, output_index=index))
    return item, out


def _unknown_item(scenario: Scenario, index: int) -> tuple[dict[str, Any], list[Event]]:
    item = {
        "id": "emu_" + ident(f"{scenario.name}:unknown", 24),
        "type": "emulator_item",
        "status": "completed",
        "emulator_payload": {"nested": True},
    }
    out = [
        _event("response.output_item.added", item=item, output_index=index),
        _event("response.emulator_item.progress", item_id=item["id"], output_index=index),
        _event("response.output_item.done", item=item, output_index=index),
    ]
    return item, out


def _terminal(scenario: Scenario, items: list[dict[str, Any]]) -> Event:
    if scenario.finish == "error":
        response = _response(scenario, status="failed", output=items)
        response["error"] = responses_failure("server")
        return _event("response.failed", terminal=True, response=response)
    if scenario.finish in _INCOMPLETE_REASONS:
        response = _response(scenario, status="incomplete", output=items)
        reason = _INCOMPLETE_REASONS[scenario.finish]
        response["incomplete_details"] = None if reason is None else {"reason": reason}
        return _event("response.incomplete", terminal=True, response=response)
    response = _response(scenario, status="completed", output=items)
    return _event("response.completed", terminal=True, response=response)


def _response(scenario: Scenario, *, status: str, output: list[dict[str, Any]]) -> dict[str, Any]:
    done = status != "in_progress"
    return {
        "id": "resp_" + ident(scenario.name, 50),
        "object": "response",
        "created_at": CREATED,
        "status": status,
        "background": False,
        "completed_at": CREATED + 1 if done else None,
        "error": None,
        "frequency_penalty": 0.0,
        "incomplete_details": None,
        "instructions": None,
        "max_output_tokens": None,
        "max_tool_calls": None,
        "model": scenario.model,
        "moderation": None,
        "output": output,
        "parallel_tool_calls": True,
        "presence_penalty": 0.0,
        "previous_response_id": None,
        "prompt_cache_key": None,
        "prompt_cache_retention": "24h",
        "reasoning": {"effort": "low", "summary": None},
        "safety_identifier": None,
        "service_tier": "default" if done else "auto",
        "store": False,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "tool_choice": "auto",
        "tools": [],
        "top_logprobs": 0,
        "top_p": 0.98,
        "truncation": "disabled",
        "usage": _usage(scenario) if done else None,
        "user": None,
        "metadata": {},
    }


def _usage(scenario: Scenario) -> dict[str, Any] | None:
    if scenario.usage is None:
        return None
    prompt, completion = scenario.usage
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": completion,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": prompt + completion,
    }

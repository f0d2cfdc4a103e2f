"""Scenario -> events -> bytes, for each wire format. Pure: no I/O, same input, same bytes.

    content_type, body = render("anthropic", scenario)

Wire formats (``WIRES``): ``openai`` (Chat Completions), ``openai-responses``, ``anthropic``
(Messages), ``gemini`` (``streamGenerateContent?alt=sse``), ``gemini-json`` (the same
without ``alt=sse``: one JSON array) and ``bedrock`` (ConverseStream: AWS event-stream frames);
the cloud platforms' ``vertex`` (Gemini's SSE), ``vertex-anthropic`` (Anthropic's), ``azure``
(OpenAI Chat with Azure's content filter) and ``azure-responses`` (OpenAI Responses). Each wire
module builds the scenario's events; the
event-level faults (a huge event, an in-stream error after N content events) are applied here,
then the wire frames the events into bytes. Byte-level faults (stall, reset, drip, ...) are the
server's: see ``rillet.emulator.server``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from rillet.emulator.render import (
    _anthropic,
    _azure,
    _bedrock,
    _gemini,
    _openai_chat,
    _openai_responses,
)
from rillet.emulator.render._events import Event, cut_for_error, pad_first_content
from rillet.emulator.scenario import Finish, Scenario, StreamError

__all__ = [
    "WIRES",
    "Event",
    "carries_reasoning",
    "content_offset",
    "raw_finish_reason",
    "render",
    "render_events",
    "reported_usage",
]

WIRES = (
    "openai",
    "openai-responses",
    "anthropic",
    "gemini",
    "gemini-json",
    "bedrock",
    "vertex",
    "vertex-anthropic",
    "azure",
    "azure-responses",
)


def _scenario_usage(scenario: Scenario) -> tuple[int, int] | None:
    return scenario.usage


@dataclass(frozen=True)
class _Wire:
    content_type: str
    events: Callable[[Scenario], list[Event]]
    error_event: Callable[[Scenario, StreamError], Event]
    frame: Callable[[Sequence[Event]], bytes]
    raw_finish: dict[Finish, str]
    finalize: Callable[[Sequence[Event]], list[Event]] = list
    reasoning: bool = True
    usage: Callable[[Scenario], tuple[int, int] | None] = _scenario_usage


_WIRES: dict[str, _Wire] = {
    "openai": _Wire(
        _openai_chat.CONTENT_TYPE,
        _openai_chat.events,
        _openai_chat.error_event,
        _openai_chat.frame,
        _openai_chat.RAW_FINISH,
        reasoning=False,
    ),
    "openai-responses": _Wire(
        _openai_responses.CONTENT_TYPE,
        _openai_responses.events,
        _openai_responses.error_event,
        _openai_responses.frame,
        _openai_responses.RAW_FINISH,
        finalize=_openai_responses.finalize,
    ),
    "anthropic": _Wire(
        _anthropic.CONTENT_TYPE,
        _anthropic.events,
        _anthropic.error_event,
        _anthropic.frame,
        _anthropic.RAW_FINISH,
        usage=_anthropic.usage,
    ),
    "gemini": _Wire(
        _gemini.CONTENT_TYPE,
        _gemini.events,
        _gemini.error_event,
        _gemini.frame,
        _gemini.RAW_FINISH,
    ),
    "gemini-json": _Wire(
        _gemini.JSON_CONTENT_TYPE,
        _gemini.events,
        _gemini.error_event,
        _gemini.frame_json,
        _gemini.RAW_FINISH,
    ),
    "bedrock": _Wire(
        _bedrock.CONTENT_TYPE,
        _bedrock.events,
        _bedrock.error_event,
        _bedrock.frame,
        _bedrock.RAW_FINISH,
        usage=_bedrock.usage,
    ),
}
# The cloud platforms: the same wires at other paths (``rillet.emulator._cloud_routes``); Azure
# adds its content filter to OpenAI's chunks.
_WIRES["vertex"] = _WIRES["gemini"]
_WIRES["vertex-anthropic"] = _WIRES["anthropic"]
_WIRES["azure"] = replace(_WIRES["openai"], events=_azure.events)
_WIRES["azure-responses"] = _WIRES["openai-responses"]


def _wire(wire: str) -> _Wire:
    try:
        return _WIRES[wire]
    except KeyError:
        raise ValueError(f"unknown wire format {wire!r}; known: {', '.join(WIRES)}") from None


def render_events(wire: str, scenario: Scenario) -> list[Event]:
    """The events of ``scenario`` in ``wire``, event-level faults applied, before framing."""
    spec = _wire(wire)
    events = spec.events(scenario)
    if scenario.faults.huge_event_bytes:
        events = pad_first_content(events, scenario.faults.huge_event_bytes)
    if scenario.error is not None:
        events = cut_for_error(events, scenario.error.after_events)
        events.append(spec.error_event(scenario, scenario.error))
    return spec.finalize(events)


def render(wire: str, scenario: Scenario) -> tuple[str, bytes]:
    """(content type, body bytes) of ``scenario`` in wire format ``wire``."""
    spec = _wire(wire)
    return spec.content_type, spec.frame(render_events(wire, scenario))


def content_offset(wire: str, scenario: Scenario, count: int) -> int:
    """The byte offset in ``render(wire, scenario)`` just after its ``count``-th content event
    (0: just before the first); past the last content event, the body's length."""
    spec = _wire(wire)
    events = render_events(wire, scenario)
    whole = len(spec.frame(events))
    content = [index for index, event in enumerate(events) if event.content]
    if count <= 0:
        end = content[0] if content else len(events)
    elif count > len(content):
        return whole
    else:
        end = content[count - 1] + 1
    if end >= len(events):
        return whole
    # The framing of a prefix is a prefix of the framing, but for the JSON array's closing.
    head = spec.frame(events[:end]) if end else b""
    json_array = spec.content_type.startswith("application/json")
    return len(head.removesuffix(b"\n]")) if json_array else len(head)


def raw_finish_reason(wire: str, finish: str) -> str | None:
    """The provider's raw value that ``finish`` renders as (what an adapter reports as
    ``provider_finish_reason``); None where the wire has none: Anthropic ends an ``error``
    scenario with an ``error`` event instead."""
    table = {str(unified): raw for unified, raw in _wire(wire).raw_finish.items()}
    return table.get(finish)


def carries_reasoning(wire: str) -> bool:
    """Whether ``wire`` shows reasoning text (OpenAI Chat does not: it is left out)."""
    return _wire(wire).reasoning


def reported_usage(wire: str, scenario: Scenario) -> tuple[int, int] | None:
    """The (input, output) tokens ``wire`` reports for ``scenario``: its usage, or zero tokens
    where the provider never leaves usage out (Anthropic)."""
    return _wire(wire).usage(scenario)

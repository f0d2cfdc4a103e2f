"""The events of an agent run, generated from ``schema/protocol/agent_events.schema.json``.

A run is ``AGENT_RUN_START``; then for each model turn ``AGENT_TURN_START``, its
``AGENT_STREAM_CHUNK`` events in arrival order (and ``AGENT_OUTPUT`` events, the structured
output's pieces, when the runtime has ``with_output``), one ``AGENT_TOOL_CALL_START`` and one
``AGENT_TOOL_CALL_END`` per tool call it asked for, and ``AGENT_TURN_END``; then exactly one
terminal event: ``AGENT_RUN_END``, ``AGENT_ERROR`` or ``AGENT_CANCELLED`` (a turn that fails or
is cancelled part way has no ``AGENT_TURN_END``: the terminal event follows). Every event carries
``run_id``, its ``sequence`` in the run and a ``timestamp``; ``event.type`` tells which it is
(an ``AgentEventType`` value: ``event.type == AgentEventType.AGENT_STREAM_CHUNK``). Type
checkers narrow ``AgentEvent`` by ``isinstance(event, AgentStreamChunkEvent)`` or by comparing
``event.type`` with the string (``event.type == "AGENT_STREAM_CHUNK"``). Events are frozen
values: every callback and the consumer see the same event, and none can change it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

from pydantic import TypeAdapter

from rillet._generated.protocol import agent_events_schema
from rillet._generated.protocol.agent_events_schema import (
    AgentCancelledEvent,
    AgentErrorEvent,
    AgentEventType,
    AgentOutputEvent,
    AgentRunEndEvent,
    AgentRunStartEvent,
    AgentStreamChunkEvent,
    AgentToolCallEndEvent,
    AgentToolCallStartEvent,
    AgentTurnEndEvent,
    AgentTurnStartEvent,
)
from rillet._unions import union_of

__all__ = [
    "TERMINAL_EVENT_TYPES",
    "AgentCancelledEvent",
    "AgentErrorEvent",
    "AgentEvent",
    "AgentEventType",
    "AgentOutputEvent",
    "AgentRunEndEvent",
    "AgentRunStartEvent",
    "AgentStreamChunkEvent",
    "AgentToolCallEndEvent",
    "AgentToolCallStartEvent",
    "AgentTurnEndEvent",
    "AgentTurnStartEvent",
    "event_payload",
    "parse_event",
]

if TYPE_CHECKING:
    AgentEvent: TypeAlias = agent_events_schema.AgentEvent
else:
    AgentEvent = union_of(agent_events_schema.AgentEvent)
"""One event of an agent run; ``event.type`` tells which (an ``AgentEventType`` value)."""

TERMINAL_EVENT_TYPES = frozenset(
    {
        AgentEventType.AGENT_RUN_END.value,
        AgentEventType.AGENT_ERROR.value,
        AgentEventType.AGENT_CANCELLED.value,
    }
)
"""The event types that end a run: exactly one of them comes last."""

_EVENT_ADAPTER: TypeAdapter[AgentEvent] = TypeAdapter(agent_events_schema.AgentEvent)


def parse_event(data: str | bytes | dict[str, Any]) -> AgentEvent:
    """Validate one event from JSON text or a mapping (as written by ``event.model_dump``)."""
    if isinstance(data, dict):
        return _EVENT_ADAPTER.validate_python(data)
    return _EVENT_ADAPTER.validate_json(data)


def event_payload(event: AgentEvent) -> dict[str, Any]:
    """The event as a JSON-ready dict: what ``(event_type, payload)`` callbacks receive."""
    return event.model_dump(mode="json")

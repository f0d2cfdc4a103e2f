"""The events of a run: their order, their stamps, their schema, and the pull-style iterator."""

from __future__ import annotations

import asyncio
import json
import time
import typing
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from protocol_samples import EVENTS, schema_kinds
from referencing import Registry, Resource

from rillet import LLMClient, MockAdapter, MockResponse, RateLimitError, ToolCall
from rillet.agent import (
    AgentEvent,
    AgentEventType,
    AgentRunEndEvent,
    AgentStreamChunkEvent,
    AgentToolCallEndEvent,
    RuntimeBuilder,
    parse_event,
)
from rillet.agent.executor import EventT

from ._support import EventLog, squeezed

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schema" / "protocol"


class Clock:
    """Async tools that record when each call ran."""

    def __init__(self) -> None:
        self.spans: dict[str, tuple[float, float]] = {}

    async def wait(self, label: str, seconds: float) -> str:
        """Wait, then say so."""
        started = time.perf_counter()
        await asyncio.sleep(seconds)
        self.spans[label] = (started, time.perf_counter())
        return f"{label} done"


def three_turns() -> list[MockResponse]:
    """Two parallel calls, then one call, then the answer."""
    return [
        MockResponse(
            text="Two at once.",
            tool_calls=[
                ToolCall(id="a", name="wait", arguments={"label": "a", "seconds": 0.2}),
                ToolCall(id="b", name="wait", arguments={"label": "b", "seconds": 0.05}),
            ],
        ),
        MockResponse(
            tool_calls=[ToolCall(id="c", name="wait", arguments={"label": "c", "seconds": 0})]
        ),
        MockResponse(text="All done."),
    ]


async def test_event_order_in_a_multi_step_run_with_parallel_tool_calls() -> None:
    clock, log = Clock(), EventLog()
    adapter = MockAdapter(three_turns())
    runtime = (
        RuntimeBuilder()
        .with_client(LLMClient(adapter))
        .with_tools(clock.wait)
        .with_on_event(log)
        .build()
    )
    result = await runtime.run("go")

    assert squeezed(log.types) == [
        "AGENT_RUN_START",
        "AGENT_TURN_START",
        "CHUNKS",
        "AGENT_TOOL_CALL_START",  # a
        "AGENT_TOOL_CALL_START",  # b
        "AGENT_TOOL_CALL_END",  # b: the shorter call ends first
        "AGENT_TOOL_CALL_END",  # a
        "AGENT_TURN_END",
        "AGENT_TURN_START",
        "CHUNKS",
        "AGENT_TOOL_CALL_START",
        "AGENT_TOOL_CALL_END",
        "AGENT_TURN_END",
        "AGENT_TURN_START",
        "CHUNKS",
        "AGENT_TURN_END",
        "AGENT_RUN_END",
    ]
    ends = [e for e in log.events if isinstance(e, AgentToolCallEndEvent)]
    assert [e.tool_call_id for e in ends] == ["b", "a", "c"]
    assert [e.result for e in ends] == ["b done", "a done", "c done"]
    # the two calls of turn 1 overlapped: each started before the other ended
    (a_start, a_end), (b_start, b_end) = clock.spans["a"], clock.spans["b"]
    assert a_start < b_end and b_start < a_end
    assert ends[1].duration >= 0.2 > ends[0].duration >= 0.05

    # every chunk of every turn, in order, as an AGENT_STREAM_CHUNK event of its step
    for step, script in enumerate(three_turns(), start=1):
        chunks = [
            e.chunk for e in log.events if isinstance(e, AgentStreamChunkEvent) and e.step == step
        ]
        expected = list(script.chunks("mock", "mock-model"))
        assert [c.type for c in chunks] == [c.type for c in expected]

    # stamps: one run id, sequence 0..n-1 without gaps, time never going back
    assert {e.run_id for e in log.events} == {result.run_id}
    assert [e.sequence for e in log.events] == list(range(len(log.events)))
    stamps = [e.timestamp for e in log.events]
    assert stamps == sorted(stamps)

    assert result.response.text == "All done."
    assert result.steps == 3
    assert [m.role for m in result.messages] == [
        "user",
        "assistant",
        "tool",
        "tool",
        "assistant",
        "tool",
        "assistant",
    ]
    end = log.events[-1]
    assert end.type == AgentEventType.AGENT_RUN_END
    assert isinstance(end, AgentRunEndEvent)
    assert end.steps == 3 and end.response == result.response
    assert end.usage is not None and end.usage.input_tokens == 30  # summed over the turns


async def test_every_event_validates_against_the_json_schema() -> None:
    log = EventLog()
    clock = Clock()
    runtime = (
        RuntimeBuilder()
        .with_client(LLMClient(MockAdapter(three_turns())))
        .with_tools(clock.wait)
        .with_on_event(log)
        .build()
    )
    await runtime.run("go")
    registry: Registry = Registry().with_resources(
        (p.name, Resource.from_contents(json.loads(p.read_text())))
        for p in SCHEMA_DIR.glob("*.schema.json")
    )
    validator = Draft202012Validator(
        json.loads((SCHEMA_DIR / "agent_events.schema.json").read_text()), registry=registry
    )
    kinds = set()
    for event in log.events:
        data = json.loads(event.model_dump_json())
        validator.validate(data)
        assert parse_event(data) == event
        assert parse_event(event.model_dump_json()) == event
        kinds.add(event.type)
    assert len(kinds) == 7  # all but the error and cancelled events, tested elsewhere
    schema = json.loads((SCHEMA_DIR / "agent_events.schema.json").read_text())
    assert schema["$defs"]["AgentEventType"]["enum"] == [m.value for m in AgentEventType]


def test_agent_event_is_the_union_of_every_kind_the_schema_lists() -> None:
    kinds = schema_kinds("agent_events.schema.json")
    members = typing.get_args(AgentEvent)
    assert {cls.__name__: cls.model_fields["type"].default for cls in members} == kinds
    assert set(kinds.values()) == {member.value for member in AgentEventType} == set(EVENTS)
    emittable = EventT.__bound__
    assert emittable is not None and all(issubclass(cls, emittable) for cls in members)


@pytest.mark.parametrize("kind", [member.value for member in AgentEventType])
def test_every_kind_parses(kind: str) -> None:
    event = parse_event(EVENTS[kind])
    assert isinstance(event, AgentEvent) and event.type == kind
    assert parse_event(event.model_dump_json()) == event


@pytest.mark.parametrize("is_async", [False, True])
async def test_callbacks_of_the_original_shape_get_the_type_and_a_dict(is_async: bool) -> None:
    received: list[tuple[str, dict[str, Any]]] = []

    def legacy(event_type: str, payload: dict[str, Any]) -> None:
        received.append((event_type, payload))

    async def legacy_async(event_type: str, payload: dict[str, Any]) -> None:
        received.append((event_type, payload))

    log = EventLog()
    runtime = (
        RuntimeBuilder()
        .with_client(LLMClient(MockAdapter("Hello there")))
        .with_on_event(legacy_async if is_async else legacy)
        .with_on_event(log)
        .build()
    )
    await runtime.run("hi")
    assert [t for t, _ in received] == log.types
    for (event_type, payload), event in zip(received, log.events, strict=True):
        assert isinstance(event_type, str) and event_type == payload["type"]
        assert payload == json.loads(json.dumps(payload))  # plain JSON values
        assert parse_event(payload) == event
    assert received[2][1]["chunk"]["type"] == "start"


async def test_events_iterator_yields_the_same_events_and_ends() -> None:
    log = EventLog()
    runtime = (
        RuntimeBuilder()
        .with_client(LLMClient(MockAdapter(["Hello, world!", "Again"])))
        .with_on_event(log)
        .build()
    )
    pulled: list[AgentEvent] = []
    async with runtime.events("hi") as events:
        async for event in events:
            pulled.append(event)
    assert pulled == log.events
    assert pulled[-1].type == AgentEventType.AGENT_RUN_END
    assert events.result.response.text == "Hello, world!"
    # the iterator is bounded and goes at the reader's pace: a tiny queue loses nothing
    small = RuntimeBuilder().with_client(LLMClient(MockAdapter("x" * 40))).build()
    small.events_queue_size = 1
    async with small.events("hi") as events:
        types = [event.type async for event in events]
    assert types.count("AGENT_STREAM_CHUNK") == 1 + 5 + 1  # start, 40/8 pieces, stop


async def test_events_iterator_raises_the_runs_error_after_the_error_event() -> None:
    adapter = MockAdapter(MockResponse(text="partial", error=RateLimitError("slow down")))
    runtime = RuntimeBuilder().with_client(LLMClient(adapter)).build()
    seen: list[str] = []
    with pytest.raises(RateLimitError):
        async with runtime.events("hi") as events:
            async for event in events:
                seen.append(event.type)
    assert seen[-1] == "AGENT_ERROR"
    assert seen.count("AGENT_RUN_END") == 0


async def test_closing_the_events_iterator_early_cancels_the_run() -> None:
    log = EventLog()
    adapter = MockAdapter(MockResponse(text="x" * 200, chunk_size=1), delay=0.005)
    runtime = RuntimeBuilder().with_client(LLMClient(adapter)).with_on_event(log).build()
    async with runtime.events("hi") as events:
        async for event in events:
            if event.type == AgentEventType.AGENT_STREAM_CHUNK:
                break
    assert log.types[-1] == "AGENT_CANCELLED"
    assert log.types.count("AGENT_STREAM_CHUNK") < 50
    cancelled = log.events[-1]
    assert cancelled.type == "AGENT_CANCELLED" and cancelled.steps == 1

"""Callbacks never break or stall a run: raising, slow, sync and async ones."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from rillet import LLMClient, MockAdapter, MockResponse, ToolCall
from rillet.agent import AgentEvent, RuntimeBuilder

from ._support import EventLog


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def adder_script() -> list[MockResponse]:
    return [
        MockResponse(tool_calls=[ToolCall(id="c1", name="add", arguments={"a": 2, "b": 3})]),
        MockResponse(text="2 + 3 = 5"),
    ]


async def test_raising_sync_and_async_callbacks_leave_the_result_intact(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def raises_sync(event: AgentEvent) -> None:
        raise ValueError(f"sync callback broke on {event.type}")

    async def raises_async(event: AgentEvent) -> None:
        await asyncio.sleep(0)
        raise RuntimeError("async callback broke")

    log = EventLog()
    adapter = MockAdapter(adapter_script := adder_script())
    runtime = (
        RuntimeBuilder()
        .with_client(LLMClient(adapter))
        .with_tools(add)
        .with_on_event(raises_sync)
        .with_on_event(raises_async)
        .with_on_event(log)
        .build()
    )
    with caplog.at_level(logging.ERROR, logger="rillet.agent"):
        result = await runtime.run("add 2 and 3")

    assert result.response.text == "2 + 3 = 5"
    assert result.steps == len(adapter_script) == 2
    assert log.types[0] == "AGENT_RUN_START" and log.types[-1] == "AGENT_RUN_END"
    assert adapter.requests[1].messages[-1].model_dump()["content"] == "5"
    records = [r for r in caplog.records if r.name == "rillet.agent"]
    sync_failures = [r for r in records if "raises_sync" in r.getMessage()]
    async_failures = [r for r in records if "raises_async" in r.getMessage()]
    # one log record per event, each naming the event type, with the traceback
    assert len(sync_failures) == len(async_failures) == len(log.events)
    assert "AGENT_RUN_START" in sync_failures[0].getMessage()
    assert "AGENT_RUN_END" in async_failures[-1].getMessage()
    assert all(r.exc_info is not None for r in records)
    assert "sync callback broke on AGENT_TOOL_CALL_END" in caplog.text


async def test_a_slow_async_callback_does_not_stall_the_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    slow_seen: list[int] = []

    async def slow(event: AgentEvent) -> None:
        await asyncio.sleep(0.05)
        slow_seen.append(event.sequence)

    log = EventLog()
    adapter = MockAdapter(MockResponse(text="y" * 160, chunk_size=2))  # 80 content chunks
    runtime = (
        RuntimeBuilder()
        .with_client(LLMClient(adapter))
        .with_on_event(slow)
        .with_on_event(log)
        .with_callback_policy(queue_size=8, drain_timeout=0.1)
        .build()
    )
    started = time.perf_counter()
    with caplog.at_level(logging.WARNING, logger="rillet.agent"):
        result = await runtime.run("hi")
    elapsed = time.perf_counter() - started

    # delivering every event to the slow callback would take 86 x 0.05 s = 4.3 s
    assert len(log.events) == 86
    assert log.events[-1].timestamp - log.events[0].timestamp < 0.5  # the stream never waited
    assert elapsed < 0.5 + 0.1 + 0.4  # stream, drain, margin
    assert result.response.text == "y" * 160
    # the slow callback got what it could, in order, the oldest waiting ones dropped
    assert slow_seen == sorted(slow_seen) and 0 < len(slow_seen) < 20
    assert "fell behind" in caplog.text and "still busy" in caplog.text


async def test_async_callbacks_see_every_event_in_order_with_bounded_tasks() -> None:
    seen: list[int] = []
    tasks_during_run: list[int] = []

    async def ordered(event: AgentEvent) -> None:
        await asyncio.sleep(0.0005 * (event.sequence % 3))  # uneven delays
        seen.append(event.sequence)

    def count_tasks(event: AgentEvent) -> None:
        tasks_during_run.append(len(asyncio.all_tasks()))

    before = len(asyncio.all_tasks())
    runtime = (
        RuntimeBuilder()
        .with_client(LLMClient(MockAdapter(MockResponse(text="z" * 400, chunk_size=1))))
        .with_on_event(ordered)
        .with_on_event(count_tasks)
        .build()
    )
    await runtime.run("hi")
    assert seen == list(range(len(seen))) and len(seen) == 400 + 6
    # one worker per async callback, not one task per event
    assert max(tasks_during_run) <= before + 1
    assert len(asyncio.all_tasks()) == before


async def test_a_slow_sync_callback_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    def slow_sync(event: AgentEvent) -> None:
        time.sleep(0.02)

    runtime = (
        RuntimeBuilder()
        .with_client(LLMClient(MockAdapter("hi")))
        .with_on_event(slow_sync)
        .with_callback_policy(slow_callback=0.01)
        .build()
    )
    with caplog.at_level(logging.WARNING, logger="rillet.agent"):
        await runtime.run("hi")
    assert caplog.text.count("make it async def") == 1  # once per run, not per event


async def test_a_per_run_callback_and_a_callable_object() -> None:
    class Collector:
        def __init__(self) -> None:
            self.types: list[str] = []

        async def __call__(self, event: AgentEvent) -> None:
            self.types.append(event.type)

    collector = Collector()
    runtime = RuntimeBuilder().with_client(LLMClient(MockAdapter(["a", "b"]))).build()
    await runtime.run("one", on_event=collector)
    await runtime.run("two")
    assert collector.types[0] == "AGENT_RUN_START" and collector.types[-1] == "AGENT_RUN_END"
    assert collector.types.count("AGENT_RUN_START") == 1

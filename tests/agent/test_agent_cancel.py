"""Cancelling a run, and whole runs over a real local HTTP server speaking OpenAI's SSE."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from rillet import LLMClient, MockAdapter, MockResponse, ToolCall
from rillet.agent import AgentCancelledEvent, AgentEvent, AgentEventType, RuntimeBuilder
from rillet.testing import FaultServer, Reply

from ._support import EventLog, event_cuts, openai_sse, squeezed


@pytest.fixture
async def server() -> AsyncIterator[FaultServer]:
    async with FaultServer() as fault_server:
        yield fault_server


class FirstChunk:
    """A callback that notes the first AGENT_STREAM_CHUNK; it keeps every event too."""

    def __init__(self) -> None:
        self.seen = asyncio.Event()
        self.log = EventLog()

    def __call__(self, event: AgentEvent) -> None:
        self.log(event)
        if event.type == AgentEventType.AGENT_STREAM_CHUNK:
            self.seen.set()


async def test_cancelling_mid_stream_closes_the_connection(server: FaultServer) -> None:
    body = openai_sse("This answer drips out one event at a time, far too slowly.")
    server.script(Reply(body=body, chunks=event_cuts(body), chunk_delay=0.05))
    watcher = FirstChunk()
    async with LLMClient(
        provider="openai", api_key="k", base_url=server.url + "/v1", model="gpt-test"
    ) as client:
        runtime = RuntimeBuilder().with_client(client).with_on_event(watcher).build()
        run = asyncio.create_task(runtime.run("hi"))
        await asyncio.wait_for(watcher.seen.wait(), 5)
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run
        await server.wait_finished()

    assert server.requests[0].disconnected
    assert server.requests[0].bytes_sent < len(body) // 2
    last = watcher.log.events[-1]
    assert isinstance(last, AgentCancelledEvent)
    assert last.steps == 1 and last.response is not None and last.response.provider == "openai"
    assert watcher.log.types.count("AGENT_CANCELLED") == 1
    assert "AGENT_RUN_END" not in watcher.log.types and "AGENT_ERROR" not in watcher.log.types


async def test_closing_the_events_iterator_closes_the_connection(server: FaultServer) -> None:
    body = openai_sse("Another slow answer, never read to the end.")
    server.script(Reply(body=body, chunks=event_cuts(body), chunk_delay=0.05))
    log = EventLog()
    async with LLMClient(
        provider="openai", api_key="k", base_url=server.url + "/v1", model="gpt-test"
    ) as client:
        runtime = RuntimeBuilder().with_client(client).with_on_event(log).build()
        async with runtime.events("hi") as events:
            async for event in events:
                if event.type == AgentEventType.AGENT_STREAM_CHUNK:
                    break
        await server.wait_finished()
    assert server.requests[0].disconnected
    assert log.types[-1] == "AGENT_CANCELLED"


async def test_cancelling_during_tool_calls_cancels_them() -> None:
    started = asyncio.Event()
    cancelled: list[str] = []

    async def wait_forever(name: str) -> str:
        """Never returns."""
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(name)
            raise
        return name

    calls = [ToolCall(id=f"c{i}", name="wait_forever", arguments={"name": f"t{i}"}) for i in (1, 2)]
    log = EventLog()
    async_seen: list[str] = []

    async def async_callback(event: AgentEvent) -> None:
        await asyncio.sleep(0)
        async_seen.append(event.type)

    runtime = (
        RuntimeBuilder()
        .with_client(LLMClient(MockAdapter([MockResponse(tool_calls=calls)])))
        .with_tools(wait_forever)
        .with_on_event(log)
        .with_on_event(async_callback)
        .build()
    )
    before = len(asyncio.all_tasks())
    run = asyncio.create_task(runtime.run("wait"))
    await asyncio.wait_for(started.wait(), 5)
    await asyncio.sleep(0.01)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    assert sorted(cancelled) == ["t1", "t2"]  # both calls were stopped before run ended
    assert len(asyncio.all_tasks()) == before
    assert log.types[-3:] == ["AGENT_TOOL_CALL_START", "AGENT_TOOL_CALL_START", "AGENT_CANCELLED"]
    assert async_seen == log.types  # async callbacks got the cancelled event before run ended


async def test_a_run_with_tool_calls_over_a_real_server(server: FaultServer) -> None:
    def get_weather(city: str) -> str:
        """The weather in a city."""
        return f"sunny in {city}"

    server.script(
        Reply(
            body=openai_sse(
                "Checking.",
                tool_calls=[
                    ("call_1", "get_weather", '{"city": "Paris"}'),
                    ("call_2", "get_weather", '{"city": "Oslo"}'),
                ],
            ),
            chunks="drip",
        ),
        Reply(body=openai_sse("Sunny in both.")),
    )
    log = EventLog()
    async with LLMClient(provider="openai", api_key="k", base_url=server.url + "/v1") as client:
        runtime = (
            RuntimeBuilder()
            .with_client(client)
            .with_tools(get_weather)
            .with_on_event(log)
            .with_request_fields(model="gpt-test")
            .build()
        )
        result = await runtime.run("Weather in Paris and Oslo?")

    assert result.response.text == "Sunny in both."
    assert squeezed(log.types) == [
        "AGENT_RUN_START",
        "AGENT_TURN_START",
        "CHUNKS",
        "AGENT_TOOL_CALL_START",
        "AGENT_TOOL_CALL_START",
        "AGENT_TOOL_CALL_END",
        "AGENT_TOOL_CALL_END",
        "AGENT_TURN_END",
        "AGENT_TURN_START",
        "CHUNKS",
        "AGENT_TURN_END",
        "AGENT_RUN_END",
    ]
    second = json.loads(server.requests[1].body)
    assert [m["role"] for m in second["messages"]] == ["user", "assistant", "tool", "tool"]
    assert [t["function"]["name"] for t in second["tools"]] == ["get_weather"]
    tool_messages = {m["tool_call_id"]: m["content"] for m in second["messages"][2:]}
    assert tool_messages == {"call_1": "sunny in Paris", "call_2": "sunny in Oslo"}
    assert result.usage is not None and result.usage.input_tokens == 14

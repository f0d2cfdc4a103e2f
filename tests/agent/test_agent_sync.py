"""SyncRuntime: agent runs from blocking code, on the SyncLLMClient's event loop thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sync_support import HeldServer, interrupt_main_after, no_new_threads, wait_until

from rillet import (
    ConfigurationError,
    LLMClient,
    MockAdapter,
    MockResponse,
    OverloadedError,
    SyncLLMClient,
    SyncRuntime,
    ToolCall,
)
from rillet.agent import AgentEvent, AgentEventType, AgentStreamChunkEvent, RuntimeBuilder

from ._support import EventLog, squeezed


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> Iterator[None]:
    with no_new_threads():
        yield


def get_weather(city: str) -> str:
    """The current weather in a city."""
    return f"sunny in {city}"


def weather_script() -> MockAdapter:
    call = ToolCall(id="c1", name="get_weather", arguments={"city": "Paris"})
    return MockAdapter([MockResponse(tool_calls=[call]), "It is sunny in Paris."])


def runtime_for(client: SyncLLMClient, *callbacks: EventLog) -> SyncRuntime:
    builder = RuntimeBuilder().with_client(client).with_tools(get_weather)
    for callback in callbacks:
        builder.with_on_event(callback)
    return builder.build_sync()


def test_run_returns_the_result_and_calls_back_on_the_loop_thread() -> None:
    log = EventLog()
    threads: set[str] = set()

    def where(event: AgentEvent) -> None:
        threads.add(threading.current_thread().name)

    with SyncLLMClient(weather_script()) as client:
        runtime = runtime_for(client, log)
        result = runtime.run("Weather in Paris?", on_event=where)
    assert result.response.text == "It is sunny in Paris."
    assert result.steps == 2
    assert [m.content for m in result.messages if m.role == "tool"] == ["sunny in Paris"]
    assert squeezed(log.types) == [
        "AGENT_RUN_START",
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
    assert threads == {"rillet-sync-client"}


def test_events_are_pulled_from_blocking_code() -> None:
    with SyncLLMClient(weather_script()) as client:
        with runtime_for(client).events("Weather in Paris?") as events:
            types = [event.type for event in events]
        assert types[0] == AgentEventType.AGENT_RUN_START
        assert types[-1] == AgentEventType.AGENT_RUN_END
        assert events.result.response.text == "It is sunny in Paris."


def test_leaving_events_early_cancels_the_run_and_closes_the_connection() -> None:
    log = EventLog()
    with HeldServer() as server, server.client() as client:
        with runtime_for(client, log).events("hi") as events:
            for event in events:
                if isinstance(event, AgentStreamChunkEvent) and event.chunk.type == "content":
                    break
        wait_until(lambda: server.disconnects == 1)
        assert log.types[-1] == "AGENT_CANCELLED"


def test_an_interrupt_during_run_cancels_it_and_closes_the_connection() -> None:
    log = EventLog()
    with HeldServer() as server, server.client() as client:
        runtime = runtime_for(client, log)
        with interrupt_main_after(0.2), pytest.raises(KeyboardInterrupt):
            runtime.run("hi")
        wait_until(lambda: server.disconnects == 1)
        assert log.types[-1] == "AGENT_CANCELLED"


def test_a_failed_run_raises_the_typed_error_with_partial() -> None:
    error = OverloadedError("busy", status_code=529)
    adapter = MockAdapter(MockResponse(text="Hello", chunk_size=2, error=error, error_after=2))
    with SyncLLMClient(adapter) as client, pytest.raises(OverloadedError) as raised:
        runtime_for(client).run("hi")
    assert raised.value is error
    assert raised.value.partial is not None and raised.value.partial.text == "He"


def test_threads_run_one_runtime_at_once() -> None:
    with SyncLLMClient(MockAdapter("Hi", repeat=True, delay=0.01)) as client:
        runtime = runtime_for(client)
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(runtime.run, ["a", "b", "c", "d"], timeout=10))
    assert [r.messages[0].content for r in results] == ["a", "b", "c", "d"]
    assert {r.response.text for r in results} == {"Hi"}


def test_the_builder_matches_the_client_to_the_runtime() -> None:
    with SyncLLMClient(MockAdapter()) as client, pytest.raises(ConfigurationError, match="build_"):
        RuntimeBuilder().with_client(client).build()
    with pytest.raises(ConfigurationError, match="SyncLLMClient"):
        RuntimeBuilder().with_client(LLMClient(MockAdapter())).build_sync()

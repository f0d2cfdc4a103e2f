"""Agent runs: an ``invoke_agent`` span, with a ``chat`` child per turn and an ``execute_tool``
child per tool call."""

from __future__ import annotations

import asyncio

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from rillet import (
    LLMClient,
    MaxStepsExceededError,
    MockAdapter,
    MockResponse,
    RuntimeBuilder,
    Usage,
)

from .conftest import Recorded, attrs


def get_weather(city: str) -> str:
    """The current weather in a city."""
    return f"sunny in {city}"


def get_time(zone: str) -> str:
    """The time in a zone."""
    return "12:00"


def broken(city: str) -> str:
    """Always fails."""
    raise ValueError(f"no data for {city}")


def _calls(*calls: tuple[str, str, dict[str, object]]) -> MockResponse:
    return MockResponse(
        tool_calls=[{"id": i, "name": n, "arguments": a} for i, n, a in calls],
        usage=Usage(input_tokens=10, output_tokens=4),
        id="turn-1",
    )


def _final(text: str = "Sunny.") -> MockResponse:
    return MockResponse(text=text, usage=Usage(input_tokens=30, output_tokens=6), id="turn-2")


def _children(spans: list[ReadableSpan], parent: ReadableSpan) -> list[ReadableSpan]:
    assert parent.context is not None
    return [s for s in spans if s.parent is not None and s.parent.span_id == parent.context.span_id]


async def test_the_span_tree_of_a_run(recorded: Recorded) -> None:
    script = [
        _calls(
            ("call_w", "get_weather", {"city": "Paris"}), ("call_t", "get_time", {"zone": "CET"})
        ),
        _final(),
    ]
    client = LLMClient(MockAdapter(script), model="gpt-test")
    runtime = (
        RuntimeBuilder()
        .with_client(client)
        .with_tools(get_weather, get_time)
        .with_name("forecaster")
        .with_request_fields(max_tokens=256, temperature=0.5)
        .build()
    )
    result = await runtime.run("Weather in Paris?")
    assert result.response.text == "Sunny."

    spans = recorded.spans
    run = recorded.span("invoke_agent forecaster")
    assert run.kind is SpanKind.INTERNAL
    assert run.parent is None
    assert run.status.status_code is StatusCode.UNSET
    assert attrs(run) == {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.provider.name": "mock",
        "gen_ai.agent.name": "forecaster",
        "gen_ai.request.model": "gpt-test",
        "gen_ai.request.max_tokens": 256,
        "gen_ai.request.temperature": 0.5,
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 40,
        "gen_ai.usage.output_tokens": 10,
    }

    children = _children(spans, run)
    assert sorted(s.name for s in children) == [
        "chat gpt-test",
        "chat gpt-test",
        "execute_tool get_time",
        "execute_tool get_weather",
    ]
    assert len(spans) == 5  # nothing outside the tree
    assert run.context is not None
    assert {s.context.trace_id for s in spans if s.context} == {run.context.trace_id}

    turns = sorted(
        (s for s in children if s.name.startswith("chat")), key=lambda s: s.start_time or 0
    )
    assert [attrs(t)["gen_ai.response.id"] for t in turns] == ["turn-1", "turn-2"]
    assert [attrs(t)["gen_ai.response.finish_reasons"] for t in turns] == [
        ("tool_call",),
        ("stop",),
    ]
    tools = [s for s in children if s.name.startswith("execute_tool")]
    first_turn, second_turn = turns
    for tool in tools:  # between the turn that asked for them and the next
        assert first_turn.end_time is not None and second_turn.start_time is not None
        assert tool.start_time is not None and tool.end_time is not None
        assert first_turn.end_time <= tool.start_time <= tool.end_time <= second_turn.start_time
    weather = recorded.span("execute_tool get_weather")
    assert weather.kind is SpanKind.INTERNAL
    assert weather.status.status_code is StatusCode.UNSET
    assert attrs(weather) == {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "get_weather",
        "gen_ai.tool.call.id": "call_w",
        "gen_ai.tool.type": "function",
        "gen_ai.tool.description": "The current weather in a city.",
    }
    assert attrs(recorded.span("execute_tool get_time"))["gen_ai.tool.call.id"] == ("call_t")


async def test_a_run_without_a_name(recorded: Recorded) -> None:
    runtime = RuntimeBuilder().with_client(LLMClient(MockAdapter("Hi"))).build()
    await runtime.run("Hi")
    run = recorded.span("invoke_agent")
    assert "gen_ai.agent.name" not in attrs(run)
    assert "gen_ai.request.model" not in attrs(run)


async def test_spans_a_tool_makes_are_its_children(recorded: Recorded) -> None:
    async def traced(city: str) -> str:
        """Makes a span of its own."""
        with recorded.tracer.start_as_current_span("inside the tool"):
            return "ok"

    script = [_calls(("c1", "traced", {"city": "Paris"})), _final()]
    runtime = RuntimeBuilder().with_client(LLMClient(MockAdapter(script))).with_tools(traced)
    await runtime.build().run("Hi")
    inner = recorded.span("inside the tool")
    tool = recorded.span("execute_tool traced")
    assert inner.parent is not None and tool.context is not None
    assert inner.parent.span_id == tool.context.span_id


async def test_a_tool_that_raises(recorded: Recorded) -> None:
    script = [_calls(("c1", "broken", {"city": "Paris"})), _final("No data.")]
    runtime = RuntimeBuilder().with_client(LLMClient(MockAdapter(script))).with_tools(broken)
    result = await runtime.build().run("Hi")
    assert result.response.text == "No data."  # the model got the error and went on

    tool = recorded.span("execute_tool broken")
    assert tool.status.status_code is StatusCode.ERROR
    assert tool.status.description == "no data for Paris"
    assert attrs(tool)["error.type"] == "ValueError"
    run = recorded.span("invoke_agent")
    assert run.status.status_code is StatusCode.UNSET
    assert "error.type" not in attrs(run)


async def test_arguments_the_tools_schema_refuses(recorded: Recorded) -> None:
    script = [_calls(("c1", "get_weather", {"town": "Paris"})), _final()]
    runtime = RuntimeBuilder().with_client(LLMClient(MockAdapter(script))).with_tools(get_weather)
    await runtime.build().run("Hi")
    tool = recorded.span("execute_tool get_weather")
    assert attrs(tool)["error.type"] == "InvalidToolArgumentsError"
    assert tool.status.status_code is StatusCode.ERROR


async def test_an_unknown_tool_runs_nothing_and_has_no_span(recorded: Recorded) -> None:
    script = [_calls(("c1", "nope", {})), _final()]
    runtime = RuntimeBuilder().with_client(LLMClient(MockAdapter(script))).with_tools(get_weather)
    await runtime.build().run("Hi")
    assert sorted(s.name for s in recorded.spans) == ["chat", "chat", "invoke_agent"]


async def test_a_run_that_fails(recorded: Recorded) -> None:
    script = [_calls(("c1", "get_weather", {"city": "Paris"}))]
    runtime = (
        RuntimeBuilder()
        .with_client(LLMClient(MockAdapter(script, repeat=True)))
        .with_tools(get_weather)
        .with_max_steps(2)
        .build()
    )
    with pytest.raises(MaxStepsExceededError) as raised:
        await runtime.run("Hi")
    run = recorded.span("invoke_agent")
    assert run.status.status_code is StatusCode.ERROR
    assert run.status.description == str(raised.value)
    attributes = attrs(run)
    assert attributes["error.type"] == "MaxStepsExceededError"
    assert attributes["gen_ai.usage.input_tokens"] == 20  # both turns happened
    assert attributes["gen_ai.response.finish_reasons"] == ("tool_call",)
    assert [s.name for s in recorded.spans].count("chat") == 2


async def test_a_cancelled_run(recorded: Recorded) -> None:
    started = asyncio.Event()

    async def slow(city: str) -> str:
        """Takes its time."""
        started.set()
        await asyncio.sleep(30)
        return "late"

    script = [_calls(("c1", "slow", {"city": "Paris"})), _final()]
    runtime = RuntimeBuilder().with_client(LLMClient(MockAdapter(script))).with_tools(slow).build()
    task = asyncio.create_task(runtime.run("Hi"))
    await asyncio.wait_for(started.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for name in ("invoke_agent", "execute_tool slow"):
        span = recorded.span(name)
        assert attrs(span)["error.type"] == "cancelled"
        assert span.status.status_code is StatusCode.ERROR

"""``RuntimeBuilder().with_output(X)``: the run's answer is structured output. Tools still run
on the turns before it; ``result.output`` is the validated value; its pieces are
``AGENT_OUTPUT`` events as it streams; an answer that does not fit is the run's error."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel

from rillet import (
    ConfigurationError,
    LLMClient,
    MockAdapter,
    MockResponse,
    OutputValidationError,
    SyncLLMClient,
    ToolMessage,
)
from rillet.agent import (
    AgentErrorEvent,
    AgentOutputEvent,
    AgentResult,
    AgentRuntime,
    AgentToolCallStartEvent,
    RuntimeBuilder,
)
from rillet.agent.context import RunContext

from ._support import EventLog, squeezed


class City(BaseModel):
    name: str
    population: int
    sights: list[str] = []


ANSWER = {"name": "Paris", "population": 2100000, "sights": ["Louvre", "Tour Eiffel"]}
ANSWER_TEXT = json.dumps(ANSWER)


def population(city: str) -> int:
    """The population of a city."""
    return 2100000


class NativeMock(MockAdapter):
    """The mock adapter as one with native structured output: it answers as scripted, and
    keeps each request, so a test sees the format sent next to the tools."""

    native_output: ClassVar[bool] = True


def _city_runtime(adapter: MockAdapter, *tools: Any) -> AgentRuntime[City]:
    return (
        RuntimeBuilder()
        .with_client(LLMClient(adapter))
        .with_tools(*tools)
        .with_output(City)
        .build()
    )


def _output_events(log: EventLog) -> list[AgentOutputEvent]:
    return [event for event in log.events if isinstance(event, AgentOutputEvent)]


async def test_native_mode_runs_tools_then_answers_with_the_typed_value() -> None:
    adapter = NativeMock(
        [
            MockResponse(
                tool_calls=[{"id": "c1", "name": "population", "arguments": {"city": "Paris"}}]
            ),
            MockResponse(text=ANSWER_TEXT, chunk_size=7),
        ]
    )
    log = EventLog()
    result = await _city_runtime(adapter, population).run("Paris?", on_event=log)
    assert result.output == City.model_validate(ANSWER)
    assert result.steps == 2
    first, second = adapter.requests
    assert first.output is not None and first.output.name == "City"
    assert [tool.name for tool in first.tools] == ["population"]
    assert second.output == first.output
    assert isinstance(result.messages[2], ToolMessage) and result.messages[2].content == "2100000"
    outputs = _output_events(log)
    assert {event.step for event in outputs} == {2}
    sights = [e.value for e in outputs if e.path[:1] == ["sights"] and len(e.path) == 2]
    assert "".join(str(v) for v in sights) == "LouvreTour Eiffel"
    assert outputs[-1].path == [] and outputs[-1].done and outputs[-1].value == ANSWER
    # Output events come among the chunk events of the streaming turn, as its text arrives.
    types = squeezed(log.types)
    assert types[-2:] == ["AGENT_TURN_END", "AGENT_RUN_END"]
    answer_turn = types[types.index("AGENT_OUTPUT") - 1 : -2]
    assert answer_turn.count("CHUNKS") > 2 and answer_turn[0] == "CHUNKS"


async def test_a_string_is_streamed_in_fragments_and_a_container_opens_empty() -> None:
    text = json.dumps({"name": "A long city name", "population": 5, "sights": []})
    adapter = NativeMock([MockResponse(text=text, chunk_size=3)])
    log = EventLog()
    runtime = RuntimeBuilder().with_client(LLMClient(adapter)).with_output(City).build()
    await runtime.run("city?", on_event=log)
    outputs = _output_events(log)
    names = [e for e in outputs if e.path == ["name"]]
    assert len(names) > 2 and "".join(str(e.value) for e in names) == "A long city name"
    assert [e.done for e in names][-1] is True and not any(e.done for e in names[:-1])
    root_open = outputs[0]
    assert (root_open.path, root_open.value, root_open.done) == ([], {}, False)
    assert [e.value for e in outputs if e.path == ["population"]] == [5]


async def test_tool_mode_the_output_tools_call_ends_the_run() -> None:
    adapter = MockAdapter(
        [
            MockResponse(
                tool_calls=[{"id": "c1", "name": "population", "arguments": {"city": "Paris"}}]
            ),
            MockResponse(
                tool_calls=[
                    {"id": "c2", "name": "City", "raw_arguments": ANSWER_TEXT},
                    {"id": "c3", "name": "population", "arguments": {"city": "Lyon"}},
                ],
                chunk_size=5,
            ),
        ]
    )
    log = EventLog()
    result = await _city_runtime(adapter, population).run("Paris?", on_event=log)
    assert result.output == City.model_validate(ANSWER)
    first = adapter.requests[0]
    assert first.output is None
    assert [tool.name for tool in first.tools] == ["population", "City"]
    assert first.tool_choice == "required"
    assert first.tools[1].parameters == City.model_json_schema()
    # The answer's turn: the output call and the call not run both get a result.
    closing = result.messages[-2:]
    assert [(m.tool_call_id, m.is_error) for m in closing if isinstance(m, ToolMessage)] == [
        ("c2", False),
        ("c3", True),
    ]
    started = [e.name for e in log.events if isinstance(e, AgentToolCallStartEvent)]
    assert started == ["population"]  # c3 never ran
    outputs = _output_events(log)
    assert outputs[-1].value == ANSWER and {e.step for e in outputs} == {2}


async def test_tool_mode_without_other_tools_forces_the_output_tool() -> None:
    adapter = MockAdapter(
        [MockResponse(tool_calls=[{"id": "c", "name": "City", "raw_arguments": ANSWER_TEXT}])]
    )
    result = (
        await RuntimeBuilder().with_client(LLMClient(adapter)).with_output(City).build().run("x")
    )
    assert adapter.requests[0].tool_choice == "City"
    assert result.output.population == 2100000


async def test_an_answer_that_does_not_fit_is_the_runs_error() -> None:
    adapter = NativeMock([MockResponse(text='{"name": "Paris"}')])
    log = EventLog()
    with pytest.raises(OutputValidationError) as raised:
        await _city_runtime(adapter).run("x", on_event=log)
    assert raised.value.raw_text == '{"name": "Paris"}'
    (error,) = log.of("AGENT_ERROR")
    assert isinstance(error, AgentErrorEvent)
    assert error.error_type == "OutputValidationError"
    assert error.response is not None and error.response.text == '{"name": "Paris"}'


async def test_truncated_output_arguments_are_the_runs_error_with_what_arrived() -> None:
    adapter = MockAdapter(
        [MockResponse(tool_calls=[{"id": "c", "name": "City", "raw_arguments": '{"name": "Pa'}])]
    )
    runtime = RuntimeBuilder().with_client(LLMClient(adapter)).with_output(City).build()
    with pytest.raises(OutputValidationError) as raised:
        await runtime.run("x")
    assert raised.value.raw_text == '{"name": "Pa'


async def test_tool_mode_a_text_answer_is_an_output_error() -> None:
    adapter = MockAdapter(["I think it is Paris."])
    runtime = RuntimeBuilder().with_client(LLMClient(adapter)).with_output(City).build()
    with pytest.raises(OutputValidationError, match="without calling the output's tool 'City'"):
        await runtime.run("x")


async def test_a_turn_fetched_whole_emits_its_output_events_after_it() -> None:
    adapter = NativeMock([MockResponse(text=ANSWER_TEXT)])
    log = EventLog()
    runtime = (
        RuntimeBuilder()
        .with_client(LLMClient(adapter))
        .with_stream(False)
        .with_output(City)
        .with_on_event(log)
        .build()
    )
    result = await runtime.run("x")
    assert result.output.name == "Paris"
    assert "AGENT_STREAM_CHUNK" not in log.types
    outputs = _output_events(log)
    assert outputs[-1].value == ANSWER and outputs[-1].path == []


async def test_a_wrapped_output_has_the_values_own_paths() -> None:
    adapter = NativeMock([MockResponse(text='{"value": [3, 4]}')])
    log = EventLog()
    runtime = RuntimeBuilder().with_client(LLMClient(adapter)).with_output(list[int]).build()
    result = await runtime.run("x", on_event=log)
    assert result.output == [3, 4]
    assert [(e.path, e.value) for e in _output_events(log) if e.done] == [
        ([0], 3),
        ([1], 4),
        ([], [3, 4]),
    ]


async def test_a_json_schema_gives_a_dict() -> None:
    adapter = NativeMock([MockResponse(text=ANSWER_TEXT)])
    schema: dict[str, Any] = City.model_json_schema()
    runtime = RuntimeBuilder().with_client(LLMClient(adapter)).with_output(schema).build()
    assert (await runtime.run("x")).output == ANSWER


def test_bad_combinations_are_refused_when_built() -> None:
    client = LLMClient(MockAdapter(["x"]))
    with pytest.raises(ConfigurationError, match="no native structured output"):
        RuntimeBuilder().with_client(client).with_output(City, mode="native").build()
    with pytest.raises(ConfigurationError, match="already named 'population'"):
        RuntimeBuilder().with_client(client).with_tools(population).with_output(
            City, name="population"
        ).build()
    with pytest.raises(ConfigurationError, match="tool_choice='none'"):
        RuntimeBuilder().with_client(client).with_request_fields(tool_choice="none").with_output(
            City
        ).build()


def test_the_sync_runtime_gives_the_output_too() -> None:
    adapter = MockAdapter(
        [MockResponse(tool_calls=[{"id": "c", "name": "City", "raw_arguments": ANSWER_TEXT}])]
    )
    with SyncLLMClient(adapter) as client:
        runtime = RuntimeBuilder().with_client(client).with_output(City).build_sync()
        with runtime.events("x") as events:
            kinds = [event.type for event in events]
        assert events.result.output == City.model_validate(ANSWER)
    assert "AGENT_OUTPUT" in kinds


async def test_an_output_that_is_null_is_still_an_answer() -> None:
    adapter = NativeMock([MockResponse(text='{"value": null}')])
    runtime = RuntimeBuilder().with_client(LLMClient(adapter)).with_output(int | None).build()  # type: ignore[arg-type]
    result = await runtime.run("x")
    assert result.output is None and result.steps == 1


class _IgnoresOutput:
    """A strategy written before ``with_output``: it never reads ``run.output``."""

    stream = True

    async def execute(self, run: RunContext) -> AgentResult[Any]:
        run.responses.append(await run.client.call(run.build_request()))
        return run.result()


async def test_a_strategy_that_gives_no_output_is_refused() -> None:
    adapter = NativeMock([MockResponse(text=ANSWER_TEXT)])
    runtime = (
        RuntimeBuilder()
        .with_client(LLMClient(adapter))
        .with_strategy(_IgnoresOutput())
        .with_output(City)
        .build()
    )
    with pytest.raises(ConfigurationError, match="_IgnoresOutput gave no structured output"):
        await runtime.run("x")

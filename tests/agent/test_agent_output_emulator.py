"""``with_output`` against the emulator (a real local server checking each request as the
real API would): native structured output on each provider's own wire, and tool mode, where
the answer arrives as the output tool's streamed arguments."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from pydantic import BaseModel

from rillet import LLMClient
from rillet.agent import AgentOutputEvent, RuntimeBuilder
from rillet.emulator import Emulator, Scenario
from rillet.emulator.scenario import ToolCallSpec

from ._support import EventLog

KEY = "emulator-key-for-agent-output"


class City(BaseModel):
    name: str
    population: int


ANSWER = {"name": "S\u00e3o Paulo", "population": 12300000}
TEXT = '{"name": "S\\u00e3o Paulo", "population": 12300000}'
SCENARIOS = [
    Scenario(name="city-json", text=(TEXT[:11], TEXT[11:17], TEXT[17:40], TEXT[40:])),
    Scenario(
        name="city-tool",
        tool_calls=(
            ToolCallSpec(name="City", arguments=ANSWER, raw_arguments=TEXT, splits=(5, 15, 44)),
        ),
        finish="tool_calls",
    ),
]


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    async with Emulator(SCENARIOS, api_key=KEY) as server:
        yield server


@pytest.mark.parametrize("provider", ["openai", "openai-responses", "anthropic", "gemini"])
async def test_native_output_on_each_wire(provider: str, emulator: Emulator) -> None:
    client = LLMClient(
        provider=provider, base_url=emulator.base_url(provider), api_key=KEY, model="city-json"
    )
    log = EventLog()
    async with client:
        runtime = RuntimeBuilder().with_client(client).with_output(City).with_on_event(log).build()
        result = await runtime.run("Biggest city of Brazil?")
    assert result.output == City.model_validate(ANSWER)
    outputs = [e for e in log.events if isinstance(e, AgentOutputEvent)]
    name = [str(e.value) for e in outputs if e.path == ["name"]]
    assert "".join(name) == "S\u00e3o Paulo" and len(name) > 1
    body = json.loads(emulator.requests[-1].body)
    assert "tools" not in body and any(
        key in body for key in ("response_format", "text", "output_config", "generationConfig")
    )


async def test_tool_mode_over_the_wire(emulator: Emulator) -> None:
    client = LLMClient(
        provider="openai", base_url=emulator.base_url("openai"), api_key=KEY, model="city-tool"
    )
    log = EventLog()
    async with client:
        runtime = (
            RuntimeBuilder()
            .with_client(client)
            .with_output(City, mode="tool")
            .with_on_event(log)
            .build()
        )
        result = await runtime.run("Biggest city of Brazil?")
    assert result.output == City.model_validate(ANSWER)
    body = json.loads(emulator.requests[-1].body)
    assert body["tool_choice"] == {"type": "function", "function": {"name": "City"}}
    assert "response_format" not in body
    outputs = [e for e in log.events if isinstance(e, AgentOutputEvent)]
    assert [e.value for e in outputs if e.path == ["population"]] == [12300000]
    assert outputs[-1].path == [] and outputs[-1].value == ANSWER

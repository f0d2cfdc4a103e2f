"""``chat`` spans of calls to a real local server: the emulator, in every provider's wire format."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from opentelemetry.trace import SpanKind, StatusCode

from rillet import LLMClient, LLMResponse, RilletError, Timeout
from rillet.emulator import Emulator, Faults, Scenario, StreamError, ToolCallSpec

from .conftest import Recorded, attrs
from .test_chat_spans import DURATION, FIRST_CHUNK, TOKENS, TTFC


@dataclass(frozen=True)
class Wire:
    provider: str
    """rillet's provider name."""
    otel_provider: str
    """Its ``gen_ai.provider.name``."""
    details: dict[str, int] = field(default_factory=dict)
    """The usage details the wire reports besides input and output tokens."""


_OPENAI_DETAILS = {
    "gen_ai.usage.cache_read.input_tokens": 0,
    "gen_ai.usage.reasoning.output_tokens": 0,
}
WIRES = [
    Wire("openai", "openai", _OPENAI_DETAILS),
    Wire("openai-responses", "openai", _OPENAI_DETAILS),
    Wire(
        "anthropic",
        "anthropic",
        {
            "gen_ai.usage.cache_read.input_tokens": 0,
            "gen_ai.usage.cache_creation.input_tokens": 0,
        },
    ),
    Wire("gemini", "gcp.gemini"),
]

SCENARIOS = [
    Scenario("hello", text=("Hello", ", world")),
    Scenario(
        "weather",
        tool_calls=(ToolCallSpec("get_weather", {"city": "Paris"}, id="call_1"),),
        finish="tool_calls",
    ),
    Scenario("limited", faults=Faults(statuses=(429,))),
    Scenario("reset", text=("a ", "b ", "c"), faults=Faults(reset_after_events=1)),
    Scenario("overloaded", text=("a ", "b "), error=StreamError("overloaded", after_events=1)),
]


@pytest.fixture(params=WIRES, ids=[w.provider for w in WIRES])
def wire(request: pytest.FixtureRequest) -> Wire:
    assert isinstance(request.param, Wire)
    return request.param


@pytest.fixture
async def emulator(no_leaks: None) -> AsyncIterator[Emulator]:
    async with Emulator(SCENARIOS, builtins=False) as running:
        yield running


async def _call(emulator: Emulator, wire: Wire, model: str) -> LLMResponse | RilletError:
    async with LLMClient(
        provider=wire.provider,
        base_url=emulator.base_url(wire.provider),
        api_key=emulator.api_key,
        model=model,
        timeout=Timeout(connect=2.0, idle=2.0),
        max_retries=0,
    ) as client:
        try:
            return await client.call("Hello", max_tokens=100)
        except RilletError as error:
            return error


def _server(emulator: Emulator, wire: Wire) -> dict[str, Any]:
    url = urlsplit(emulator.base_url(wire.provider))
    return {"server.address": "127.0.0.1", "server.port": url.port}


def _request(emulator: Emulator, wire: Wire, model: str) -> dict[str, Any]:
    return {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": wire.otel_provider,
        "gen_ai.request.model": model,
        "gen_ai.request.max_tokens": 100,
        "gen_ai.request.stream": True,
        **_server(emulator, wire),
    }


async def test_a_response(recorded: Recorded, emulator: Emulator, wire: Wire) -> None:
    response = await _call(emulator, wire, "hello")
    assert isinstance(response, LLMResponse)
    span = recorded.span("chat hello")
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    attributes = attrs(span)
    assert isinstance(attributes.pop(TTFC), float)
    assert response.id
    assert attributes == {
        **_request(emulator, wire, "hello"),
        "gen_ai.response.id": response.id,
        "gen_ai.response.model": "emulated-model",
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 12,
        "gen_ai.usage.output_tokens": 34,
        **wire.details,
    }
    metric_attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": wire.otel_provider,
        "gen_ai.request.model": "hello",
        "gen_ai.response.model": "emulated-model",
        **_server(emulator, wire),
    }
    (duration,) = recorded.points(DURATION)
    assert duration.attributes == metric_attributes
    (first,) = recorded.points(FIRST_CHUNK)
    assert first.attributes == metric_attributes
    tokens = {p.attributes["gen_ai.token.type"]: p.sum for p in recorded.points(TOKENS)}
    assert tokens == {"input": 12, "output": 34}


async def test_a_tool_call(recorded: Recorded, emulator: Emulator, wire: Wire) -> None:
    response = await _call(emulator, wire, "weather")
    assert isinstance(response, LLMResponse)
    attributes = attrs(recorded.span("chat weather"))
    assert attributes["gen_ai.response.finish_reasons"] == ("tool_call",)


async def test_a_429(recorded: Recorded, emulator: Emulator, wire: Wire) -> None:
    error = await _call(emulator, wire, "limited")
    assert type(error).__name__ == "RateLimitError"
    span = recorded.span("chat limited")
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == str(error)
    assert attrs(span) == {**_request(emulator, wire, "limited"), "error.type": "RateLimitError"}
    (duration,) = recorded.points(DURATION)
    assert duration.attributes["error.type"] == "RateLimitError"
    assert recorded.points(FIRST_CHUNK) == []


@pytest.mark.parametrize(
    ("model", "error_type"),
    [("reset", "StreamInterruptedError"), ("overloaded", "OverloadedError")],
    ids=["connection-reset", "error-event"],
)
async def test_a_break_in_the_middle_of_the_stream(
    recorded: Recorded, emulator: Emulator, wire: Wire, model: str, error_type: str
) -> None:
    error = await _call(emulator, wire, model)
    assert isinstance(error, RilletError)
    assert type(error).__name__ == error_type
    assert error.partial is not None and error.partial.text == "a "
    assert error.partial.id
    span = recorded.span(f"chat {model}")
    assert span.status.status_code is StatusCode.ERROR
    attributes = attrs(span)
    assert isinstance(attributes.pop(TTFC), float)
    assert attributes == {
        **_request(emulator, wire, model),
        "gen_ai.response.id": error.partial.id,
        "gen_ai.response.model": "emulated-model",
        "error.type": error_type,
    }
    (duration,) = recorded.points(DURATION)
    assert duration.attributes["error.type"] == error_type

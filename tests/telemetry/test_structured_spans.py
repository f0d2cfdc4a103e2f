"""A structured-output call is traced as a plain one is, with ``gen_ai.output.type`` json, and
its stream keeps the ``StructuredStream`` API (events, partial values, the typed value)."""

from __future__ import annotations

import pytest
from opentelemetry.trace import StatusCode
from pydantic import BaseModel

from rillet import LLMClient, OutputValidationError
from rillet.mock import MockAdapter, MockResponse
from rillet.output._spec import OutputSpec
from rillet.output._stream import StructuredStream
from rillet.protocol import LLMRequest, UserMessage

from .conftest import Recorded, attrs


class City(BaseModel):
    name: str
    population: int


def _client(arguments: str) -> LLMClient:
    call = {"id": "c1", "name": "City", "raw_arguments": arguments}
    return LLMClient(MockAdapter([MockResponse(tool_calls=[call], chunk_size=4)]), model="m")


async def test_a_structured_call_is_one_span_marked_json(recorded: Recorded) -> None:
    client = _client('{"name": "Paris", "population": 2100000}')
    async with client, client.stream("Paris?", output=City) as stream:
        assert isinstance(stream, StructuredStream)
        paths = [event.path async for event in stream.output_events()]
        partial = stream.partial_output
        assert partial is not None and (partial.name, partial.population) == ("Paris", 2100000)
        assert (await stream.get_output()).population == 2100000
    assert ("name",) in paths
    (span,) = recorded.spans
    attributes = attrs(span)
    assert span.name == "chat m"
    assert attributes["gen_ai.output.type"] == "json"
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert attributes["gen_ai.usage.output_tokens"] == 20
    assert span.status.status_code is StatusCode.UNSET
    durations = recorded.points("gen_ai.client.operation.duration")
    assert [point.count for point in durations] == [1]


async def test_a_plain_call_has_no_output_type(recorded: Recorded) -> None:
    async with LLMClient(MockAdapter(["Hello"]), model="m") as client:
        await client.call("Hi")
    (span,) = recorded.spans
    assert "gen_ai.output.type" not in attrs(span)


async def test_a_structured_stream_closed_early_is_cancelled(recorded: Recorded) -> None:
    client = _client('{"name": "Paris", "population": 2100000}')
    async with client, client.stream("Paris?", output=City) as stream:
        await stream.__anext__()
    (span,) = recorded.spans
    assert attrs(span)["error.type"] == "cancelled"


async def test_an_invalid_output_is_the_callers_error_not_the_calls(recorded: Recorded) -> None:
    async with _client('{"name": "Paris"}') as client:
        with pytest.raises(OutputValidationError):
            await client.call("Paris?", output=City)
    (span,) = recorded.spans
    assert span.status.status_code is StatusCode.UNSET
    assert "error.type" not in attrs(span)


async def test_a_request_carrying_its_output_is_traced_as_structured(recorded: Recorded) -> None:
    request = LLMRequest(
        messages=[UserMessage(role="user", content="Paris?")],
        output=OutputSpec(City, mode="tool").format,
    )
    async with _client('{"name": "Paris", "population": 1}') as client:
        response = await client.call(request)
    assert getattr(response, "output", None) == {"name": "Paris", "population": 1}
    (span,) = recorded.spans
    assert attrs(span)["gen_ai.output.type"] == "json"

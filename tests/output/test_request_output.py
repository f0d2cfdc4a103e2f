"""A request given whole, ``LLMRequest(output=OutputFormat(...))``, without ``output=``: the
client reads it as structured output (a ``StructuredStream`` whose value is JSON), honouring the
format's ``mode`` and ``wrapped``; and an ``OutputSpec`` given as ``output=`` keeps its type."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from rillet import ConfigurationError, LLMClient, OutputValidationError
from rillet.emulator import Emulator, Scenario
from rillet.mock import MockAdapter, MockResponse
from rillet.output._spec import OutputSpec
from rillet.output._stream import StructuredResponse, StructuredStream
from rillet.protocol import LLMRequest, OutputFormat, UserMessage

from ._orders import Item, Order

KEY = "emulator-key-for-request-output"
TEXT = '{"items": [{"name": "pear", "qty": 2}], "note": null}'


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    scenario = Scenario(name="order-json", text=(TEXT[:9], TEXT[9:30], TEXT[30:]))
    async with Emulator([scenario], api_key=KEY) as server:
        yield server


def _request(format: OutputFormat) -> LLMRequest:
    return LLMRequest(messages=[UserMessage(role="user", content="order")], output=format)


def _mock(arguments: str, name: str = "Order") -> LLMClient:
    call = {"id": "c1", "name": name, "raw_arguments": arguments}
    return LLMClient(MockAdapter([MockResponse(tool_calls=[call], chunk_size=4)]))


async def test_a_native_request_streams_as_json_and_is_sent_natively(emulator: Emulator) -> None:
    client = LLMClient(
        provider="openai", base_url=emulator.base_url("openai"), api_key=KEY, model="order-json"
    )
    async with client, client.stream(_request(OutputSpec(Order).format)) as stream:
        assert isinstance(stream, StructuredStream)
        events = [event async for event in stream.output_events()]
        response = await stream.get_response()
    assert response.output == json.loads(TEXT)
    assert ("items", 0, "name") in [event.path for event in events]
    body = json.loads(emulator.requests[-1].body)
    assert body["response_format"]["json_schema"]["name"] == "Order"
    assert "tools" not in body


async def test_a_wrapped_request_in_tool_mode_gives_the_inner_value() -> None:
    format = OutputSpec(list[Item], name="Items", mode="tool").format
    assert format.wrapped
    client = _mock('{"value": [{"name": "a"}, {"name": "b", "qty": 5}]}', "Items")
    async with client, client.stream(_request(format)) as stream:
        assert isinstance(stream, StructuredStream)
        paths = [event.path async for event in stream.output_events()]
        value = await stream.get_output()
    assert value == [{"name": "a"}, {"name": "b", "qty": 5}]
    assert (1, "qty") in paths and all(path[:1] != ("value",) for path in paths)


async def test_call_validates_the_json_and_keeps_what_arrived() -> None:
    async with _mock('{"items": [') as client:
        with pytest.raises(OutputValidationError) as raised:
            await client.call(_request(OutputSpec(Order).format))
    assert raised.value.raw_text == '{"items": ['


async def test_native_mode_on_an_adapter_without_it_is_refused() -> None:
    format = OutputSpec(Order, mode="native").format
    async with _mock(TEXT) as client:
        with pytest.raises(ConfigurationError, match="no native structured output"):
            client.stream(_request(format))


async def test_a_wrapped_format_without_its_value_property_is_refused() -> None:
    format = OutputFormat(name="Bad", json_schema={"type": "object"}, wrapped=True)
    async with _mock(TEXT) as client:
        with pytest.raises(ConfigurationError, match="'value'"):
            client.stream(_request(format))


async def test_a_request_output_and_another_output_argument_conflict() -> None:
    async with _mock(TEXT) as client:
        with pytest.raises(ConfigurationError, match="both"):
            client.stream(_request(OutputSpec(Order).format), output=Item)


async def test_an_output_spec_argument_keeps_its_type() -> None:
    spec = OutputSpec(Order, name="Order")
    async with _mock(TEXT) as client:
        response = await client.call("order", output=spec)
    assert isinstance(response, StructuredResponse)
    assert response.output == Order(items=[Item(name="pear", qty=2)])

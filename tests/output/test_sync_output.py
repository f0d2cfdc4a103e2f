"""Structured output from blocking code: ``SyncLLMClient.stream(..., output=X)`` and ``call``,
against the emulator running on its own thread (the client under test owns the test's)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator

import pytest

from rillet import OutputValidationError, SyncLLMClient
from rillet.emulator import Emulator, Scenario
from rillet.mock import MockAdapter, MockResponse
from rillet.output._partial import completed
from rillet.output._spec import OutputSpec
from rillet.output._stream import StructuredResponse
from rillet.protocol import LLMRequest, UserMessage
from rillet.sync import SyncStructuredStream

from ._orders import Item, Order

KEY = "emulator-key-for-sync-output"
TEXT = '{"items": [{"name": "p\\u00e9ar", "qty": 12}], "note": "a \\"b\\""}'


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """The emulator on a thread of its own, with its own event loop."""
    scenarios = [
        Scenario(name="order-json", text=(TEXT[:22], TEXT[22:26], TEXT[26:41], TEXT[41:])),
        Scenario(name="not-an-order", text=('{"items": "none"}',)),
    ]
    server = Emulator(scenarios, api_key=KEY)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(5)
    try:
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


def _client(emulator: Emulator, model: str = "order-json") -> SyncLLMClient:
    return SyncLLMClient(
        provider="openai", base_url=emulator.base_url("openai"), api_key=KEY, model=model
    )


def test_events_partial_values_and_the_typed_value(emulator: Emulator) -> None:
    with _client(emulator) as client, client.stream("order", output=Order) as stream:
        assert isinstance(stream, SyncStructuredStream)
        assert stream.partial_output is None
        names: list[str] = []
        seen_partial: list[bool] = []
        for event in stream.output_events():
            if event.path == ("items", 0, "name"):
                names.append(event.value)
                partial = stream.partial_output
                seen_partial.append(partial is not None and not completed(partial))
        order = stream.get_output()
        response = stream.get_response()
    assert order == Order(items=[Item(name="p\u00e9ar", qty=12)], note='a "b"')
    assert "".join(names) == "p\u00e9ar" and len(names) > 1
    assert seen_partial and all(seen_partial)
    assert completed(stream.partial_output)
    assert isinstance(response, StructuredResponse) and response.output == order
    body = json.loads(emulator.requests[-1].body)
    assert body["response_format"]["json_schema"]["name"] == "Order"


def test_chunks_then_the_value(emulator: Emulator) -> None:
    with _client(emulator) as client, client.stream("order", output=Order) as stream:
        text = "".join(chunk.text for chunk in stream if chunk.type == "content")
        assert stream.get_output().items[0].qty == 12
    assert json.loads(text) == json.loads(TEXT)


def test_call_gives_the_structured_response(emulator: Emulator) -> None:
    with _client(emulator) as client:
        response = client.call("order", output=Order)
        schema_response = client.call("order", output=Order.model_json_schema())
    assert response.output.note == 'a "b"'
    assert schema_response.output == json.loads(TEXT)


def test_an_output_that_does_not_fit_raises_with_what_arrived(emulator: Emulator) -> None:
    with _client(emulator, "not-an-order") as client:
        with pytest.raises(OutputValidationError) as raised:
            client.call("order", output=Order)
        with client.stream("order", output=Order) as stream, pytest.raises(OutputValidationError):
            stream.get_output()
    assert raised.value.raw_text == '{"items": "none"}'
    assert raised.value.partial is not None


def test_a_request_carrying_its_output_gives_a_structured_stream() -> None:
    call = {"id": "c", "name": "Item", "raw_arguments": '{"name": "x", "qty": 3}'}
    request = LLMRequest(
        messages=[UserMessage(role="user", content="item")],
        output=OutputSpec(Item).format,
    )
    with SyncLLMClient(MockAdapter([MockResponse(tool_calls=[call])])) as client:
        stream = client.stream(request)
        assert isinstance(stream, SyncStructuredStream)
        with stream:
            assert stream.get_output() == {"name": "x", "qty": 3}

"""``client.stream(..., output=X)`` and ``client.call(..., output=X)`` as a consumer uses them:
typed partial values while the answer streams, the validated value at the end, and typed
errors that keep what arrived. The mock adapter has no native structured output, so these run
in tool mode: the output arrives as a forced tool's arguments and must look like text."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel

from rillet import (
    ConfigurationError,
    LLMClient,
    OutputValidationError,
    StreamInterruptedError,
)
from rillet.mock import MockAdapter, MockResponse
from rillet.output._partial import completed
from rillet.protocol import FinishReason, LLMRequest


class Item(BaseModel):
    name: str
    qty: int = 1


class Order(BaseModel):
    items: list[Item]
    note: str | None = None


ARGS = {"items": [{"name": "apple", "qty": 3}, {"name": "p\u00e9ar \U0001f350"}], "note": "x"}


def _client(arguments: str | dict[str, Any], *, chunk_size: int = 5, **more: Any) -> LLMClient:
    call = {"id": "c1", "name": "Order", "arguments": arguments}
    if isinstance(arguments, str):
        call = {"id": "c1", "name": "Order", "raw_arguments": arguments}
    adapter = MockAdapter([MockResponse(tool_calls=[call], chunk_size=chunk_size, **more)])
    return LLMClient(adapter)


async def test_the_final_value_is_the_validated_type_and_looks_like_text() -> None:
    response = await _client(ARGS).call("order", output=Order)
    assert response.output == Order.model_validate(ARGS)
    assert json.loads(response.text or "") == ARGS
    assert response.tool_calls == []
    assert response.finish_reason == FinishReason.stop


async def test_the_request_forces_one_tool_named_after_the_output() -> None:
    adapter = MockAdapter(
        [MockResponse(tool_calls=[{"id": "c", "name": "Order", "arguments": ARGS}])]
    )
    seen: list[LLMRequest] = []
    original = adapter.stream_batches

    def spy(request: LLMRequest, settings: Any) -> Any:
        seen.append(request)
        return original(request, settings)

    adapter.stream_batches = spy  # type: ignore[method-assign]
    await LLMClient(adapter).call("order", output=Order)
    (request,) = seen
    assert request.output is None
    assert request.tool_choice == "Order"
    assert [tool.name for tool in request.tools] == ["Order"]
    assert request.tools[0].parameters == Order.model_json_schema()


async def test_events_and_partial_values_follow_the_text_as_it_arrives() -> None:
    async with _client(ARGS, chunk_size=3).stream("order", output=Order) as stream:
        names: list[str] = []
        partials: list[str] = []
        async for event in stream.output_events():
            if event.path[-1:] == ("name",):
                names.append(event.value)
            partials.append(repr(stream.partial_output))
        order = await stream.get_output()
    assert "".join(names) == "applep\u00e9ar \U0001f350"
    assert order.items[1].name == "p\u00e9ar \U0001f350"
    assert partials[0] == "Order()"
    final = stream.partial_output
    assert final is not None and completed(final) and completed(final.items[0], "qty")


async def test_partial_output_read_after_every_chunk_only_grows() -> None:
    shown: list[Order | None] = []
    async with _client(ARGS, chunk_size=2).stream("order", output=Order) as stream:
        async for _ in stream:
            shown.append(stream.partial_output)
    sizes = [len(repr(value)) for value in shown if value is not None]
    assert sizes == sorted(sizes)
    last = shown[-1]
    assert last is not None and len(last.items) == 2


async def test_a_consumer_of_chunks_gets_the_same_chunks_and_the_value() -> None:
    async with _client(ARGS).stream("order", output=Order) as stream:
        kinds = [chunk.type async for chunk in stream]
        order = await stream.get_output()
    assert "tool_call_start" not in kinds and kinds.count("content") > 3
    assert order == Order.model_validate(ARGS)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ('{"items": [{"name": "a"}', "not JSON"),
        ('{"items": [{"qty": 2}]}', "does not fit Order"),
    ],
)
async def test_output_that_does_not_fit_is_a_typed_error_with_everything(
    raw: str, message: str
) -> None:
    with pytest.raises(OutputValidationError, match=message) as caught:
        await _client(raw).call("order", output=Order)
    assert caught.value.raw_text == raw
    assert caught.value.partial is not None and caught.value.partial.text == raw


async def test_invalid_json_ends_the_events_with_the_typed_error() -> None:
    async with _client('{"items": [}').stream("order", output=Order) as stream:
        with pytest.raises(OutputValidationError, match="not JSON") as caught:
            async for _ in stream.output_events():
                pass
    assert caught.value.raw_text.startswith('{"items": [')


async def test_a_cut_stream_keeps_the_partial_value() -> None:
    cut = StreamInterruptedError("reset", body_started=True)
    client = _client(ARGS, chunk_size=4, error=cut, error_after=8)
    async with client.stream("order", output=Order) as stream:
        with pytest.raises(StreamInterruptedError) as caught:
            async for _ in stream.output_events():
                pass
        partial = stream.partial_output
    assert caught.value.partial is not None and caught.value.partial.text
    assert partial is not None and not completed(partial)


async def test_a_json_schema_gives_plain_json() -> None:
    schema = {"type": "object", "properties": {"items": {"type": "array"}}}
    response = await _client(ARGS).call("order", output=schema, output_name="Order")
    assert response.output == ARGS


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"keep_text": False}, "keep_text"),
        ({"output_mode": "native"}, "no native structured output"),
        ({"tool_choice": "required"}, "tool_choice"),
        ({"tools": [{"name": "Order", "parameters": {}}]}, "already named 'Order'"),
    ],
)
def test_settings_that_cannot_hold_together_are_refused(
    kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        _client(ARGS).stream("order", output=Order, **kwargs)


async def test_escapes_and_surrogate_pairs_cut_anywhere() -> None:
    raw = '{"items": [{"name": "p\\u00e9ar \\ud83c\\udf50 \\"q\\"\\n"}]}'
    for size in (1, 2, 3, 5):
        async with _client(raw, chunk_size=size).stream("order", output=Order) as stream:
            fragments = [e.value async for e in stream.output_events() if e.path[-1:] == ("name",)]
            order = await stream.get_output()
        assert "".join(fragments) == order.items[0].name == 'p\u00e9ar \U0001f350 "q"\n'

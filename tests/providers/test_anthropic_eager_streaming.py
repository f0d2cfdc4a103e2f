"""Anthropic fine-grained tool streaming (``eager_input_streaming`` on a tool): asked for, and
its complete input that may not be JSON, raised as ``InvalidToolArgumentsError`` with the text."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rillet import BadRequestError, InvalidToolArgumentsError, LLMClient
from rillet.emulator import Emulator
from rillet.emulator.scenarios import WEATHER
from rillet.testing.fault_server import FaultServer, Reply

_TOOL = {"name": "get_weather", "parameters": {"type": "object"}}


def _client(base_url: str, api_key: str | None, model: str, **options: Any) -> LLMClient:
    """An Anthropic client of ``base_url``, no retries, the adapter's ``options``."""
    return LLMClient(
        provider="anthropic",
        base_url=base_url,
        api_key=api_key,
        model=model,
        max_retries=0,
        options=options,
    )


async def test_every_tool_asks_for_it_with_the_adapter_option(no_leaks: None) -> None:
    async with (
        Emulator() as emulator,
        _client(
            emulator.base_url("anthropic"),
            emulator.api_key,
            "tool-call",
            eager_input_streaming=True,
        ) as client,
    ):
        response = await client.call("Weather?", tools=[_TOOL, {"name": "now"}])
        sent = json.loads(emulator.requests[0].body)
    assert [tool.get("eager_input_streaming") for tool in sent["tools"]] == [True, True]
    assert [(c.name, c.arguments) for c in response.tool_calls] == [
        (WEATHER.name, WEATHER.arguments)
    ]


_REFUSED = pytest.mark.request_oracle_off("a non-boolean eager_input_streaming, on purpose")


@pytest.mark.parametrize(
    ("value", "accepted"), [(True, True), pytest.param("always", False, marks=_REFUSED)]
)
async def test_one_tool_asks_for_it_in_provider_options(
    no_leaks: None, value: object, accepted: bool
) -> None:
    """``tools`` in ``provider_options`` replaces the built list whole; the emulator checks the
    field as Anthropic does (a boolean)."""
    tools = [
        {"name": "get_weather", "input_schema": {"type": "object"}, "eager_input_streaming": value},
        {"name": "now", "input_schema": {"type": "object"}},
    ]
    async with (
        Emulator() as emulator,
        _client(emulator.base_url("anthropic"), emulator.api_key, "tool-call") as client,
    ):
        if accepted:
            response = await client.call(
                "Weather?", tools=[_TOOL], provider_options={"tools": tools}
            )
            assert response.tool_calls[0].arguments == WEATHER.arguments
        else:
            with pytest.raises(BadRequestError, match="eager_input_streaming"):
                await client.call("Weather?", tools=[_TOOL], provider_options={"tools": tools})
        sent = json.loads(emulator.requests[0].body)
    assert sent["tools"] == tools


def _tool_stream(pieces: list[str], stop_reason: str) -> bytes:
    """A Messages stream of one ``tool_use`` block whose input comes in ``pieces``."""
    block = {"type": "tool_use", "id": "toolu_01", "name": "make_file", "input": {}}
    message: dict[str, Any] = {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-6",
        "content": [],
        "stop_reason": None,
        "usage": {"input_tokens": 40, "output_tokens": 1},
    }
    events: list[dict[str, Any]] = [
        {"type": "message_start", "message": message},
        {"type": "content_block_start", "index": 0, "content_block": block},
        *(
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "input_json_delta", "partial_json": piece},
            }
            for piece in pieces
        ),
        {"type": "content_block_stop", "index": 0},
        {
            "type": "message_delta",
            "delta": {"stop_reason": stop_reason, "stop_sequence": None},
            "usage": {"output_tokens": 64},
        },
        {"type": "message_stop"},
    ]
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events).encode()


@pytest.mark.parametrize(
    ("pieces", "stop_reason", "reason"),
    [
        # cut by max_tokens in the middle of a string of an unfinished object
        (
            ['{"filename": "poem.txt", "lines_of_text": ["Roses', " are red", '", "Viol'],
            "max_tokens",
            "not valid JSON",
        ),
        # unbuffered and unvalidated: a complete input that is still not JSON
        (
            ['{"filename": "poem.txt",', ' "lines_of_text": [Roses are red]}'],
            "tool_use",
            "not valid JSON",
        ),
        (['{"filename": "poem.txt"', "}", "}"], "tool_use", "not valid JSON"),
    ],
    ids=["truncated-by-max-tokens", "bare-words", "extra-brace"],
)
async def test_input_that_is_not_json_is_a_typed_error_with_the_raw_text(
    no_leaks: None, pieces: list[str], stop_reason: str, reason: str
) -> None:
    async with FaultServer() as server:
        server.script(
            Reply(body=_tool_stream(pieces, stop_reason), content_type="text/event-stream")
        )
        async with _client(
            server.url, "k", "claude-sonnet-4-6", eager_input_streaming=True
        ) as client:
            with pytest.raises(InvalidToolArgumentsError, match=reason) as caught:
                await client.call("Write a poem", tools=[{"name": "make_file"}])
    error = caught.value
    assert error.raw_arguments == "".join(pieces)
    assert (error.tool_name, error.tool_call_id, error.index) == ("make_file", "toolu_01", 0)
    assert error.partial is not None
    assert error.partial.provider_finish_reason == stop_reason
    assert error.partial.tool_calls[0].raw_arguments == "".join(pieces)
    sent = json.loads(server.requests[0].body)
    assert sent["tools"][0]["eager_input_streaming"] is True

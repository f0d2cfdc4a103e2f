"""Structured output in each provider's own form, against the emulator (a real local server
that checks each request as the real API would): the request carries the schema where the
provider reads it, and the streamed JSON comes back as the caller's type."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import BaseModel

from rillet import ConfigurationError, LLMClient, OutputValidationError
from rillet.emulator import Emulator, Scenario
from rillet.output._partial import completed

KEY = "emulator-key-for-output-tests"


class Item(BaseModel):
    name: str
    qty: int = 1


class Order(BaseModel):
    items: list[Item]
    note: str | None = None


# The answer cut inside a string, an escape, a surrogate pair and a number.
TEXT = '{"items": [{"name": "p\\u00e9ar \\ud83c\\udf50", "qty": 12}], "note": "a \\"b\\""}'
PIECES = (TEXT[:14], TEXT[14:24], TEXT[24:33], TEXT[33:52], TEXT[52:])
SCENARIO = Scenario(name="order-json", text=PIECES)

OPTIONS: dict[str, dict[str, Any]] = {
    "vertex": {"project": "p", "location": "us-central1", "access_token": KEY},
    "vertex-anthropic": {"project": "p", "location": "us-central1", "access_token": KEY},
}
PROVIDERS = (
    "openai",
    "openai-responses",
    "anthropic",
    "gemini",
    "vertex",
    "vertex-anthropic",
    "azure",
    "azure-responses",
)


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    async with Emulator([SCENARIO], api_key=KEY) as server:
        yield server


def _client(provider: str, emulator: Emulator) -> LLMClient:
    options = OPTIONS.get(provider, {})
    key = None if "access_token" in options else KEY
    return LLMClient(
        provider=provider,
        base_url=emulator.base_url(provider) if not options else emulator.url,
        api_key=key,
        model="order-json",
        options=options,
    )


def _format_sent(body: dict[str, Any]) -> dict[str, Any]:
    """Where each wire carries the schema, and its name where it has one."""
    if "response_format" in body:
        return body["response_format"]["json_schema"]  # type: ignore[no-any-return]
    if "text" in body:
        return body["text"]["format"]  # type: ignore[no-any-return]
    if "output_config" in body:
        return body["output_config"]["format"]  # type: ignore[no-any-return]
    config = body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    return {"schema": config["responseJsonSchema"]}


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_each_provider_sends_its_form_and_reads_the_type(
    provider: str, emulator: Emulator
) -> None:
    client = _client(provider, emulator)
    async with client, client.stream("order", output=Order) as stream:
        events = [event async for event in stream.output_events()]
        order = await stream.get_output()
    assert order == Order(items=[Item(name="p\u00e9ar \U0001f350", qty=12)], note='a "b"')
    assert completed(stream.partial_output)
    names = [e.value for e in events if e.path == ("items", 0, "name")]
    assert "".join(names) == "p\u00e9ar \U0001f350" and len(names) > 1
    body = json.loads(emulator.requests[-1].body)
    sent = _format_sent(body)
    schema = sent["schema"]
    assert set(schema["properties"]) == {"items", "note"}
    assert "tools" not in body  # native: no forced tool
    if provider.startswith(("openai", "azure")):
        assert sent["name"] == "Order" and sent["strict"] is True
        assert schema["required"] == ["items", "note"]  # strict: every property required


async def test_tool_mode_cannot_keep_another_tool_choice(emulator: Emulator) -> None:
    client = _client("openai", emulator)
    async with client:
        with pytest.raises(ConfigurationError, match="tool_choice"):
            client.stream("order", output=Order, output_mode="tool", tool_choice="none")
    assert emulator.requests == []


async def test_a_schema_openai_strict_mode_cannot_express_fails_before_sending(
    emulator: Emulator,
) -> None:
    class Tags(BaseModel):
        tags: dict[str, int]

    client = _client("openai", emulator)
    async with client:
        with pytest.raises(ConfigurationError, match="free keys"):
            await client.call("tags", output=Tags)
        assert emulator.requests == []
        # Not strict: sent as given.
        with pytest.raises(OutputValidationError, match="does not fit Tags"):
            await client.call("tags", output=Tags, output_strict=False)  # the text is no Tags
        assert (
            json.loads(emulator.requests[-1].body)["response_format"]["json_schema"]["strict"]
            is False
        )

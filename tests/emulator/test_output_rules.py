"""The structured-output request rules over HTTP: what rillet itself sends for a type (optional
fields, nested models, enums, a list root, a JSON Schema) passes every provider's rules, and a
hand-written body outside a provider's subset gets that provider's own 400."""

from __future__ import annotations

import json
from typing import Any, Literal

import aiohttp
import pytest
from pydantic import BaseModel

from rillet import BadRequestError, LLMClient
from rillet.emulator import WIRES, Emulator, Scenario, ToolCallSpec
from rillet.output._spec import OutputSpec

KEY = "emulator-key-for-output-rules"


class Line(BaseModel):
    sku: str
    qty: int = 1
    tags: list[str] = []


class Invoice(BaseModel):
    kind: Literal["invoice", "credit"]
    lines: list[Line]
    customer: Line | None = None
    note: str | None = None


_INVOICE = {"kind": "credit", "lines": [{"sku": "a", "qty": 2, "tags": ["x"]}], "customer": None}
_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
    "required": ["city"],
}
_TARGETS: list[tuple[Any, str, object]] = [
    (Invoice, json.dumps({**_INVOICE, "note": None}), Invoice.model_validate(_INVOICE)),
    (list[Line], json.dumps({"value": [{"sku": "b", "qty": 3, "tags": []}]}), [Line(sku="b", qty=3)]),
    (_SCHEMA, json.dumps({"city": "Zürich", "days": None}), {"city": "Zürich"}),
]  # fmt: skip
_OPTIONS: dict[str, dict[str, Any]] = {
    "vertex": {"project": "p", "location": "us-central1", "access_token": KEY},
    "vertex-anthropic": {"project": "p", "location": "us-east5", "access_token": KEY},
    "gemini-json": {"sse": False},
}
_PROVIDERS = WIRES


_NO_NATIVE_FORM = ("bedrock",)  # structured output goes as a forced tool there


def _cases() -> list[Any]:
    cases = []
    for provider in _PROVIDERS:
        modes = ("tool",) if provider in _NO_NATIVE_FORM else ("native", "tool")
        for mode in modes:
            for index in range(len(_TARGETS)):
                cases.append(pytest.param(provider, mode, index))
    return cases


@pytest.mark.parametrize(("provider", "mode", "index"), _cases())
async def test_what_rillet_sends_for_a_type_passes_every_rule(
    no_leaks: None, provider: str, mode: Literal["native", "tool"], index: int
) -> None:
    target, text, expected = _TARGETS[index]
    name = f"answer-{index}"
    scenario = (
        Scenario(name, text=(text[:7], text[7:]))
        if mode == "native"
        else Scenario(name, tool_calls=(_tool_call(target, text),), finish="tool_calls")
    )
    options = _OPTIONS.get(provider, {})
    async with (
        Emulator([scenario], api_key=KEY) as emulator,
        LLMClient(
            provider=provider.removesuffix("-json"),
            base_url=emulator.base_url(provider),
            api_key=None if "access_token" in options else KEY,
            model=name,
            options=options,
        ) as client,
    ):
        response = await client.call("Answer.", output=target, output_mode=mode)
        assert [r.reply.status for r in emulator.requests] == [200]
    assert response.output == expected


def _tool_call(target: Any, text: str) -> ToolCallSpec:
    return ToolCallSpec(OutputSpec(target).format.name, json.loads(text), raw_arguments=text)


_BAD_BODIES: dict[str, tuple[str, dict[str, Any]]] = {
    "openai": ("/v1/chat/completions", {
        "model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}],
        "response_format": {"type": "json_schema", "json_schema": {
            "name": "Order", "strict": True, "schema": {"type": "object", "properties": {}}}},
    }),
    "openai-responses": ("/v1/responses", {
        "model": "gpt-4o-mini", "input": "Hi",
        "text": {"format": {"type": "json_schema", "name": "an order", "strict": True,
                            "schema": {"type": "object", "properties": {}}}},
    }),
    "anthropic": ("/v1/messages", {
        "model": "claude-sonnet-4-5", "max_tokens": 64,
        "messages": [{"role": "user", "content": "Hi"}],
        "output_config": {"format": {"type": "json_schema", "schema": {
            "type": "object", "properties": {"a": {"type": "object", "properties": {}}},
            "additionalProperties": False}}},
    }),
    "gemini": ("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", {
        "contents": [{"role": "user", "parts": [{"text": "Hi"}]}],
        "generationConfig": {"responseJsonSchema": {"type": "object"}},
    }),
}  # fmt: skip


@pytest.mark.parametrize("wire", list(_BAD_BODIES))
async def test_a_body_outside_the_subset_gets_the_providers_own_400(
    no_leaks: None, wire: str
) -> None:
    path, body = _BAD_BODIES[wire]
    scenarios = [Scenario(str(body.get("model", "gemini-2.5-flash")))]
    async with Emulator(scenarios, api_key=KEY) as emulator, aiohttp.ClientSession() as session:
        headers = {
            "authorization": f"Bearer {KEY}",
            "x-api-key": KEY,
            "x-goog-api-key": KEY,
            "anthropic-version": "2023-06-01",
        }
        async with session.post(emulator.url + path, json=body, headers=headers) as reply:
            status, answer = reply.status, json.loads(await reply.read())
    assert status == 400
    if wire == "openai":
        assert answer == {"error": {
            "message": "Invalid schema for response_format 'Order': In context=(), "
                       "'additionalProperties' is required to be supplied and to be false.",
            "type": "invalid_request_error", "param": "response_format", "code": None,
        }}  # fmt: skip
    elif wire == "openai-responses":
        assert answer["error"]["param"] == "text.format.name"
        assert answer["error"]["code"] == "invalid_value"
        assert "string does not match pattern" in answer["error"]["message"]
    elif wire == "anthropic":
        assert answer["error"] == {
            "type": "invalid_request_error",
            "message": "output_config.format.schema: For 'object' type, 'additionalProperties' "
            "must be explicitly set to false",
        }
    else:
        assert (answer["error"]["code"], answer["error"]["status"]) == (400, "INVALID_ARGUMENT")
        assert (
            "response_json_schema: only supported with response_mime_type application/json"
            in (answer["error"]["message"])
        )


async def test_a_non_strict_schema_is_not_held_to_the_strict_subset(no_leaks: None) -> None:
    async with (
        Emulator([Scenario("loose", text=('{"city": "Bern"}',))], api_key=KEY) as emulator,
        LLMClient(
            provider="openai", base_url=emulator.base_url("openai"), api_key=KEY, model="loose"
        ) as client,
    ):
        response = await client.call("Answer.", output=_SCHEMA, output_strict=False)
        assert response.output == {"city": "Bern"}
        with pytest.raises(BadRequestError):
            # the same schema with strict on, sent as it is, is refused
            await client.call(
                "Answer.",
                provider_options={"response_format": _BAD_BODIES["openai"][1]["response_format"]},
            )

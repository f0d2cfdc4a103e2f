"""The OpenAI Responses adapter: the request body, its configuration, one call over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import real_streams
from aiohttp import web

from rillet import LLMClient, LLMRequest
from rillet._exceptions import MissingAPIKeyError
from rillet.protocol import parse_messages
from rillet.providers.openai_responses import OpenAIResponsesAdapter
from rillet.providers.openai_responses._request import build_body

# -- the request body ------------------------------------------------------------------------


def _request(**options: Any) -> LLMRequest:
    messages = parse_messages(
        [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image", "url": "https://example.com/cat.png"},
                {"type": "image", "data": "QUJD", "media_type": "image/jpeg"},
            ]},
            {"role": "assistant", "content": "Let me check.", "reasoning": [
                {"id": "rs_1", "encrypted_content": "ENC", "provider": "openai-responses"},
                {"id": "rs_2", "text": "no encrypted content"},
                {"encrypted_content": "NO-ID"},  # the API refuses a reasoning item without id
                {"signature": "sig", "provider": "anthropic", "encrypted_content": "X"},
            ], "tool_calls": [
                {"id": "call_1", "name": "lookup", "raw_arguments": '{"q": "cat"}'},
                {"id": "call_2", "name": "count", "arguments": {"n": 2}},
            ]},
            {"role": "tool", "tool_call_id": "call_1", "content": "a cat"},
            {"role": "tool", "tool_call_id": "call_2", "content": "failed", "is_error": True},
        ]
    )  # fmt: skip
    return LLMRequest(model="gpt-5", messages=messages, **options)


def test_request_body_for_a_whole_conversation() -> None:
    tool = {"name": "lookup", "description": "Look up.", "parameters": {"type": "object"}}
    body = build_body(
        _request(tools=[tool], tool_choice="lookup", max_tokens=100, temperature=0.2, top_p=0.9)
    )
    assert body["input"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [
            {"type": "input_text", "text": "What is this?"},
            {"type": "input_image", "image_url": "https://example.com/cat.png", "detail": "auto"},
            {"type": "input_image", "image_url": "data:image/jpeg;base64,QUJD", "detail": "auto"},
        ]},
        {"type": "reasoning", "summary": [], "id": "rs_1", "encrypted_content": "ENC"},
        {"role": "assistant", "content": [{"type": "output_text", "text": "Let me check."}]},
        {"type": "function_call", "call_id": "call_1", "name": "lookup", "arguments": '{"q": "cat"}'},
        {"type": "function_call", "call_id": "call_2", "name": "count", "arguments": '{"n": 2}'},
        {"type": "function_call_output", "call_id": "call_1", "output": "a cat"},
        {"type": "function_call_output", "call_id": "call_2", "output": "failed"},
    ]  # fmt: skip
    assert body["tools"] == [
        {"type": "function", "name": "lookup", "description": "Look up.",
         "parameters": {"type": "object"}, "strict": False}
    ]  # fmt: skip
    assert body["tool_choice"] == {"type": "function", "name": "lookup"}
    assert (body["max_output_tokens"], body["temperature"], body["top_p"]) == (100, 0.2, 0.9)
    assert (body["model"], body["stream"], body["store"]) == ("gpt-5", True, False)
    assert "reasoning" not in body and "include" not in body


def test_request_body_reasoning_and_choices() -> None:
    body = build_body(_request(reasoning={"effort": "high"}, tool_choice="required"))
    assert body["reasoning"] == {"effort": "high", "summary": "auto"}
    assert body["include"] == ["reasoning.encrypted_content"]
    assert body["tool_choice"] == "required"
    quiet = build_body(_request(reasoning={"effort": "low", "include_thoughts": False}))
    assert quiet["reasoning"] == {"effort": "low"}


def test_reasoning_goes_back_whole_or_not_at_all() -> None:
    """Stateless reasoning is refused without its id (the emulator's rules say so too)."""
    messages = parse_messages(
        [
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello", "reasoning": [
                {"id": "rs_1", "text": "Greet back.", "encrypted_content": "ENC1"},
                {"encrypted_content": "ENC2", "provider": "openai-responses"},
            ]},
        ]
    )  # fmt: skip
    body = build_body(LLMRequest(model="gpt-5", messages=messages))
    assert body["input"][1] == {
        "type": "reasoning",
        "id": "rs_1",
        "summary": [{"type": "summary_text", "text": "Greet back."}],
        "encrypted_content": "ENC1",
    }
    items = [dict(item) for item in body["input"] if not isinstance(item, str)]
    assert [item.get("type") for item in items] == [None, "reasoning", None]


# -- configuration ---------------------------------------------------------------------------


def test_missing_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(MissingAPIKeyError, match="OPENAI_API_KEY"):
        LLMClient(provider="openai-responses")


def test_key_and_base_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "env-key")
    monkeypatch.setenv("OPENAI_BASE_URL", "https://proxy.example/v1/")
    adapter = OpenAIResponsesAdapter()
    request = LLMRequest(model="m", messages=parse_messages([{"role": "user", "content": "x"}]))
    assert adapter.url(request) == "https://proxy.example/v1/responses"
    assert adapter.headers("env-key") == {"authorization": "Bearer env-key"}
    assert "env-key" not in repr(adapter)


# -- the adapter over HTTP -------------------------------------------------------------------


@asynccontextmanager
async def _serve(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        await runner.cleanup()


async def test_adapter_against_a_local_server() -> None:
    # the last recorded Responses stream (test_openai_responses.py replays all of them)
    entry = (real_streams.entries("openai_responses") or real_streams.missing("real streams"))[-1]
    data = real_streams.body(entry)
    seen: list[web.Request] = []
    sent: list[dict[str, Any]] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(request)
        sent.append(await request.json())
        return web.Response(body=data, content_type="text/event-stream")

    app = web.Application()
    app.router.add_post("/v1/responses", handler)
    async with (
        _serve(app) as url,
        LLMClient(provider="openai-responses", api_key="sk-local", base_url=url) as client,
    ):
        response = await client.call("hi", model="gpt-5.5")
    assert response.text == entry["expected"]["text"]
    assert seen[0].path == "/v1/responses"
    assert seen[0].headers["authorization"] == "Bearer sk-local"
    assert "sk-local" not in str(seen[0].url)
    assert sent[0]["input"] == [{"role": "user", "content": "hi"}]
    assert (sent[0]["model"], sent[0]["stream"]) == ("gpt-5.5", True)

"""The Anthropic adapter's request side: bodies built from the neutral request, and HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest
import real_streams

from rillet import LLMClient, LLMRequest, MissingAPIKeyError
from rillet.providers.anthropic import AnthropicAdapter
from rillet.providers.anthropic._request import build_body
from rillet.testing.fault_server import FaultServer, Reply

# a recorded thinking + tool call stream (read in place)
_REAL_STREAM = "llm-anthropic/test_fixed_version_tool_chain_with_thinking_display_regression#0"


# -- request bodies -----------------------------------------------------------------------------


def _request(**fields: Any) -> LLMRequest:
    return LLMRequest.model_validate({"model": "claude-x", **fields})


def test_request_body_for_a_whole_conversation() -> None:
    png = {"type": "image", "data": "iVBOR", "media_type": "image/png"}
    messages = [
        {"role": "system", "content": "Be brief."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is this?"},
                png,
                {"type": "image", "url": "https://x/p.jpg"},
            ],
        },
        {
            "role": "assistant",
            "content": "Checking.",
            "reasoning": [
                {"text": "think", "signature": "sig", "provider": "anthropic"},
                {"encrypted_content": "ENC"},
                {"text": "other", "signature": "gsig", "provider": "gemini"},
                {"text": "unsigned", "provider": "anthropic"},
            ],
            "tool_calls": [
                {"id": "toolu_1", "name": "look", "arguments": {"q": "p"}},
                {"id": "toolu_2", "name": "zoom", "raw_arguments": '{"level": 2}'},
            ],
        },
        {"role": "tool", "tool_call_id": "toolu_1", "content": "a pelican"},
        {"role": "tool", "tool_call_id": "toolu_2", "content": "failed", "is_error": True},
        {"role": "system", "content": "Answer in French."},
        {"role": "user", "content": "Merci"},
    ]
    tool = {
        "name": "look",
        "description": "Look",
        "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
    }
    request = _request(
        messages=messages,
        tools=[tool, {"name": "zoom"}],
        tool_choice="required",
        temperature=0.5,
        top_p=0.9,
        stop=["END"],
    )
    assert build_body(request) == {
        "model": "claude-x",
        "system": "Be brief.\n\nAnswer in French.",
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR"},
                    },
                    {"type": "image", "source": {"type": "url", "url": "https://x/p.jpg"}},
                ],
            },
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "think", "signature": "sig"},
                    {"type": "redacted_thinking", "data": "ENC"},
                    {"type": "text", "text": "Checking."},
                    {"type": "tool_use", "id": "toolu_1", "name": "look", "input": {"q": "p"}},
                    {"type": "tool_use", "id": "toolu_2", "name": "zoom", "input": {"level": 2}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_1",
                        "content": "a pelican",
                        "is_error": False,
                    },
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_2",
                        "content": "failed",
                        "is_error": True,
                    },
                ],
            },
            {"role": "user", "content": "Merci"},
        ],
        "max_tokens": 4096,
        "tools": [
            {"name": "look", "description": "Look", "input_schema": tool["parameters"]},
            {"name": "zoom", "input_schema": {"type": "object", "properties": {}}},
        ],
        "tool_choice": {"type": "any"},
        "temperature": 0.5,
        "top_p": 0.9,
        "stop_sequences": ["END"],
        "stream": True,
    }


@pytest.mark.parametrize(
    ("choice", "wire"),
    [
        ("auto", {"type": "auto"}),
        ("required", {"type": "any"}),
        ("any", {"type": "any"}),
        ("none", {"type": "none"}),
        ("look", {"type": "tool", "name": "look"}),
    ],
)
def test_tool_choice(choice: str, wire: dict[str, str]) -> None:
    assert (
        build_body(_request(messages=[{"role": "user", "content": "hi"}], tool_choice=choice))[
            "tool_choice"
        ]
        == wire
    )


@pytest.mark.parametrize(
    ("max_tokens", "reasoning", "want_max", "want_thinking"),
    [
        (None, None, 4096, None),
        (300, None, 300, None),
        (None, {}, 4096, {"type": "enabled", "budget_tokens": 1024}),
        (1000, {"budget_tokens": 2000}, 3000, {"type": "enabled", "budget_tokens": 2000}),
        (
            None,
            {"budget_tokens": 8000, "include_thoughts": False},
            12096,
            {"type": "enabled", "budget_tokens": 8000, "display": "omitted"},
        ),
    ],
)
def test_max_tokens_always_set_and_above_the_thinking_budget(
    max_tokens: int | None,
    reasoning: dict[str, Any] | None,
    want_max: int,
    want_thinking: dict[str, Any] | None,
) -> None:
    body = build_body(
        _request(
            messages=[{"role": "user", "content": "hi"}], max_tokens=max_tokens, reasoning=reasoning
        )
    )
    assert body["max_tokens"] == want_max
    assert body.get("thinking") == want_thinking


def test_data_url_image_and_provider_options_merged_last() -> None:
    user = {"role": "user", "content": [{"type": "image", "url": "data:image/jpeg;base64,/9j/"}]}
    request = _request(
        messages=[user], provider_options={"max_tokens": 64000, "metadata": {"user_id": "u"}}
    )
    body = json.loads(AnthropicAdapter(api_key="k").encode(request))
    assert body["messages"][0]["content"] == [
        {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/"}}
    ]
    assert (body["max_tokens"], body["metadata"]) == (64000, {"user_id": "u"})


# -- the adapter over HTTP ----------------------------------------------------------------------


async def test_client_posts_to_v1_messages_with_the_key_header() -> None:
    entry = real_streams.by_id(_REAL_STREAM)
    data = real_streams.body(entry)
    async with FaultServer() as server:
        server.script(Reply(body=data, content_type="text/event-stream; charset=utf-8"))
        async with LLMClient(
            provider="anthropic",
            api_key="sk-test",
            base_url=server.url,
            model="claude-haiku-4-5",
            max_retries=0,
            options={"anthropic_beta": ["b1", "b2"]},
        ) as client:
            response = await client.call(
                "Use the tool", tools=[{"name": "fixed_version"}], reasoning={"budget_tokens": 1024}
            )
    sent = server.requests[0]
    headers = {k.lower(): v for k, v in sent.headers.items()}
    assert (sent.method, sent.path, sent.query) == ("POST", "/v1/messages", {})
    assert headers["x-api-key"] == "sk-test"
    assert headers["anthropic-version"] == "2023-06-01"
    assert headers["anthropic-beta"] == "b1,b2"
    assert "authorization" not in headers
    assert b"sk-test" not in sent.body
    body = json.loads(sent.body)
    assert (body["model"], body["stream"], body["max_tokens"]) == ("claude-haiku-4-5", True, 4096)
    assert response.reasoning == entry["expected"]["reasoning"]
    assert [c.name for c in response.tool_calls] == ["fixed_version"]
    assert response.reasoning_details[0].provider == "anthropic"


async def test_a_stream_without_usage_reads_as_no_usage() -> None:
    """A compatible server may leave usage out, which the real API (and the emulator) never
    does: the answer is read whole and its usage is None, not zero."""
    frames: list[tuple[str, dict[str, Any]]] = [
        ("message_start", {"message": {"id": "msg_1", "model": "m", "content": []}}),
        ("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}),
        ("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": "Hi"}}),
        ("content_block_stop", {"index": 0}),
        ("message_delta", {"delta": {"stop_reason": "end_turn"}}),
        ("message_stop", {}),
    ]
    data = "".join(
        f"event: {name}\ndata: {json.dumps({'type': name, **fields})}\n\n"
        for name, fields in frames
    )
    async with FaultServer() as server:
        server.script(Reply(body=data.encode(), content_type="text/event-stream"))
        async with LLMClient(
            provider="anthropic", api_key="k", base_url=server.url, model="m", max_retries=0
        ) as client:
            response = await client.call("Hello")
    assert (response.text, response.provider_finish_reason) == ("Hi", "end_turn")
    assert response.usage is None


def test_missing_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(MissingAPIKeyError, match="ANTHROPIC_API_KEY"):
        LLMClient(provider="anthropic")


def test_key_and_base_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "env-key")
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    request = _request(messages=[{"role": "user", "content": "hi"}])
    adapter = AnthropicAdapter(anthropic_version="2024-01-01", headers={"anthropic-beta": "x"})
    assert adapter.url(request) == "https://api.anthropic.com/v1/messages"
    assert adapter.headers("env-key") == {"x-api-key": "env-key", "anthropic-version": "2024-01-01"}
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://proxy.local/")
    assert AnthropicAdapter().url(request) == "http://proxy.local/v1/messages"
    assert "env-key" not in repr(adapter)

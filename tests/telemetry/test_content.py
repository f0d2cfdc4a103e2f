"""Message content is recorded only when asked for, in the conventions' JSON shapes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan

from rillet import LLMClient, MockAdapter, MockResponse, RuntimeBuilder, Usage
from rillet.telemetry import CAPTURE_CONTENT_ENV

from .conftest import Instrument, Recorded, attrs

CONTENT_KEYS = {
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
}

CONVERSATION: list[dict[str, Any]] = [
    {"role": "system", "content": "Be brief."},
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "What is this?"},
            {"type": "image", "url": "https://example.com/cat.png", "media_type": "image/png"},
            {"type": "image", "data": "aGk=", "media_type": "image/jpeg"},
            {"type": "document", "url": "https://example.com/r.pdf"},
        ],
    },
    {
        "role": "assistant",
        "content": "Let me look.",
        "reasoning": [{"text": "A picture."}],
        "tool_calls": [{"id": "c1", "name": "lookup", "arguments": {"q": "cat"}}],
    },
    {"role": "tool", "tool_call_id": "c1", "content": "a cat"},
]

USER = {
    "role": "user",
    "parts": [
        {"type": "text", "content": "What is this?"},
        {
            "type": "uri",
            "modality": "image",
            "uri": "https://example.com/cat.png",
            "mime_type": "image/png",
        },
        {"type": "blob", "modality": "image", "content": "aGk=", "mime_type": "image/jpeg"},
        {
            "type": "uri",
            "modality": "document",
            "uri": "https://example.com/r.pdf",
            "mime_type": "application/pdf",
        },
    ],
}
ASSISTANT = {
    "role": "assistant",
    "parts": [
        {"type": "reasoning", "content": "A picture."},
        {"type": "text", "content": "Let me look."},
        {"type": "tool_call", "id": "c1", "name": "lookup", "arguments": {"q": "cat"}},
    ],
}
TOOL = {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": "a cat"}]}
OUTPUT = [
    {
        "role": "assistant",
        "parts": [
            {"type": "reasoning", "content": "Cats purr."},
            {"type": "text", "content": "A cat."},
        ],
        "finish_reason": "stop",
    }
]


def _reply() -> MockResponse:
    return MockResponse(text="A cat.", reasoning="Cats purr.")


def _content(span: ReadableSpan) -> dict[str, Any]:
    return {k: json.loads(v) for k, v in attrs(span).items() if k in CONTENT_KEYS}


async def test_no_content_by_default(recorded: Recorded) -> None:
    async with LLMClient(MockAdapter(_reply())) as client:
        await client.call(CONVERSATION)
    script: list[MockResponse | str] = [
        MockResponse(tool_calls=[{"id": "c1", "name": "echo", "arguments": {"text": "hi"}}]),
        "done",
    ]

    def echo(text: str) -> str:
        """Echoes."""
        return text

    runtime = RuntimeBuilder().with_client(LLMClient(MockAdapter(script))).with_tools(echo)
    await runtime.build().run("Hi")
    assert len(recorded.spans) == 5
    for span in recorded.spans:
        assert not CONTENT_KEYS & set(attrs(span)), span.name


@pytest.mark.parametrize(
    ("provider", "separate_system"),
    [("openai", False), ("anthropic", True), ("gemini", True)],
)
async def test_chat_content_when_asked(
    instrumented: Instrument, provider: str, separate_system: bool
) -> None:
    recorded = instrumented(capture_content=True)
    async with LLMClient(MockAdapter(_reply(), provider=provider)) as client:
        await client.call(CONVERSATION)
    (span,) = recorded.spans
    system = [{"type": "text", "content": "Be brief."}]
    chat = [USER, ASSISTANT, TOOL]
    if separate_system:
        expected = {"gen_ai.system_instructions": system, "gen_ai.input.messages": chat}
    else:
        expected = {"gen_ai.input.messages": [{"role": "system", "parts": system}, *chat]}
    assert _content(span) == {**expected, "gen_ai.output.messages": OUTPUT}


async def test_the_output_of_a_failed_stream(instrumented: Instrument) -> None:
    recorded = instrumented(capture_content=True)
    async with LLMClient(MockAdapter("Hello world")) as client, client.stream("Hi") as stream:
        async for chunk in stream:
            if chunk.type == "content":
                break
    output = _content(recorded.spans[0])["gen_ai.output.messages"]
    assert output == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": "Hello wo"}],
            "finish_reason": "error",
        }
    ]


async def test_agent_content_when_asked(instrumented: Instrument) -> None:
    recorded = instrumented(capture_content=True)

    def lookup(q: str) -> dict[str, str]:
        """Looks up."""
        return {"answer": q.upper()}

    script = [
        MockResponse(tool_calls=[{"id": "c1", "name": "lookup", "arguments": {"q": "cat"}}]),
        MockResponse(text="CAT", usage=Usage(input_tokens=1, output_tokens=1)),
    ]
    runtime = (
        RuntimeBuilder()
        .with_client(LLMClient(MockAdapter(script, provider="anthropic")))
        .with_tools(lookup)
        .with_system_prompt("Be brief.")
        .build()
    )
    await runtime.run("Look up cat")
    tool = recorded.span("execute_tool lookup")
    assert _content(tool) == {
        "gen_ai.tool.call.arguments": {"q": "cat"},
        "gen_ai.tool.call.result": {"answer": "CAT"},
    }
    run = recorded.span("invoke_agent")
    assert _content(run) == {
        "gen_ai.system_instructions": [{"type": "text", "content": "Be brief."}],
        "gen_ai.input.messages": [
            {"role": "user", "parts": [{"type": "text", "content": "Look up cat"}]}
        ],
        "gen_ai.output.messages": [
            {
                "role": "assistant",
                "parts": [{"type": "text", "content": "CAT"}],
                "finish_reason": "stop",
            }
        ],
    }


@pytest.mark.parametrize(
    ("value", "captured"),
    [
        ("true", True),
        ("SPAN_ONLY", True),
        ("span_and_event", True),
        ("EVENT_ONLY", False),  # rillet emits no events
        ("NO_CONTENT", False),
        ("false", False),
        ("", False),
    ],
)
async def test_the_standard_variable_asks_for_content(
    instrumented: Instrument, monkeypatch: pytest.MonkeyPatch, value: str, captured: bool
) -> None:
    monkeypatch.setenv(CAPTURE_CONTENT_ENV, value)
    recorded = instrumented(capture_content=None)
    async with LLMClient(MockAdapter("Hi")) as client:
        await client.call("Hi")
    assert bool(_content(recorded.spans[0])) is captured


async def test_an_explicit_setting_wins_over_the_variable(
    instrumented: Instrument, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CAPTURE_CONTENT_ENV, "true")
    recorded = instrumented(capture_content=False)
    async with LLMClient(MockAdapter("Hi")) as client:
        await client.call("Hi")
    assert _content(recorded.spans[0]) == {}

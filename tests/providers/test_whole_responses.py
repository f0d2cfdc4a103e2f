"""A server that ignores ``stream: true`` and answers with the whole response object.

Read as the whole response, in the chunks a stream of the same answer gives, whether it comes
as ``application/json`` or as one SSE ``data:`` line; a 200 body that is neither the stream nor
the whole object is a ``MalformedStreamError`` quoting what arrived, never an empty success.
Every case goes through a real local server and ``LLMClient``.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from rillet import FinishReason, LLMClient, LLMResponse, MalformedStreamError, StreamChunk
from rillet.testing import FaultServer, Reply
from rillet.transport import Frame

_ARGS = '{"q": "a"}'

# One answer, as each wire format's non-streamed response holds it: reasoning, then text, then
# a tool call; 11 input tokens.
WHOLE: dict[str, dict[str, Any]] = {
    "openai": {
        "id": "chatcmpl-w",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-x",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Checking.",
                    "reasoning_content": "think",
                    "refusal": None,
                    "tool_calls": [
                        {
                            "id": "call_a",
                            "type": "function",
                            "function": {"name": "lookup", "arguments": _ARGS},
                        }
                    ],
                },
                "logprobs": None,
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {
            "prompt_tokens": 11,
            "completion_tokens": 7,
            "total_tokens": 18,
            "completion_tokens_details": {"reasoning_tokens": 2},
        },
    },
    "openai-responses": {
        "id": "resp_w",
        "object": "response",
        "created_at": 1,
        "status": "completed",
        "model": "gpt-x",
        "output": [
            {
                "type": "reasoning",
                "id": "rs_1",
                "summary": [{"type": "summary_text", "text": "think"}],
            },
            {
                "type": "message",
                "id": "msg_1",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": "Checking.", "annotations": []}],
            },
            {
                "type": "function_call",
                "id": "fc_1",
                "call_id": "call_a",
                "name": "lookup",
                "arguments": _ARGS,
                "status": "completed",
            },
        ],
        "usage": {
            "input_tokens": 11,
            "output_tokens": 7,
            "total_tokens": 18,
            "output_tokens_details": {"reasoning_tokens": 2},
        },
    },
    "anthropic": {
        "id": "msg_w",
        "type": "message",
        "role": "assistant",
        "model": "claude-x",
        "content": [
            {"type": "thinking", "thinking": "think", "signature": "sig"},
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "call_a", "name": "lookup", "input": {"q": "a"}},
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {"input_tokens": 11, "output_tokens": 7},
    },
    "gemini": {
        "candidates": [
            {
                "content": {
                    "role": "model",
                    "parts": [
                        {"text": "think", "thought": True},
                        {"text": "Checking."},
                        {"functionCall": {"id": "call_a", "name": "lookup", "args": {"q": "a"}}},
                    ],
                },
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": {
            "promptTokenCount": 11,
            "candidatesTokenCount": 5,
            "thoughtsTokenCount": 2,
            "totalTokenCount": 18,
        },
        "modelVersion": "gemini-x",
        "responseId": "r-w",
    },
}
PROVIDERS = sorted(WHOLE)


def _json(body: object) -> Reply:
    return Reply(body=json.dumps(body).encode(), content_type="application/json")


def _one_sse_line(body: object) -> Reply:
    return Reply(body=b"data: " + json.dumps(body).encode() + b"\n\n")


async def _stream(provider: str, reply: Reply) -> tuple[list[StreamChunk], LLMResponse]:
    async with FaultServer() as server:
        server.script(reply)
        async with (
            LLMClient(
                provider=provider, base_url=server.url, api_key="k", model="m", max_retries=0
            ) as client,
            client.stream("hi") as stream,
        ):
            chunks = [chunk async for chunk in stream]
            response = await stream.get_response()
    assert len(server.requests) == 1
    return chunks, response


@pytest.mark.parametrize("form", [_json, _one_sse_line], ids=["json", "sse-line"])
@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_whole_response_is_read_whole(provider: str, form: Any, no_leaks: None) -> None:
    chunks, response = await _stream(provider, form(WHOLE[provider]))
    kinds = [kind for kind, _ in itertools.groupby(chunk.type for chunk in chunks)]
    assert kinds == [
        "start",
        "reasoning",
        "content",
        "tool_call_start",
        "tool_call_chunk",
        "tool_call_end",
        "stop",
    ]
    assert response.text == "Checking."
    assert response.reasoning == "think"
    assert [(c.id, c.name, c.arguments) for c in response.tool_calls] == [
        ("call_a", "lookup", {"q": "a"})
    ]
    assert response.finish_reason is FinishReason.tool_calls
    assert response.usage is not None and response.usage.input_tokens == 11
    assert response.usage.output_tokens in (5, 7)


async def test_openai_whole_refusal_and_plain_stop(no_leaks: None) -> None:
    body = {
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "message": {"content": None, "refusal": "I can't."},
                "finish_reason": "stop",
            }
        ],
    }
    _, response = await _stream("openai", _json(body))
    assert (response.text, response.refusal, response.tool_calls) == ("", "I can't.", [])
    assert response.finish_reason is FinishReason.stop
    assert response.usage is None


async def test_openai_whole_completion_without_object_field(no_leaks: None) -> None:
    """Compatible servers may leave ``object`` out: a choice with a ``message`` is enough."""
    body = {"choices": [{"index": 0, "message": {"content": "Hi"}, "finish_reason": "length"}]}
    _, response = await _stream("openai", _one_sse_line(body))
    assert (response.text, response.finish_reason) == ("Hi", FinishReason.length)


async def test_openai_whole_completion_then_done_line(no_leaks: None) -> None:
    line = json.dumps(WHOLE["openai"]).encode()
    _, response = await _stream("openai", Reply(body=b"data: " + line + b"\n\ndata: [DONE]\n\n"))
    assert response.text == "Checking."
    assert [c.name for c in response.tool_calls] == ["lookup"]


async def test_responses_whole_incomplete_keeps_its_reason(no_leaks: None) -> None:
    body = {
        **WHOLE["openai-responses"],
        "status": "incomplete",
        "incomplete_details": {"reason": "max_output_tokens"},
        "output": WHOLE["openai-responses"]["output"][1:2],
    }
    _, response = await _stream("openai-responses", _json(body))
    assert (response.text, response.finish_reason) == ("Checking.", FinishReason.length)
    assert response.provider_finish_reason == "max_output_tokens"


async def test_responses_whole_response_not_finished_is_malformed(no_leaks: None) -> None:
    body = {**WHOLE["openai-responses"], "status": "queued", "output": []}
    with pytest.raises(MalformedStreamError, match="queued"):
        await _stream("openai-responses", _json(body))


# -- bodies that are neither -------------------------------------------------------------------


@pytest.mark.parametrize(
    "reply",
    [
        Reply(body=b"{}", content_type="application/json"),
        Reply(body=b'{"foo": 1}', content_type="application/json"),
        Reply(body=b"data: {}\n\n"),
        Reply(body=b'data: {"foo": 1}\n\n'),
    ],
    ids=["json-empty-object", "json-foo", "sse-empty-object", "sse-foo"],
)
@pytest.mark.parametrize("provider", PROVIDERS)
async def test_an_object_that_is_neither_is_malformed_and_quoted(
    provider: str, reply: Reply, no_leaks: None
) -> None:
    with pytest.raises(MalformedStreamError) as caught:
        await _stream(provider, reply)
    sent = reply.body.removeprefix(b"data: ").strip().decode()
    assert repr(sent) in caught.value.message
    assert [frame.data for frame in caught.value.frames if isinstance(frame, Frame)] == [sent]


@pytest.mark.parametrize(
    "reply",
    [
        Reply(body=b"", content_type="application/json"),
        Reply(body=b""),
        Reply(body=b": keep-alive\n\n"),
        Reply(body=b"[]", content_type="application/json"),
        Reply(body=b"Hello, world", content_type="text/plain"),
    ],
    ids=["json", "sse", "comments-only", "empty-array", "plain-text"],
)
@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_body_without_any_event_is_malformed(
    provider: str, reply: Reply, no_leaks: None
) -> None:
    with pytest.raises(MalformedStreamError, match="no event") as caught:
        await _stream(provider, reply)
    assert f"{len(reply.body)} bytes" in caught.value.message
    assert caught.value.frames == []


async def test_openai_done_before_any_chunk_is_malformed(no_leaks: None) -> None:
    with pytest.raises(MalformedStreamError, match=r"\[DONE\]"):
        await _stream("openai", Reply(body=b"data: [DONE]\n\n"))

"""OpenAI-compatible servers that repeat a call in later deltas, read over HTTP by the client.

DashScope (Qwen's compatible mode) names the call in its first delta, then sends ``id: ""`` with
every argument piece, and repeats the call once more at its end with an empty id, name and
arguments (in the chunk with the ``finish_reason``). Each is the same call: one start, the
arguments once, one end.
"""

from __future__ import annotations

import json
from typing import Any

from rillet import LLMClient, ToolCallChunk, ToolCallStartChunk
from rillet.testing.fault_server import FaultServer, Reply

_ENVELOPE = {
    "object": "chat.completion.chunk",
    "usage": None,
    "created": 1764892800,
    "system_fingerprint": None,
    "model": "qwen-plus",
    "id": "chatcmpl-5c8d0f3e-2b1a-9d7e-8f6a-3c2b1a0f9e8d",
}


def _delta(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    choice = {"delta": delta, "finish_reason": finish, "index": 0, "logprobs": None}
    return {"choices": [choice], **_ENVELOPE}


def _piece(index: int, arguments: str, *, name: str | None = None) -> dict[str, Any]:
    """A continuation as DashScope sends it: ``id`` empty, the type repeated."""
    function: dict[str, Any] = {"arguments": arguments}
    if name is not None:
        function["name"] = name
    return {"index": index, "id": "", "type": "function", "function": function}


def _dashscope_body() -> bytes:
    first = {
        "index": 0,
        "id": "call_8f08d2b0fc0c4d8fab7123",
        "type": "function",
        "function": {"name": "get_current_weather", "arguments": '{"location":'},
    }
    second = {
        "index": 1,
        "id": "call_1c5b9e7a2d3f4e6a8b0c12",
        "type": "function",
        "function": {"name": "get_time", "arguments": ""},
    }
    frames = [
        _delta({"content": None, "role": "assistant", "tool_calls": [first]}),
        _delta({"tool_calls": [_piece(0, ' "杭州", "unit": "c')]}),
        _delta({"tool_calls": [_piece(0, 'elsius"}')]}),
        _delta({"tool_calls": [second]}),
        _delta({"tool_calls": [_piece(1, '{"zone": "Asia/Shanghai"}', name="")]}),
        # each call repeated at its end: empty id, name and arguments, with the finish reason
        _delta(
            {"tool_calls": [_piece(0, "", name=""), _piece(1, "", name="")]},
            finish="tool_calls",
        ),
        {
            "choices": [],
            **_ENVELOPE,
            "usage": {"prompt_tokens": 231, "completion_tokens": 41, "total_tokens": 272},
        },
    ]
    lines = [f"data: {json.dumps(f, ensure_ascii=False, separators=(',', ':'))}" for f in frames]
    return ("\n\n".join([*lines, "data: [DONE]"]) + "\n\n").encode()


async def test_dashscope_repeats_continue_their_calls(no_leaks: None) -> None:
    async with FaultServer() as server:
        server.script(Reply(body=_dashscope_body(), chunks=[40, 41, 300, 301, 777]))
        async with (
            LLMClient(
                provider="openai",
                api_key="sk-dashscope",
                base_url=server.url + "/compatible-mode/v1",
                model="qwen-plus",
                max_retries=0,
            ) as client,
            client.stream("Weather and time in Hangzhou?") as stream,
        ):
            chunks = [chunk async for chunk in stream]
            response = await stream.get_response()
    starts = [(c.index, c.id, c.name) for c in chunks if isinstance(c, ToolCallStartChunk)]
    assert starts == [
        (0, "call_8f08d2b0fc0c4d8fab7123", "get_current_weather"),
        (1, "call_1c5b9e7a2d3f4e6a8b0c12", "get_time"),
    ]
    assert [c.type for c in chunks].count("tool_call_end") == 2
    pieces = [(c.index, c.arguments_delta) for c in chunks if isinstance(c, ToolCallChunk)]
    assert pieces == [
        (0, '{"location":'),
        (0, ' "杭州", "unit": "c'),
        (0, 'elsius"}'),
        (1, '{"zone": "Asia/Shanghai"}'),
    ]
    assert [(c.id, c.name, c.arguments) for c in response.tool_calls] == [
        (
            "call_8f08d2b0fc0c4d8fab7123",
            "get_current_weather",
            {"location": "杭州", "unit": "celsius"},
        ),
        ("call_1c5b9e7a2d3f4e6a8b0c12", "get_time", {"zone": "Asia/Shanghai"}),
    ]
    assert response.finish_reason == "tool_calls"
    assert response.usage is not None and response.usage.input_tokens == 231

"""Synthetic provider bodies of N text events, shaped like the recorded real streams."""

from __future__ import annotations

import json
from collections.abc import Callable

_TOKEN = " token"


def _sse(data: dict[str, object], event: str | None = None, newline: str = "\n") -> str:
    head = f"event: {event}{newline}" if event else ""
    return f"{head}data: {json.dumps(data, separators=(',', ':'))}{newline}{newline}"


def openai_chat(n: int) -> bytes:
    base = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-4o-mini",
        "system_fingerprint": "fp_bench",
    }
    parts = [
        _sse(
            {
                **base,
                "choices": [
                    {
                        "index": 0,
                        "delta": {"role": "assistant", "content": ""},
                        "logprobs": None,
                        "finish_reason": None,
                    }
                ],
            }
        )
    ]
    delta = _sse(
        {
            **base,
            "choices": [
                {"index": 0, "delta": {"content": _TOKEN}, "logprobs": None, "finish_reason": None}
            ],
        }
    )
    parts += [delta] * n
    parts.append(
        _sse(
            {
                **base,
                "choices": [{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}],
            }
        )
    )
    parts.append(
        _sse(
            {
                **base,
                "choices": [],
                "usage": {"prompt_tokens": 5, "completion_tokens": n, "total_tokens": n + 5},
            }
        )
    )
    parts.append("data: [DONE]\n\n")
    return "".join(parts).encode()


def anthropic(n: int) -> bytes:
    message = {
        "id": "msg_bench",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 5, "output_tokens": 1},
    }
    parts = [
        _sse({"type": "message_start", "message": message}, "message_start"),
        _sse(
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
            "content_block_start",
        ),
    ]
    parts += [
        _sse(
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": _TOKEN},
            },
            "content_block_delta",
        )
    ] * n
    parts += [
        _sse({"type": "content_block_stop", "index": 0}, "content_block_stop"),
        _sse(
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": n},
            },
            "message_delta",
        ),
        _sse({"type": "message_stop"}, "message_stop"),
    ]
    return "".join(parts).encode()


def openai_responses(n: int) -> bytes:
    response = {
        "id": "resp_bench",
        "object": "response",
        "status": "in_progress",
        "model": "gpt-5",
        "output": [],
    }
    done = {
        **response,
        "status": "completed",
        "usage": {"input_tokens": 5, "output_tokens": n, "total_tokens": n + 5},
    }
    item = {
        "id": "msg_bench",
        "type": "message",
        "status": "in_progress",
        "role": "assistant",
        "content": [],
    }
    parts = [
        _sse(
            {"type": "response.created", "sequence_number": 0, "response": response},
            "response.created",
        ),
        _sse(
            {
                "type": "response.output_item.added",
                "sequence_number": 1,
                "output_index": 0,
                "item": item,
            },
            "response.output_item.added",
        ),
    ]
    parts += [
        _sse(
            {
                "type": "response.output_text.delta",
                "sequence_number": i + 2,
                "item_id": "msg_bench",
                "output_index": 0,
                "content_index": 0,
                "delta": _TOKEN,
                "logprobs": [],
            },
            "response.output_text.delta",
        )
        for i in range(n)
    ]
    parts.append(
        _sse(
            {"type": "response.completed", "sequence_number": n + 2, "response": done},
            "response.completed",
        )
    )
    return "".join(parts).encode()


def gemini_sse(n: int) -> bytes:
    def element(text: str, finish: str | None = None) -> dict[str, object]:
        candidate: dict[str, object] = {
            "content": {"parts": [{"text": text}], "role": "model"},
            "index": 0,
        }
        if finish:
            candidate["finishReason"] = finish
        return {
            "candidates": [candidate],
            "usageMetadata": {
                "promptTokenCount": 5,
                "candidatesTokenCount": 1,
                "totalTokenCount": 6,
            },
            "modelVersion": "gemini-2.5-flash",
            "responseId": "bench",
        }

    parts = [_sse(element(_TOKEN), newline="\r\n")] * n
    parts.append(_sse(element("", "STOP"), newline="\r\n"))
    return "".join(parts).encode()


BODIES: dict[str, tuple[str, Callable[[int], bytes]]] = {
    # provider name -> (content type, body builder)
    "openai": ("text/event-stream", openai_chat),
    "openai-responses": ("text/event-stream", openai_responses),
    "anthropic": ("text/event-stream", anthropic),
    "gemini": ("text/event-stream", gemini_sse),
}

"""Synthetic provider bodies, shaped byte for byte like the recorded real streams.

Every builder is a pure function of its size, so the server (a child process) builds each body
once, on first request, and every consumer reads the very same bytes. Text deltas cycle through
a small vocabulary with non-ASCII words, like real token streams.

- ``text(fmt, n)``: ``n`` text-delta events in wire format ``fmt`` (see ``FORMATS``), framed by
  the events each provider sends before and after them (start, stop, usage).
- ``tools(fmt, fragments, size)``: one tool call whose JSON arguments (``size`` bytes, a JSON
  object) arrive in ``fragments`` pieces (OpenAI chat ``tool_calls`` deltas, or Anthropic
  ``input_json_delta`` events).
- ``big_chunks(size)``: an OpenAI chat text stream of about ``size`` bytes, generated piece by
  piece (for the memory benchmark, never held whole).
- ``bedrock(n)``: a Bedrock ConverseStream answer of ``n`` deltas in AWS event-stream frames
  (text, then one tool call); ``frames(body)`` splits such a body back into its frames.
"""

from __future__ import annotations

import json
import random
import struct
from collections.abc import Callable, Iterator

from rillet.emulator.render._eventstream import EVENT_STREAM_TYPE, event_message

WORDS = [
    " the",
    " stream",
    "ing",
    " token",
    "s",
    " arrive",
    " one",
    " by",
    " one",
    ",",
    " café",
    " naïve",
    " 🙂",
    " 東京",
    " and",
    " JSON",
    " is",
    " parsed",
    " quickly",
    ".",
    "\n",
    " Über",
    " résumé",
    " data",
]

SSE = "text/event-stream; charset=utf-8"
JSON = "application/json; charset=UTF-8"


def _dumps(data: object) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def _sse(data: object, event: str | None = None, newline: str = "\n") -> str:
    head = f"event: {event}{newline}" if event else ""
    return f"{head}data: {_dumps(data)}{newline}{newline}"


# -- OpenAI Chat Completions ---------------------------------------------------------------------

_CHAT = {
    "id": "chatcmpl-BWlJCN7VZTtSHROczp0AbrjFGhRMA",
    "object": "chat.completion.chunk",
    "created": 1747148050,
    "model": "gpt-4o-mini-2024-07-18",
    "service_tier": "default",
    "system_fingerprint": "fp_0392822090",
}


def _chat(delta: dict[str, object], finish: str | None = None) -> str:
    choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
    return _sse({**_CHAT, "choices": [choice], "usage": None})


def _chat_tail(finish: str, output_tokens: int) -> list[str]:
    usage = {
        "prompt_tokens": 12,
        "completion_tokens": output_tokens,
        "total_tokens": 12 + output_tokens,
    }
    return [
        _chat({}, finish),
        _sse({**_CHAT, "choices": [], "usage": usage}),
        "data: [DONE]\n\n",
    ]


def openai_chat(n: int) -> bytes:
    parts = [_chat({"role": "assistant", "content": "", "refusal": None})]
    parts += [_chat({"content": WORDS[i % len(WORDS)]}) for i in range(n)]
    parts += _chat_tail("stop", n)
    return "".join(parts).encode()


# -- OpenAI Responses ----------------------------------------------------------------------------

_RESPONSE = {
    "id": "resp_00592e63e61b66660169fab1b9f8e481a2b321356198d7ac1b",
    "object": "response",
    "created_at": 1778037177,
    "status": "in_progress",
    "model": "gpt-5.5-2026-04-23",
    "output": [],
    "usage": None,
}
_ITEM_ID = "msg_00592e63e61b66660169fab1bada8481a28ef92eb62c168ead"


def openai_responses(n: int) -> bytes:
    item = {
        "id": _ITEM_ID,
        "type": "message",
        "status": "in_progress",
        "role": "assistant",
        "content": [],
    }
    seq = iter(range(n + 10))
    parts = [
        _sse(
            {"type": "response.created", "sequence_number": next(seq), "response": _RESPONSE},
            "response.created",
        ),
        _sse(
            {
                "type": "response.output_item.added",
                "sequence_number": next(seq),
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
                "content_index": 0,
                "delta": WORDS[i % len(WORDS)],
                "item_id": _ITEM_ID,
                "logprobs": [],
                "obfuscation": "mZhSFjZXJr0X",
                "output_index": 0,
                "sequence_number": next(seq),
            },
            "response.output_text.delta",
        )
        for i in range(n)
    ]
    done = {
        **_RESPONSE,
        "status": "completed",
        "usage": {
            "input_tokens": 11,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": n,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": n + 11,
        },
    }
    parts.append(
        _sse(
            {"type": "response.completed", "sequence_number": next(seq), "response": done},
            "response.completed",
        )
    )
    return "".join(parts).encode()


# -- Anthropic Messages --------------------------------------------------------------------------


def _anthropic_head() -> list[str]:
    message = {
        "model": "claude-sonnet-4-5-20250929",
        "id": "msg_01KHTDfhXSbjLyGST1qLVLV3",
        "type": "message",
        "role": "assistant",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {
            "input_tokens": 17,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": 1,
            "service_tier": "standard",
        },
    }
    return [_sse({"type": "message_start", "message": message}, "message_start")]


def _anthropic_tail(stop: str, output_tokens: int) -> list[str]:
    return [
        _sse({"type": "content_block_stop", "index": 0}, "content_block_stop"),
        _sse(
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop, "stop_sequence": None},
                "usage": {"output_tokens": output_tokens},
            },
            "message_delta",
        ),
        _sse({"type": "message_stop"}, "message_stop"),
    ]


def anthropic(n: int) -> bytes:
    parts = _anthropic_head()
    parts.append(
        _sse(
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
            "content_block_start",
        )
    )
    parts += [
        _sse(
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": WORDS[i % len(WORDS)]},
            },
            "content_block_delta",
        )
        for i in range(n)
    ]
    parts += _anthropic_tail("end_turn", n)
    return "".join(parts).encode()


# -- Gemini --------------------------------------------------------------------------------------


def _gemini(text: str, finish: str | None = None, output_tokens: int = 1) -> dict[str, object]:
    candidate: dict[str, object] = {"content": {"parts": [{"text": text}], "role": "model"}}
    if finish:
        candidate["finishReason"] = finish
    candidate["index"] = 0
    return {
        "candidates": [candidate],
        "usageMetadata": {
            "promptTokenCount": 16,
            "candidatesTokenCount": output_tokens,
            "totalTokenCount": 16 + output_tokens,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 16}],
        },
        "modelVersion": "gemini-2.5-flash",
        "responseId": "NIpyauzXCIXO_uMPpMrAQQ",
    }


def _gemini_elements(n: int) -> list[dict[str, object]]:
    elements = [_gemini(WORDS[i % len(WORDS)], output_tokens=i + 1) for i in range(n)]
    elements.append(_gemini("", "STOP", n))
    return elements


def gemini_sse(n: int) -> bytes:
    """``alt=sse``: compact ``data:`` lines ended by CRLF, as Google sends them."""
    return "".join(_sse(e, newline="\r\n") for e in _gemini_elements(n)).encode()


def gemini_json(n: int) -> bytes:
    """No ``alt=sse``: one JSON array, each element pretty-printed, ``\\n,\\r\\n`` between them
    (the layout of the recorded ``gemini_json`` streams)."""
    items = [json.dumps(e, indent=2, ensure_ascii=False) for e in _gemini_elements(n)]
    return ("[" + "\n,\r\n".join(items) + "]").encode()


# -- tool calls ----------------------------------------------------------------------------------


def tool_arguments(size: int) -> str:
    """A JSON object of about ``size`` bytes: ``{"rows": ["...", ...]}``."""
    row = "x" * 90
    count = max(1, size // (len(row) + 3))
    return _dumps({"rows": [f"{row}{i:06d}"[-90:] for i in range(count)]})


def _split(text: str, pieces: int) -> list[str]:
    step = -(-len(text) // pieces)
    return [text[i : i + step] for i in range(0, len(text), step)]


def openai_chat_tools(fragments: int, size: int) -> bytes:
    parts = [
        _chat(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_1EYWDzueHEp8OsB8jJSEp7WB",
                        "type": "function",
                        "function": {"name": "store_rows", "arguments": ""},
                    }
                ],
                "refusal": None,
            }
        )
    ]
    parts += [
        _chat({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
        for piece in _split(tool_arguments(size), fragments)
    ]
    parts += _chat_tail("tool_calls", fragments)
    return "".join(parts).encode()


def anthropic_tools(fragments: int, size: int) -> bytes:
    parts = _anthropic_head()
    parts.append(
        _sse(
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {
                    "type": "tool_use",
                    "id": "toolu_01A09q90qw90lq917835lq9",
                    "name": "store_rows",
                    "input": {},
                },
            },
            "content_block_start",
        )
    )
    parts += [
        _sse(
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "input_json_delta", "partial_json": piece},
            },
            "content_block_delta",
        )
        for piece in _split(tool_arguments(size), fragments)
    ]
    parts += _anthropic_tail("tool_use", fragments)
    return "".join(parts).encode()


# -- Bedrock ConverseStream ---------------------------------------------------------------------

EVENT_STREAM = EVENT_STREAM_TYPE
_PADDING = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def bedrock(n: int) -> bytes:
    """``n`` deltas as Bedrock sends them: three quarters text (block 0, no start event), then
    one tool call (block 1) whose input arrives in the last quarter as ~20-byte fragments after
    Claude's empty first one. Every payload carries the ``p`` padding field (a random-length
    prefix of ``_PADDING``, keys in Bedrock's sorted order), seeded so the body is always the
    same bytes."""
    rng = random.Random(n)

    def frame(event_type: str, body: dict[str, object]) -> bytes:
        padded = {**body, "p": _PADDING[: rng.randint(1, len(_PADDING))]}
        return event_message(event_type, dict(sorted(padded.items())))

    texts = n - n // 4
    fragments = n - texts
    parts = [frame("messageStart", {"role": "assistant"})]
    parts += [
        frame(
            "contentBlockDelta",
            {"contentBlockIndex": 0, "delta": {"text": WORDS[i % len(WORDS)]}},
        )
        for i in range(texts)
    ]
    parts.append(frame("contentBlockStop", {"contentBlockIndex": 0}))
    if fragments:
        tool = {"toolUse": {"name": "store_rows", "toolUseId": "tooluse_JZ11QcxSQ3m3xacMQKVIKw"}}
        parts.append(frame("contentBlockStart", {"contentBlockIndex": 1, "start": tool}))
        arguments, count = tool_arguments(20 * fragments), fragments - 1
        pieces = [""] + [
            arguments[i * len(arguments) // count : (i + 1) * len(arguments) // count]
            for i in range(count)
        ]
        parts += [
            frame(
                "contentBlockDelta",
                {"contentBlockIndex": 1, "delta": {"toolUse": {"input": piece}}},
            )
            for piece in pieces
        ]
        parts.append(frame("contentBlockStop", {"contentBlockIndex": 1}))
    parts.append(frame("messageStop", {"stopReason": "tool_use" if fragments else "end_turn"}))
    usage = {"inputTokens": 415, "outputTokens": n, "totalTokens": 415 + n}
    parts.append(frame("metadata", {"metrics": {"latencyMs": 625}, "usage": usage}))
    return b"".join(parts)


def frames(body: bytes) -> list[bytes]:
    """An event-stream body split into its frames (each starts with its total length)."""
    out, start = [], 0
    while start < len(body):
        (total,) = struct.unpack_from(">I", body, start)
        out.append(body[start : start + total])
        start += total
    return out


def events(content_type: str, body: bytes) -> list[bytes]:
    """Any body split into the writes a live server makes, one event each: SSE events (with
    their blank line), the JSON array's elements (each after the first with the separator
    before it, the closing bracket with the last), or event-stream frames."""
    if content_type == EVENT_STREAM:
        return frames(body)
    if content_type == JSON:
        # A server cannot write the comma before it knows another element follows: each
        # element after the first comes with the separator in front of it.
        pieces = body.split(b"\n,\r\n")
        return pieces[:1] + [b"\n,\r\n" + piece for piece in pieces[1:]]
    else:
        separator = b"\r\n\r\n" if b"\r\n\r\n" in body else b"\n\n"
    pieces = body.split(separator)
    out = [piece + separator for piece in pieces[:-1]]
    if pieces[-1]:
        out.append(pieces[-1])
    return out


# -- the 100 MB stream ---------------------------------------------------------------------------

_BIG_BLOCK_EVENTS = 2400


def _big_parts() -> tuple[bytes, bytes]:
    head = _chat({"role": "assistant", "content": "", "refusal": None}).encode()
    block = "".join(
        _chat({"content": WORDS[i % len(WORDS)]}) for i in range(_BIG_BLOCK_EVENTS)
    ).encode()
    return head, block


def big_chunks(size: int, piece: int = 1 << 16) -> Iterator[bytes]:
    """An OpenAI chat text stream of about ``size`` bytes, yielded in ``piece``-byte writes."""
    head, block = _big_parts()
    yield head
    view = memoryview(block)
    blocks = big_events(size) // _BIG_BLOCK_EVENTS
    for _ in range(blocks):
        for start in range(0, len(block), piece):
            yield view[start : start + piece].tobytes()
    yield "".join(_chat_tail("stop", blocks * _BIG_BLOCK_EVENTS)).encode()


def big_events(size: int) -> int:
    """How many text events ``big_chunks(size)`` holds."""
    head, block = _big_parts()
    return max(1, -(-(size - len(head)) // len(block))) * _BIG_BLOCK_EVENTS


TEXT: dict[str, tuple[str, Callable[[int], bytes]]] = {
    # wire format -> (content type, body builder)
    "openai-chat": (SSE, openai_chat),
    "openai-responses": (SSE, openai_responses),
    "anthropic": (SSE, anthropic),
    "gemini-sse": (SSE, gemini_sse),
    "gemini-json": (JSON, gemini_json),
}
FORMATS = tuple(TEXT)

TOOLS: dict[str, Callable[[int, int], bytes]] = {
    "openai-chat": openai_chat_tools,
    "anthropic": anthropic_tools,
}

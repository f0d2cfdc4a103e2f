"""Event shapes of a body, read independently of rillet's own decoders.

A shape fact is ``(event name, path, sorted keys)``: the top-level keys of each event's data
(path ``""``) and the keys of the nested objects that adapters read (``delta``,
``content_block``, ``choices[].delta``, ``candidates[].content.parts[]``, ...). Two bodies
"look alike" when the facts of one all occur in the other.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from typing import Any

Fact = tuple[str, str, tuple[str, ...]]

_NESTED = (
    "delta",
    "content_block",
    "message",
    "message.usage",
    "usage",
    "item",
    "part",
    "response",
    "response.usage",
    "error",
    "choices[]",
    "choices[].delta",
    "choices[].delta.tool_calls[]",
    "choices[].delta.tool_calls[].function",
    "candidates[]",
    "candidates[].content",
    "candidates[].content.parts[]",
    "usageMetadata",
    "start",
    "start.toolUse",
    "delta.toolUse",
    "delta.reasoningContent",
    "metrics",
)

# each wire format's api in ../shared/real-streams/index.json
API_FOR_WIRE = {
    "openai": "openai_chat",
    "openai-responses": "openai_responses",
    "anthropic": "anthropic",
    "gemini": "gemini_json",  # same elements; the real streams hold the JSON-array form only
    "gemini-json": "gemini_json",
    # the cloud platforms speak these wires (Azure adds its content filter: see
    # test_real_shapes.as_openai_shapes)
    "vertex": "gemini_json",
    "vertex-anthropic": "anthropic",
    "azure": "openai_chat",
    "azure-responses": "openai_responses",
    "bedrock": "bedrock_converse",  # in ../shared/real-streams-bedrock
}


def sse_events(body: bytes) -> Iterator[tuple[str, str]]:
    """(event name, data) of each SSE event; comments and blank lines skipped."""
    text = body.decode("utf-8").replace("\r\n", "\n")
    for block in text.split("\n\n"):
        name, data = "message", []
        for line in block.split("\n"):
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
        if data:
            yield name, "\n".join(data)


def event_stream_messages(body: bytes) -> Iterator[tuple[dict[str, str], bytes]]:
    """(string headers, payload) of each AWS event-stream message; CRCs not checked."""
    at = 0
    while at < len(body):
        total, headers_length = struct.unpack(">II", body[at : at + 8])
        block = body[at + 12 : at + 12 + headers_length]
        headers, cursor = {}, 0
        while cursor < len(block):
            size = block[cursor]
            name = block[cursor + 1 : cursor + 1 + size].decode()
            cursor += 1 + size
            (length,) = struct.unpack(">H", block[cursor + 1 : cursor + 3])
            headers[name] = block[cursor + 3 : cursor + 3 + length].decode()
            cursor += 3 + length
        yield headers, body[at + 12 + headers_length : at + total - 4]
        at += total


def events(wire_or_api: str, body: bytes) -> list[tuple[str, str]]:
    """(event name, data); an event-stream exception is named ``exception:<type>``."""
    if wire_or_api in ("bedrock", "bedrock_converse"):
        return [
            (
                headers.get(":event-type") or "exception:" + headers[":exception-type"],
                payload.decode(),
            )
            for headers, payload in event_stream_messages(body)
        ]
    if wire_or_api in ("gemini-json", "gemini_json"):
        return [("message", json.dumps(element)) for element in json.loads(body)]
    return list(sse_events(body))


def facts(wire_or_api: str, body: bytes) -> set[Fact]:
    out: set[Fact] = set()
    for name, data in events(wire_or_api, body):
        if data == "[DONE]":
            out.add((name, "[DONE]", ()))
            continue
        value = json.loads(data)
        out.add((name, "", tuple(sorted(value))))
        for path in _NESTED:
            for found in _walk(value, path.split(".")):
                if isinstance(found, dict):
                    out.add((name, path, tuple(sorted(found))))
    return out


def _walk(value: Any, steps: list[str]) -> Iterator[Any]:
    if not steps:
        yield value
        return
    step, rest = steps[0], steps[1:]
    many = step.endswith("[]")
    key = step.removesuffix("[]")
    if not isinstance(value, dict) or key not in value:
        return
    child = value[key]
    if many:
        for item in child if isinstance(child, list) else ():
            yield from _walk(item, rest)
    else:
        yield from _walk(child, rest)

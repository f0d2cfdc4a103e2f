"""One valid example of every stream chunk kind and every agent event kind, keyed by kind.

Tests that must cover every kind the schema lists compare these keys with the schema first, so
a kind added to the schema fails them until it has an example here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

_PROTOCOL_SCHEMAS = Path(__file__).resolve().parents[1] / "schema" / "protocol"

CHUNKS: dict[str, dict[str, Any]] = {
    "start": {"type": "start", "id": "r", "model": "m", "provider": "openai"},
    "content": {"type": "content", "text": "hi"},
    "reasoning": {"type": "reasoning", "text": "", "signature": "abc"},
    "tool_call_start": {"type": "tool_call_start", "index": 0, "id": "c", "name": "f"},
    "tool_call_chunk": {"type": "tool_call_chunk", "index": 0, "arguments_delta": '{"a'},
    "tool_call_end": {"type": "tool_call_end", "index": 0, "arguments": {"a": 1}},
    "stop": {"type": "stop", "finish_reason": "length", "provider_finish_reason": "max_tokens"},
    "error": {"type": "error", "code": "rate_limit", "message": "slow down", "retryable": True},
}

_STAMPS = {"run_id": "run_1", "sequence": 0, "timestamp": 1.5}

_EVENT_FIELDS: dict[str, dict[str, Any]] = {
    "AGENT_RUN_START": {"provider": "mock", "max_steps": 10},
    "AGENT_TURN_START": {"step": 1},
    "AGENT_STREAM_CHUNK": {"step": 1, "chunk": CHUNKS["content"]},
    "AGENT_OUTPUT": {"step": 1, "path": ["items", 0], "value": {"a": 1}, "done": True},
    "AGENT_TOOL_CALL_START": {"step": 1, "tool_call_id": "c", "name": "f"},
    "AGENT_TOOL_CALL_END": {"step": 1, "tool_call_id": "c", "name": "f", "duration": 0.1},
    "AGENT_TURN_END": {"step": 1, "response": {"text": "hi"}},
    "AGENT_RUN_END": {"response": {"text": "hi"}, "steps": 1},
    "AGENT_ERROR": {"steps": 1, "error_type": "RateLimitError", "message": "slow down"},
    "AGENT_CANCELLED": {"steps": 1},
}

EVENTS: dict[str, dict[str, Any]] = {
    kind: {"type": kind, **_STAMPS, **fields} for kind, fields in _EVENT_FIELDS.items()
}


def schema_kinds(schema_file: str) -> dict[str, str]:
    """Each class a protocol schema's ``oneOf`` names, with the kind (its ``type``) it carries."""
    schema = json.loads((_PROTOCOL_SCHEMAS / schema_file).read_text())
    names = [branch["$ref"].removeprefix("#/$defs/") for branch in schema["oneOf"]]
    return {name: schema["$defs"][name]["properties"]["type"]["const"] for name in names}

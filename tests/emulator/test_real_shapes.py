"""The emulator is checked against the real recorded streams in ``../shared/real-streams``.

For each wire format, every event shape the emulator sends for the built-in scenarios (event
name, top-level keys, and the keys of the nested objects adapters read) occurs in the real
bytes of that API, or is one of the deliberate additions listed here. Framing details that the
real bytes show hold for the emulator's bytes too.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from real_streams import body, entries, missing, streams_dir

from rillet.emulator import BUILTIN_SCENARIOS, WIRES, Scenario, render
from rillet.emulator.scenarios import builtin

from ._shapes import API_FOR_WIRE, Fact, event_stream_messages, events, facts

# A representative scenario per wire: text, signed reasoning and a tool call.
_REPRESENTATIVE = "reasoning-text-tools"

_OPENAI_ERROR: set[Fact] = {
    ("message", "", ("error",)),
    ("message", "error", ("code", "message", "param", "type")),
}
_ANTHROPIC_ERROR: set[Fact] = {
    ("error", "", ("error", "type")),
    ("error", "error", ("message", "type")),
}
_GEMINI_ERROR: set[Fact] = {
    ("message", "", ("error",)),
    ("message", "error", ("code", "message", "status")),
}
_RESPONSES_REASONING: set[Fact] = {
    ("response.output_item.added", "item", ("encrypted_content", "id", "summary", "type")),
    ("response.output_item.done", "item", ("encrypted_content", "id", "summary", "type")),
    ("response.reasoning_summary_part.added", "part", ("text", "type")),
    ("response.reasoning_summary_part.done", "part", ("text", "type")),
    *(
        (f"response.reasoning_summary_{kind}", "", keys)
        for kind, keys in [
            (
                "part.added",
                ("item_id", "output_index", "part", "sequence_number", "summary_index", "type"),
            ),
            (
                "part.done",
                ("item_id", "output_index", "part", "sequence_number", "summary_index", "type"),
            ),
            (
                "text.delta",
                (
                    "delta",
                    "item_id",
                    "obfuscation",
                    "output_index",
                    "sequence_number",
                    "summary_index",
                    "type",
                ),
            ),
            (
                "text.done",
                ("item_id", "output_index", "sequence_number", "summary_index", "text", "type"),
            ),
        ]
    ),
}
_RESPONSES_ERROR: set[Fact] = {
    ("error", "", ("code", "message", "param", "sequence_number", "type")),
}
# what the ``no-usage`` scenario leaves out (Anthropic always sends usage, and so does the emulator)
_GEMINI_NO_USAGE: set[Fact] = {("message", "", ("candidates", "modelVersion", "responseId"))}
_BEDROCK_REASONING: set[Fact] = {
    ("contentBlockDelta", "delta", ("reasoningContent",)),
    ("contentBlockDelta", "delta.reasoningContent", ("text",)),
    ("contentBlockDelta", "delta.reasoningContent", ("signature",)),
}
_BEDROCK_ADDITIONS: set[Fact] = {
    *_BEDROCK_REASONING,
    # cache token counts, which the real recordings (no prompt caching) leave out
    (
        "metadata",
        "usage",
        (
            "cacheReadInputTokens",
            "cacheWriteInputTokens",
            "inputTokens",
            "outputTokens",
            "totalTokens",
        ),
    ),
    ("exception:serviceUnavailableException", "", ("message",)),
}
# Deliberate additions, per real-streams api: shapes the real recordings happen not to hold.
DELIBERATE: dict[str, set[Fact]] = {
    "openai_chat": _OPENAI_ERROR,
    "openai_responses": _RESPONSES_REASONING | _RESPONSES_ERROR,
    "anthropic": _ANTHROPIC_ERROR,
    "gemini_json": _GEMINI_ERROR | _GEMINI_NO_USAGE,
    "bedrock_converse": _BEDROCK_ADDITIONS,
}


def _bedrock_entries() -> list[dict[str, Any]]:
    """The real Bedrock streams (HTTP 200 only), in ``RILLET_REAL_STREAMS_BEDROCK``, by default
    ``real-streams-bedrock`` beside the others; their ``body`` paths are relative to it."""
    named = os.environ.get("RILLET_REAL_STREAMS_BEDROCK")
    folder = Path(named) if named else streams_dir().parent / "real-streams-bedrock"
    index = folder / "index.json"
    if not index.is_file():
        return []
    loaded: list[dict[str, Any]] = json.loads(index.read_text(encoding="utf-8"))
    return [{**e, "body": str(folder / e["body"])} for e in loaded if e["status"] == 200]


def _real_facts(api: str) -> set[Fact]:
    found = (
        _bedrock_entries()
        if api == "bedrock_converse"
        else [e for e in entries() if e["api"] == api]
    )
    if not found:
        missing(f"the real {api} streams")
    out: set[Fact] = set()
    for entry in found:
        out |= facts(api, body(entry))
    if api == "openai_responses":
        # response.incomplete and response.failed hold the same response as response.completed
        for name, path, keys in list(out):
            if name == "response.completed":
                out |= {(other, path, keys) for other in ("response.incomplete", "response.failed")}
    return out


def _injected(fact: Fact) -> bool:
    """Unknown events and fields the emulator adds on purpose are all named ``emulator...``."""
    name, _, keys = fact
    return "emulator" in name or any(key.lower().startswith("emulator") for key in keys)


# Azure's content filter, as its documentation shows it (the corpus holds no Azure bytes): an
# opening chunk of its own, and content_filter_results on every choice. The rest is OpenAI's.
_AZURE_OPENING: Fact = (
    "message",
    "",
    ("choices", "created", "id", "model", "object", "prompt_filter_results"),
)


def _wire_facts(wire: str, scenario: Scenario) -> set[Fact]:
    found = facts(wire, render(wire, scenario)[1])
    if wire != "azure":
        return found
    assert _AZURE_OPENING in found
    return {
        (name, path, tuple(key for key in keys if key != "content_filter_results"))
        for name, path, keys in found
        if (name, path, keys) != _AZURE_OPENING
    }


@pytest.mark.parametrize("wire", WIRES)
def test_representative_scenario_has_only_real_shapes(wire: str) -> None:
    api = API_FOR_WIRE[wire]
    real = _real_facts(api)
    rendered = _wire_facts(wire, builtin(_REPRESENTATIVE))
    outside = {f for f in rendered - real if f not in DELIBERATE[api]}
    assert not outside, f"shapes the real {api} streams never show: {sorted(outside)}"
    # and the representative scenario uses the real shapes, not only deliberate ones
    assert len(rendered & real) >= 4


@pytest.mark.parametrize("wire", WIRES)
def test_every_builtin_scenario_has_real_or_deliberate_shapes(wire: str) -> None:
    api = API_FOR_WIRE[wire]
    allowed = _real_facts(api) | DELIBERATE[api]
    for scenario in BUILTIN_SCENARIOS:
        rendered = _wire_facts(wire, scenario)
        outside = {f for f in rendered - allowed if not _injected(f)}
        assert not outside, f"{scenario.name}: {sorted(outside)}"


def test_every_deliberate_addition_is_used() -> None:
    """The list of additions stays honest: each one is sent by some scenario."""
    sent: dict[str, set[Fact]] = {}
    for wire in WIRES:
        for scenario in BUILTIN_SCENARIOS:
            sent.setdefault(API_FOR_WIRE[wire], set()).update(
                facts(wire, render(wire, scenario)[1])
            )
    for api, additions in DELIBERATE.items():
        assert additions <= sent[api], sorted(additions - sent[api])


# -- framing: what holds for the real bytes holds for the emulator's -----------------------------


def _anthropic_named(data: bytes) -> bool:
    """Every event has an ``event:`` line naming its data's ``type``."""
    pairs = events("anthropic", data)
    return bool(pairs) and all(json.loads(d)["type"] == name for name, d in pairs)


def _openai_done_and_usage_last(data: bytes) -> bool:
    """``data: [DONE]`` ends it; the chunk before it has empty ``choices`` and the usage."""
    if b"event:" in data or not data.endswith(b"data: [DONE]\n\n"):
        return False
    pairs = events("openai", data)
    last = json.loads(pairs[-2][1])
    return last["choices"] == [] and isinstance(last.get("usage"), dict)


def _responses_numbered(data: bytes) -> bool:
    """``sequence_number`` counts from 0; created first; completed last, holding every item."""
    pairs = events("openai-responses", data)
    decoded = [json.loads(d) for _, d in pairs]
    if [d["sequence_number"] for d in decoded] != list(range(len(decoded))):
        return False
    if any(name != d["type"] for (name, _), d in zip(pairs, decoded, strict=True)):
        return False
    done = [d["item"] for d in decoded if d["type"] == "response.output_item.done"]
    return (
        decoded[0]["type"] == "response.created"
        and decoded[-1]["type"] == "response.completed"
        and decoded[-1]["response"]["output"] == done
        and decoded[-1]["response"]["usage"] is not None
    )


def _gemini_array(data: bytes) -> bool:
    """``[{`` ... ``}`` then ``,`` CRLF before each next element ... ``}`` LF ``]``."""
    count = len(json.loads(data))
    return (
        data.startswith(b"[{\n")
        and data.endswith(b"}\n]")
        and data.count(b"}\n,\r\n{") == count - 1
        and b'\n  "candidates": [' in data
    )


def _gemini_sse(data: bytes) -> bool:
    """``data:`` lines only, each event ended by CRLF CRLF."""
    blocks = data.split(b"\r\n\r\n")
    return (
        blocks[-1] == b""
        and all(re.fullmatch(rb"data: \{.*\}", block, re.S) for block in blocks[:-1])
        and b"\n\n" not in data.replace(b"\r\n", b"")
    )


_FRAMING: dict[str, tuple[str, Callable[[bytes], bool]]] = {
    "anthropic": ("anthropic", _anthropic_named),
    "openai": ("openai_chat", _openai_done_and_usage_last),
    "openai-responses": ("openai_responses", _responses_numbered),
    "gemini-json": ("gemini_json", _gemini_array),
}


@pytest.mark.parametrize("wire", list(_FRAMING))
def test_framing_matches_the_real_bytes(wire: str) -> None:
    api, holds = _FRAMING[wire]
    real = [e for e in entries() if e["api"] == api]
    if not real:
        missing(f"the real {api} streams")
    if wire == "openai":  # OpenAI's own recordings: compatible servers end differently
        real = [e for e in real if "provider" not in json.loads(events(api, body(e))[0][1])]
        assert real
    for entry in real:
        assert holds(body(entry)), entry["id"]
    scenario: Scenario = builtin(_REPRESENTATIVE)
    assert holds(render(wire, scenario)[1])


def test_gemini_sse_framing() -> None:
    """No real Gemini SSE recording exists; the documented framing: CRLF CRLF after each event."""
    assert _gemini_sse(render("gemini", builtin(_REPRESENTATIVE))[1])
    assert not _gemini_sse(render("openai", builtin(_REPRESENTATIVE))[1])


def test_anthropic_pads_like_the_real_api() -> None:
    """The real API pads data lines with spaces before the closing brace; so does the emulator."""
    data = render("anthropic", builtin(_REPRESENTATIVE))[1]
    assert re.search(rb"} +}\n", data)
    assert b'data: {"type": "ping"}\n' in data


def _bedrock_framed(data: bytes) -> bool:
    """Headers ``:event-type``, ``:content-type``, ``:message-type`` in that order; payload keys
    sorted at every level, with a ``p`` padding that is a prefix of ``abc...XYZ0123...``."""
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

    def sorted_keys(value: Any) -> bool:
        if isinstance(value, dict):
            return list(value) == sorted(value) and all(sorted_keys(v) for v in value.values())
        return True

    messages = list(event_stream_messages(data))
    for headers, payload in messages:
        decoded = json.loads(payload)
        if list(headers) != [":event-type", ":content-type", ":message-type"]:
            return False
        if not sorted_keys(decoded) or not alphabet.startswith(decoded["p"]) or not decoded["p"]:
            return False
    return bool(messages)


def test_bedrock_framing_matches_the_real_bytes() -> None:
    real = _bedrock_entries()
    if not real:
        missing("the real Bedrock streams")
    for entry in real:
        assert _bedrock_framed(body(entry)), entry["id"]
    for scenario in BUILTIN_SCENARIOS:
        if scenario.error is None:
            assert _bedrock_framed(render("bedrock", scenario)[1]), scenario.name
    assert not _bedrock_framed(render("bedrock", builtin("error-overloaded"))[1])

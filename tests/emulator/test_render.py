"""Rendering is pure and deterministic; the finish-reason tables; event-level faults."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from rillet.emulator import (
    BUILTIN_SCENARIOS,
    WIRES,
    Faults,
    Scenario,
    StreamError,
    ToolCallSpec,
    content_offset,
    raw_finish_reason,
    render,
    render_events,
    reported_usage,
)
from rillet.emulator.render._events import compact
from rillet.emulator.scenarios import PARALLEL, builtin

from ._shapes import event_stream_messages, events


@pytest.mark.parametrize("wire", WIRES)
def test_rendering_is_deterministic(wire: str) -> None:
    for scenario in BUILTIN_SCENARIOS:
        assert render(wire, scenario) == render(wire, scenario)


def test_raw_finish_reasons() -> None:
    table = {
        "openai": [
            "stop",
            "length",
            "tool_calls",
            "content_filter",
            "error",
            "insufficient_system_resource",
        ],
        "openai-responses": [
            "completed",
            "max_output_tokens",
            "completed",
            "content_filter",
            "failed",
            "incomplete",
        ],
        "anthropic": ["end_turn", "max_tokens", "tool_use", "refusal", None, "pause_turn"],
        "gemini": ["STOP", "MAX_TOKENS", "STOP", "SAFETY", "MALFORMED_FUNCTION_CALL", "OTHER"],
    }
    finishes = ["stop", "length", "tool_calls", "content_filter", "error", "other"]
    for wire, raws in table.items():
        assert [raw_finish_reason(wire, f) for f in finishes] == raws
    assert raw_finish_reason("gemini-json", "length") == "MAX_TOKENS"
    with pytest.raises(ValueError, match="unknown wire"):
        render("cohere", builtin("text-plain"))


def test_hostile_argument_splits() -> None:
    """The parallel calls are cut inside escapes, a surrogate pair and numbers."""
    search, decode, _, now = PARALLEL
    joined = ["".join(call.pieces()) for call in PARALLEL]
    assert [json.loads(text) for text in joined] == [call.arguments for call in PARALLEL]
    assert any(piece.endswith("\\") for piece in search.pieces())  # inside \"
    assert any(piece.endswith("\\u00") for piece in search.pieces())
    assert any(piece.endswith("\\ud83d") for piece in decode.pieces())  # between the surrogates
    assert now.pieces() == ["{}"]
    with pytest.raises(ValueError, match="do not parse"):
        ToolCallSpec("f", {"a": 1}, raw_arguments='{"a": 2}')


def _header_block(headers: dict[str, str]) -> bytes:
    """The encoded string headers of an event-stream message (to measure it)."""
    return b"".join(
        bytes([len(n.encode())])
        + n.encode()
        + b"\x07"
        + len(v.encode()).to_bytes(2, "big")
        + v.encode()
        for n, v in headers.items()
    )


def _strings(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return set().union(*(_strings(item) for item in value))
    return set()


@pytest.mark.parametrize("wire", WIRES)
def test_content_offset_ends_after_whole_events(wire: str) -> None:
    scenario = builtin("text-plain")
    data = render(wire, scenario)[1]
    for count in range(1, len(scenario.text)):
        head = data[: content_offset(wire, scenario, count)]
        if wire == "gemini-json":
            sent = _strings(json.loads(head + b"\n]"))
        elif wire == "bedrock":  # whole event-stream messages, none cut
            messages = list(event_stream_messages(head))
            assert sum(16 + len(_header_block(h)) + len(p) for h, p in messages) == len(head)
            sent = set().union(*(_strings(json.loads(p)) for _, p in messages))
        else:
            assert head.endswith((b"\n\n", b"\r\n\r\n"))
            sent = set().union(*(_strings(json.loads(d)) for _, d in events(wire, head)))
        assert [piece in sent for piece in scenario.text] == [i < count for i in range(4)]
    assert content_offset(wire, scenario, 99) == len(data)


@pytest.mark.parametrize("wire", WIRES)
def test_in_stream_error_comes_after_the_content_events(wire: str) -> None:
    scenario = Scenario("e", text=("a", "b", "c"), error=StreamError("overloaded", after_events=2))
    rendered = render_events(wire, scenario)
    assert sum(event.content for event in rendered) == 2
    # Bedrock names the error in its message's headers (``:message-type: exception``)
    last = rendered[-1]
    assert "error" in json.dumps(last.data) or str(last.name).startswith("exception:")
    assert not any(event.terminal for event in rendered)


@pytest.mark.parametrize("wire", WIRES)
def test_huge_event(wire: str) -> None:
    scenario = Scenario("big", text=("x",), faults=Faults(huge_event_bytes=200_000))
    sizes = [len(compact(e.data)) for e in render_events(wire, scenario) if not e.comment]
    assert 200_000 <= max(sizes) < 200_100  # Responses numbers it afterwards
    assert 200_000 < len(render(wire, scenario)[1]) < 210_000


def test_every_signature_is_base64_as_the_providers_send_them() -> None:
    """The official SDKs decode signatures (google-genai rejects anything else)."""
    signed = [s for s in BUILTIN_SCENARIOS if s.reasoning_signature]
    assert signed
    for scenario in signed:
        assert scenario.reasoning_signature is not None
        data = base64.b64decode(scenario.reasoning_signature, validate=True)
        assert base64.b64encode(data).decode() == scenario.reasoning_signature
    for bad in ("sig-7f3a9c", "EqQB==", "abc==", "ab cd"):
        with pytest.raises(ValueError, match="not base64"):
            Scenario("s", reasoning_signature=bad)
    for good in ("", "EqQB", "c2lnLTdmM2E5Yw", "c2lnLTdmM2E5Yw==", "gAAAAAB-_w=="):
        assert Scenario("s", reasoning_signature=good).reasoning_signature == good


@pytest.mark.parametrize("scenario", BUILTIN_SCENARIOS, ids=lambda s: s.name)
def test_anthropic_always_reports_usage(scenario: Scenario) -> None:
    """The real API never leaves usage out of ``message_start`` or ``message_delta``."""
    decoded = [
        json.loads(data) for _, data in events("anthropic", render("anthropic", scenario)[1])
    ]
    starts = [d["message"]["usage"] for d in decoded if d["type"] == "message_start"]
    deltas = [d["usage"] for d in decoded if d["type"] == "message_delta"]
    assert len(starts) == 1 and all(isinstance(u["input_tokens"], int) for u in starts)
    want = scenario.usage or (0, 0)
    for usage in deltas:
        assert (usage["input_tokens"], usage["output_tokens"]) == want
    assert reported_usage("anthropic", scenario) == want
    assert reported_usage("gemini", scenario) == scenario.usage

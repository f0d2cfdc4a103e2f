"""Bedrock ConverseStream rendering: the block structure the real service sends, and errors
inside the stream as ``exception`` messages."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rillet.emulator import Scenario, StreamError, ToolCallSpec, raw_finish_reason, render
from rillet.emulator.render._bedrock import EXCEPTIONS
from rillet.emulator.scenario import ErrorKind
from rillet.emulator.scenarios import builtin

from ._shapes import event_stream_messages


def _decoded(scenario: Scenario) -> list[tuple[dict[str, str], dict[str, Any]]]:
    content_type, data = render("bedrock", scenario)
    assert content_type == "application/vnd.amazon.eventstream"
    return [(h, json.loads(p)) for h, p in event_stream_messages(data)]


def _named(scenario: Scenario) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for headers, payload in _decoded(scenario):
        payload.pop("p")
        out.append((headers[":event-type"], payload))
    return out


def test_reasoning_text_and_tools_as_bedrock_streams_them() -> None:
    call = ToolCallSpec("get_weather", {"city": "Paris"}, splits=(5,))
    scenario = Scenario(
        "s",
        reasoning=("Think", "ing"),
        reasoning_signature="c2ln",
        text=("Hi", "!"),
        tool_calls=(call, ToolCallSpec("now", {}, id="tooluse_given")),
        finish="tool_calls",
        usage=(7, 5),
    )
    events = _named(scenario)
    assert events[0] == ("messageStart", {"role": "assistant"})
    deltas = [(e["contentBlockIndex"], e["delta"]) for n, e in events if n == "contentBlockDelta"]
    assert deltas[:5] == [
        (0, {"reasoningContent": {"text": "Think"}}),
        (0, {"reasoningContent": {"text": "ing"}}),
        (0, {"reasoningContent": {"signature": "c2ln"}}),
        (1, {"text": "Hi"}),
        (1, {"text": "!"}),
    ]
    # text and reasoning blocks have no start; a tool block starts with its id and name
    starts = [e for n, e in events if n == "contentBlockStart"]
    assert [s["contentBlockIndex"] for s in starts] == [2, 3]
    first = starts[0]["start"]["toolUse"]
    assert first["name"] == "get_weather" and first["toolUseId"].startswith("tooluse_")
    assert len(first["toolUseId"]) == len("tooluse_") + 22
    assert starts[1]["start"]["toolUse"] == {"name": "now", "toolUseId": "tooluse_given"}
    inputs = [d["toolUse"]["input"] for i, d in deltas if i == 2]
    assert inputs == ["", '{"cit', 'y":"Paris"}']  # Claude's empty first fragment
    stops = [e["contentBlockIndex"] for n, e in events if n == "contentBlockStop"]
    assert stops == [0, 1, 2, 3]
    assert events[-2] == ("messageStop", {"stopReason": "tool_use"})
    name, metadata = events[-1]
    assert name == "metadata"
    assert metadata["usage"] == {
        "cacheReadInputTokens": 0,
        "cacheWriteInputTokens": 0,
        "inputTokens": 7,
        "outputTokens": 5,
        "totalTokens": 12,
    }
    assert isinstance(metadata["metrics"]["latencyMs"], int)


def test_usage_is_never_left_out() -> None:
    events = _named(Scenario("n", text=("x",), usage=None))
    usage = events[-1][1]["usage"]
    assert (usage["inputTokens"], usage["outputTokens"], usage["totalTokens"]) == (0, 0, 0)


def test_finish_reasons() -> None:
    finishes = ["stop", "length", "tool_calls", "content_filter", "error", "other"]
    assert [raw_finish_reason("bedrock", f) for f in finishes] == [
        "end_turn",
        "max_tokens",
        "tool_use",
        "content_filtered",
        "malformed_model_output",
        "pause_turn",
    ]
    for finish in ("length", "content_filter"):
        events = _named(Scenario("f", text=("x",), finish=finish))
        assert events[-2] == ("messageStop", {"stopReason": raw_finish_reason("bedrock", finish)})


@pytest.mark.parametrize(
    ("kind", "exception_type"),
    [
        ("rate_limit", "throttlingException"),
        ("overloaded", "serviceUnavailableException"),
        ("server", "internalServerException"),
        ("invalid_request", "validationException"),
    ],
)
def test_an_in_stream_error_is_an_exception_message(kind: ErrorKind, exception_type: str) -> None:
    scenario = Scenario("e", text=("a", "b", "c"), error=StreamError(kind, after_events=2))
    decoded = _decoded(scenario)
    headers, payload = decoded[-1]
    assert headers == {
        ":exception-type": exception_type,
        ":content-type": "application/json",
        ":message-type": "exception",
    }
    assert payload == {"message": EXCEPTIONS[kind][1]}
    texts = [p["delta"]["text"] for h, p in decoded if h.get(":event-type") == "contentBlockDelta"]
    assert texts == ["a", "b"]
    assert not any(h.get(":event-type") in ("messageStop", "metadata") for h, _ in decoded)
    told = Scenario("e", text=("a",), error=StreamError(kind, "slow down", after_events=1))
    assert _decoded(told)[-1][1] == {"message": "slow down"}


def test_unknown_events_and_fields_are_named_for_the_emulator() -> None:
    events = _named(builtin("unknown-events"))
    assert any(name == "emulatorUnknownEvent" for name, _ in events)
    deltas = [e for n, e in events if n == "contentBlockDelta"]
    assert deltas[0]["emulatorField"] == "ignore me"
    assert all("emulatorField" not in d for d in deltas[1:])

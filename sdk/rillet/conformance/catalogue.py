"""The catalogue: every case every adapter must pass, on every wire it speaks.

``conformance/README.md`` at the repository root lists the same cases for people (a test keeps
the two in step). The scenarios here are the conformance cases only; the emulator's own
``BUILTIN_SCENARIOS`` are for pointing other clients at it.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Sequence
from typing import Any

from rillet._exceptions import (
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    OverloadedError,
    RateLimitError,
    StreamInterruptedError,
)
from rillet.conformance.cases import CONNECT_TIMEOUT, Case, FaultAt, Pace
from rillet.conformance.conversations import CONVERSATION_CASES
from rillet.conformance.outputs import OUTPUT_CASES
from rillet.emulator import WIRES, Faults, Scenario, StreamError, ToolCallSpec
from rillet.transport import Timeout

__all__ = ["CASES", "select"]


def _cut_inside(raw: str, *fragments: str) -> tuple[int, ...]:
    """Offsets in the middle of the first occurrence of each fragment of ``raw``."""
    cuts = []
    for fragment in fragments:
        start = raw.index(fragment)
        cuts.append(start + max(1, len(fragment) // 2))
    return tuple(sorted(cuts))


_WEATHER_RAW = (
    '{"city":"Z\\u00fcrich \\"Old Town\\"","unit":"celsius","days":3,'
    '"coords":[47.3769,-8.5417],"note":"smile \\ud83d\\ude00\\ttab","ok":true,"none":null}'
)
_WEATHER_ARGS: dict[str, Any] = json.loads(_WEATHER_RAW)

WEATHER = ToolCallSpec(
    name="get_weather",
    arguments=_WEATHER_ARGS,
    id="call_weather_1",
    raw_arguments=_WEATHER_RAW,
    # inside an escape, between a backslash and its quote, between and inside the halves of a
    # surrogate pair, inside numbers and a literal
    splits=_cut_inside(
        _WEATHER_RAW,
        '{"',
        "\\u00fc",
        '\\"O',
        "\\ud83d\\ude00",
        "\\ude00",
        "47.3769",
        "-8.5417",
        "true",
    ),
)
CLOCK = ToolCallSpec(
    name="get_time",
    arguments={"timezone": "Europe/Zürich", "format": "24h"},
    id="call_time_2",
    splits=(1, 5, 13, 20),
)
NOOP = ToolCallSpec(name="refresh", arguments={}, id="call_refresh_3")

TEXT = ("Hello", ", wor", "ld! ", "Grüße, ", "日本", "語 🙂.")
FAULT_TEXT = ("alpha ", "beta ", "gamma ", "delta ", "epsilon.")
"""Faults are placed at "gamma": the partial response must hold "alpha beta "."""
STALL_IDLE = 0.25


def _text_case(name: str, description: str, **scenario: Any) -> Case:
    return Case(name, description, Scenario(name, text=TEXT, **scenario))


def _fault_case(name: str, description: str, kind: Any, error: Any, **options: Any) -> Case:
    return Case(
        name,
        description,
        Scenario(name, text=FAULT_TEXT),
        error=error,
        fault_at=FaultAt(kind, "gamma"),
        cassette=False,
        **options,
    )


CASES: tuple[Case, ...] = (
    _text_case("text", "text in several deltas, non-ASCII included"),
    Case(
        "no-usage",
        "text without usage where the provider may leave it out (Anthropic never does)",
        Scenario("no-usage", text=TEXT, usage=None),
        wires=tuple(wire for wire in WIRES if wire != "anthropic"),
    ),
    Case("empty", "a response with no content at all", Scenario("empty")),
    Case(
        "reasoning",
        "thinking deltas and their signature, then text",
        Scenario(
            "reasoning",
            reasoning=("Let me think", " about the ", "answer."),
            reasoning_signature="c2lnLTdmM2E5Yw==",  # base64, as every provider sends it
            text=("The answer", " is 42."),
        ),
    ),
    Case(
        "tool-call",
        "one tool call, arguments cut inside escapes, surrogate pairs and numbers",
        Scenario("tool-call", tool_calls=(WEATHER,), finish="tool_calls"),
    ),
    Case(
        "parallel-tool-calls",
        "three tool calls in one turn, one without arguments",
        Scenario("parallel-tool-calls", tool_calls=(WEATHER, CLOCK, NOOP), finish="tool_calls"),
    ),
    Case(
        "streamed-tool-arguments",
        "Gemini 3 streamed arguments: partialArgs at JSON paths, strings in pieces",
        Scenario(
            "streamed-tool-arguments",
            tool_calls=(WEATHER, CLOCK, NOOP),
            finish="tool_calls",
            streamed_arguments=True,
        ),
        wires=("gemini", "gemini-json"),
    ),
    Case(
        "text-and-tool-call",
        "text, then a tool call",
        Scenario(
            "text-and-tool-call",
            text=("Let me check", " the time."),
            tool_calls=(CLOCK,),
            finish="tool_calls",
        ),
    ),
    _text_case("finish-length", "the output hit the token limit", finish="length"),
    _text_case(
        "finish-content-filter", "the provider filtered the output", finish="content_filter"
    ),
    Case(
        "unknown-events",
        "unknown event types and fields are skipped",
        Scenario(
            "unknown-events",
            text=TEXT,
            tool_calls=(CLOCK,),
            finish="tool_calls",
            faults=Faults(unknown_events=True),
        ),
    ),
    _text_case("huge-event", "one event of 80 kB", faults=Faults(huge_event_bytes=80_000)),
    _text_case("drip", "the body arrives one byte at a time", faults=Faults(chunks="drip")),
    _text_case(
        "retry-statuses",
        "two retryable error statuses with Retry-After, then the stream",
        faults=Faults(statuses=(503, 429), retry_after="0"),
    ),
    Case(
        "retry-exhausted",
        "429 on every attempt: the typed error once retries run out",
        Scenario(
            "retry-exhausted", text=TEXT, faults=Faults(statuses=(429, 429, 429), retry_after_ms=1)
        ),
        error=RateLimitError,
        max_retries=1,
    ),
    Case(
        "auth-error",
        "a wrong key gets the provider's own error (Gemini: 400 API_KEY_INVALID), not retried",
        Scenario("auth-error", text=TEXT),
        error=AuthenticationError,
        api_key="wrong-key",
    ),
    Case(
        "unknown-model",
        "an unknown model gets the provider's own 404",
        Scenario("unknown-model", text=TEXT),
        error=NotFoundError,
        model="no-such-model",
        wires=tuple(wire for wire in WIRES if wire != "bedrock"),
    ),
    Case(
        "unknown-model-id",
        "Bedrock: an unknown model id with its provider prefix gets a 404 "
        "ResourceNotFoundException",
        Scenario("unknown-model-id", text=TEXT),
        error=NotFoundError,
        model="anthropic.no-such-model-v1",
        wires=("bedrock",),
    ),
    Case(
        "invalid-model-id",
        "Bedrock: a model id without a provider prefix is refused with a 400 "
        "ValidationException, as the real service answers it",
        Scenario("invalid-model-id", text=TEXT),
        error=BadRequestError,
        model="no-such-model",
        wires=("bedrock",),
    ),
    Case(
        "in-stream-error",
        "an overloaded error inside the 200 stream, after two text deltas",
        Scenario(
            "in-stream-error", text=FAULT_TEXT, error=StreamError("overloaded", after_events=2)
        ),
        error=OverloadedError,
    ),
    _fault_case(
        "reset",
        "TCP reset after the first bytes: raised, not retried",
        "reset",
        StreamInterruptedError,
    ),
    _fault_case(
        "truncated", "the body ends without its terminal event", "truncate", StreamInterruptedError
    ),
    _fault_case(
        "stall",
        "the body stalls: the idle timeout fires",
        "stall",
        None,
        timeout=Timeout(connect=CONNECT_TIMEOUT, idle=STALL_IDLE),
    ),
    Case(
        "cancel",
        "the consumer leaves after the first chunk: the connection closes",
        Scenario("cancel", text=TEXT * 4),
        pace=Pace(),
        cancel_after=1,
        cassette=False,
    ),
    *OUTPUT_CASES,
    *CONVERSATION_CASES,
)


def select(patterns: Sequence[str], cases: Sequence[Case] = CASES) -> list[Case]:
    """The cases matching any pattern; all when there is none.

    A pattern is a case's exact name, an fnmatch pattern (``tool*``), or else a substring
    (``tool`` selects every case with tool in its name).
    """
    if not patterns:
        return list(cases)
    names = {case.name for case in cases}

    def matches(name: str, pattern: str) -> bool:
        if pattern in names:
            return name == pattern
        if any(char in pattern for char in "*?["):
            return fnmatch.fnmatchcase(name, pattern)
        return pattern in name

    return [case for case in cases if any(matches(case.name, p) for p in patterns)]

"""The built-in scenarios: what ``rillet emulator`` serves, each under its name as the model.

A varied set: plain and hostile text (combining marks, ZWJ emoji sequences and flags split
between code points), signed reasoning, one tool call, parallel tool calls whose argument text
is cut inside strings, escapes (``\\"``, ``\\u00e9``, ``\\\\``), a surrogate pair and numbers,
every finish reason, no usage, an in-stream overloaded error, unknown events and fields, a
huge event, and faults: error statuses then success, a stall, a reset, a truncation, a
1-byte drip.
"""

from __future__ import annotations

import base64
import hashlib

from rillet.emulator.scenario import Faults, Scenario, StreamError, ToolCallSpec

__all__ = ["BUILTIN_SCENARIOS", "builtin"]


def _cuts(text: str, *marks: tuple[str, int]) -> tuple[int, ...]:
    """Offsets into ``text``: each ``(substring, k)`` cuts ``k`` characters into ``substring``."""
    return tuple(text.index(sub) + k for sub, k in marks)


_ESCAPES = r'{"query":"say \"hi\" to caf\u00e9","limit":10}'
_SURROGATES = r'{"emoji":"\ud83d\ude00 ok","path":"C:\\temp\\x","n":-12.5e3}'
_NESTED = {"city": "Zürich 🏔️", "days": [1, 22, 333], "nested": {"deep": {"ok": True, "none": None}}}

WEATHER = ToolCallSpec(
    name="get_weather",
    arguments={"city": "Paris", "unit": "celsius"},
    splits=(1, 2, 9, 14, 20),
)
"""One ordinary tool call, its arguments in six pieces."""

PARALLEL = (
    ToolCallSpec(
        name="search",
        arguments={"query": 'say "hi" to café', "limit": 10},
        raw_arguments=_ESCAPES,
        splits=_cuts(_ESCAPES, ("query", 2), ('\\"hi', 1), ("\\u00e9", 4), ("10", 1)),
    ),
    ToolCallSpec(
        name="decode",
        arguments={"emoji": "😀 ok", "path": "C:\\temp\\x", "n": -12500.0},
        raw_arguments=_SURROGATES,
        splits=_cuts(
            _SURROGATES, ("\\ude00", 0), ("\\ude00", 3), ("\\\\temp", 1), ("-12", 2), ("e3", 1)
        ),
    ),
    ToolCallSpec(name="forecast", arguments=_NESTED, splits=(3, 12, 17, 30, 41, 60)),
    ToolCallSpec(name="now", arguments={}),
)
"""Four parallel calls with their argument text cut at hostile points."""

SIGNATURE = base64.b64encode(
    b"\x12\xa4\x01\n" + hashlib.sha256(b"rillet emulator signature").digest() * 3
).decode()
"""A reasoning signature (Anthropic) / thought signature (Gemini) / encrypted content: opaque
bytes in base64, as every provider sends them (Anthropic's start with ``EqQB``)."""

_TEXT = ("Hello", ", ", "world", "!")
_UNICODE = (
    "Caf",
    "e",
    "\u0301 au ",  # a combining acute accent apart from its letter
    "lait, ",
    "👨\u200d👩",  # a ZWJ family cut between its members
    "\u200d👧 family, ",
    "🇫",  # a flag cut between its two regional indicators
    "🇷 flag, ",
    "日本",
    "語 — “quotes” ok",
)

BUILTIN_SCENARIOS: tuple[Scenario, ...] = (
    Scenario("text-plain", text=_TEXT),
    Scenario("text-unicode", text=_UNICODE, usage=(7, 21)),
    Scenario(
        "reasoning-signed",
        reasoning=("Let me think", " about this… ", "carefully."),
        reasoning_signature=SIGNATURE,
        text=("The answer ", "is 42."),
        usage=(40, 80),
    ),
    Scenario("tool-call", tool_calls=(WEATHER,), finish="tool_calls", usage=(50, 20)),
    Scenario("tool-calls-parallel", tool_calls=PARALLEL, finish="tool_calls", usage=(90, 60)),
    Scenario(
        "reasoning-text-tools",
        reasoning=("Weather needs ", "a tool."),
        reasoning_signature=SIGNATURE,
        text=("Checking ", "the weather."),
        tool_calls=(WEATHER,),
        finish="tool_calls",
    ),
    Scenario("finish-length", text=("Cut ", "short"), finish="length", usage=(5, 2)),
    Scenario("finish-content-filter", text=("I can", "not"), finish="content_filter"),
    Scenario("finish-other", text=("Paused ", "here"), finish="other"),
    Scenario("finish-error", text=("Broken ", "call"), finish="error"),
    Scenario("no-usage", text=_TEXT, usage=None),
    Scenario(
        "error-overloaded",
        text=("one ", "two ", "three ", "four"),
        error=StreamError("overloaded", after_events=2),
    ),
    Scenario(
        "unknown-events",
        reasoning=("Skip ", "the unknown."),
        reasoning_signature=SIGNATURE,
        text=("Known ", "text"),
        tool_calls=(WEATHER,),
        finish="tool_calls",
        faults=Faults(unknown_events=True),
    ),
    Scenario(
        "huge-event",
        text=("big ", "event ", "survived"),
        faults=Faults(huge_event_bytes=1_000_000),
    ),
    Scenario(
        "retry-529",
        text=("after ", "a retry"),
        faults=Faults(statuses=(529,), retry_after="0"),
    ),
    Scenario(
        "retry-429-503",
        text=("after ", "two retries"),
        faults=Faults(statuses=(429, 503), retry_after="0", retry_after_ms=0),
    ),
    Scenario(
        "stall",
        text=("one ", "two ", "three"),
        faults=Faults(stall_after_events=2),
    ),
    Scenario("reset", text=("one ", "two ", "three"), faults=Faults(reset_after_events=2)),
    Scenario("truncate", text=("one ", "two ", "three"), faults=Faults(truncate_after_events=2)),
    Scenario(
        "drip",
        text=_UNICODE,
        tool_calls=(WEATHER,),
        finish="tool_calls",
        faults=Faults(chunks="drip"),
    ),
)


def builtin(name: str) -> Scenario:
    """The built-in scenario called ``name``."""
    for scenario in BUILTIN_SCENARIOS:
        if scenario.name == name:
            return scenario
    raise KeyError(name)

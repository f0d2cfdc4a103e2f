"""Where the recorded real provider streams are, for the tests that replay them.

They live outside the repository (never copied in), in the folder named by
``RILLET_REAL_STREAMS``, by default ``<repo>/../shared/real-streams``. Without them a test
fails under ``CI=true`` and skips elsewhere.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable, Iterable, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any, NoReturn

import pytest

from rillet import LLMResponse
from rillet.transport import Frame, JSONArrayDecoder, SSEDecoder

REPO = Path(__file__).resolve().parents[1]

Entry = dict[str, Any]

# index `api` -> the rillet provider name that reads it
PROVIDER_FOR_API = {
    "openai_chat": "openai",
    "openai_responses": "openai-responses",
    "anthropic": "anthropic",
    "gemini_json": "gemini",
}


def streams_dir() -> Path:
    if folder := os.environ.get("RILLET_REAL_STREAMS"):
        return Path(folder)
    return REPO.parent / "shared" / "real-streams"


def missing(what: str, hint: str = "set RILLET_REAL_STREAMS") -> NoReturn:
    """Fail on CI, where everything must be there; skip elsewhere."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} not found ({hint})")
    pytest.skip(f"{what} not found")


def entries(api: str | None = None) -> list[Entry]:
    """The index entries (of ``api`` when given); none when the folder is missing."""
    index = streams_dir() / "index.json"
    if not index.is_file():
        return []
    loaded: list[Entry] = json.loads(index.read_text(encoding="utf-8"))
    return [e for e in loaded if api is None or e["api"] == api]


def by_id(stream_id: str) -> Entry:
    """The entry of one stream; fails/skips when it is not there."""
    for entry in entries():
        if entry["id"] == stream_id:
            return entry
    missing(f"real stream {stream_id} in {streams_dir()}")


def as_params(found: Iterable[Entry], name: Callable[[Entry], str] | None = None) -> list[Any]:
    """pytest params, one per entry (by default named by its stream id), or one that fails/skips."""
    listed = [pytest.param(e, id=name(e) if name else e["id"]) for e in found]
    return listed or [pytest.param(None, id="no-real-streams")]


def params(api: str | None = None) -> list[Any]:
    """pytest params, one per stream (of ``api`` when given), or one that fails/skips."""
    return as_params(entries(api))


def body(entry: Entry | None) -> bytes:
    if entry is None:
        missing("the real streams folder")
    path: str = entry["body"]
    return (streams_dir() / path).read_bytes()


def frames(data: bytes, *, json_array: bool = False, cuts: Sequence[int] = ()) -> list[Frame]:
    """The frames of a body (a Gemini JSON array or SSE), fed in pieces cut at ``cuts``."""
    decoder = JSONArrayDecoder() if json_array else SSEDecoder()
    events: list[Frame] = []
    for start, end in pairwise([0, *cuts, len(data)]):
        events += decoder.feed(data[start:end])
    return events + decoder.flush()


def random_cuts(data: bytes, seed: str) -> list[int]:
    """Up to 40 places to cut ``data`` at, the same for the same seed."""
    rng = random.Random(seed)
    return sorted(rng.sample(range(1, len(data)), min(len(data) - 1, 40)))


def assert_agrees(response: LLMResponse, expected: dict[str, Any]) -> None:
    """The response reads as the official SDK read the same stream (the entry's ``expected``)."""
    usage, want_usage = response.usage, expected["usage"]
    got = {
        "text": response.text,
        "reasoning": response.reasoning,
        "tool_calls": [(c.name, c.arguments) for c in response.tool_calls],
        "finish_reason": response.provider_finish_reason,
        "usage": (usage.input_tokens, usage.output_tokens) if usage is not None else None,
    }
    want = {
        "text": expected["text"],
        "reasoning": expected["reasoning"],
        "tool_calls": [(c["name"], c["arguments"]) for c in expected["tool_calls"]],
        "finish_reason": expected["finish_reason"],
        "usage": (want_usage["input_tokens"], want_usage["output_tokens"]),
    }
    wrong = {key: (got[key], want[key]) for key in got if got[key] != want[key]}
    assert not wrong, f"not what the official SDK read (got, expected): {wrong}"

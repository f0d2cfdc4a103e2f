"""Where the recorded real provider streams are, for the tests that replay them.

They live outside the repository (never copied in), in the folder named by
``RILLET_REAL_STREAMS``, by default ``<repo>/../shared/real-streams``. Without them a test
fails under ``CI=true`` and skips elsewhere.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, NoReturn

import pytest

REPO = Path(__file__).resolve().parents[1]

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


def missing(what: str) -> NoReturn:
    """Fail on CI, where everything must be there; skip elsewhere."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} not found (set RILLET_REAL_STREAMS)")
    pytest.skip(f"{what} not found")


def entries() -> list[dict[str, Any]]:
    index = streams_dir() / "index.json"
    if not index.is_file():
        return []
    loaded: list[dict[str, Any]] = json.loads(index.read_text(encoding="utf-8"))
    return loaded


def params(api: str | None = None) -> list[Any]:
    """pytest params, one per stream (of ``api`` when given), or one that fails/skips."""
    found = [pytest.param(e, id=e["id"]) for e in entries() if api is None or e["api"] == api]
    return found or [pytest.param(None, id="no-real-streams")]


def body(entry: dict[str, Any] | None) -> bytes:
    if entry is None:
        missing("the real streams folder")
    path: str = entry["body"]
    return (streams_dir() / path).read_bytes()

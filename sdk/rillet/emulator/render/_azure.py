"""Azure OpenAI's Chat Completions stream: OpenAI's, with Azure's content filter in it.

Azure opens with a chunk of its own (empty ``choices``, ``id``, ``model`` and ``object``,
``created: 0``, the prompt's ``prompt_filter_results``), and puts ``content_filter_results`` on
every choice: an empty object on the role chunk, every category ``safe`` on content chunks, and
on a ``content_filter`` finish the category that stopped the answer (``filtered: true``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rillet.emulator.render import _openai_chat
from rillet.emulator.render._events import Event
from rillet.emulator.scenario import Scenario

__all__ = ["CATEGORIES", "FILTERED", "events"]

CATEGORIES = ("hate", "self_harm", "sexual", "violence")
FILTERED = "violence"
"""The category a ``content_filter`` scenario is stopped by."""


def _verdicts(filtered: str | None = None) -> dict[str, Any]:
    return {
        name: (
            {"filtered": True, "severity": "medium"}
            if name == filtered
            else {"filtered": False, "severity": "safe"}
        )
        for name in CATEGORIES
    }


def events(scenario: Scenario) -> list[Event]:
    opening = Event(
        {
            "choices": [],
            "created": 0,
            "id": "",
            "model": "",
            "object": "",
            "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": _verdicts()}],
        }
    )
    return [opening, *(_with_verdicts(event) for event in _openai_chat.events(scenario))]


def _with_verdicts(event: Event) -> Event:
    data = event.data
    if not isinstance(data, dict) or not data.get("choices"):
        return event
    choices: Sequence[dict[str, Any]] = data["choices"]
    marked = []
    for choice in choices:
        if choice.get("finish_reason") == "content_filter":
            verdict = _verdicts(FILTERED)
        elif choice.get("delta", {}).get("role"):
            verdict = {}
        else:
            verdict = _verdicts()
        marked.append({**choice, "content_filter_results": verdict})
    return Event(
        {**data, "choices": marked},
        name=event.name,
        content=event.content,
        terminal=event.terminal,
        comment=event.comment,
    )

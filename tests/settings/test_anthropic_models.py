"""What rillet knows of Claude models, by name, as Anthropic and the cloud platforms write them."""

from __future__ import annotations

import pytest

from rillet.providers.anthropic._models import (
    ClaudeModel,
    claude_model,
    refuses_sampling,
    takes_effort,
    thinking_types,
)

ADAPTIVE = frozenset({"adaptive"})
BOTH = frozenset({"adaptive", "enabled"})
ENABLED = frozenset({"enabled"})


@pytest.mark.parametrize(
    ("name", "model"),
    [
        ("claude-opus-4-7", ClaudeModel("opus", (4, 7))),
        ("claude-opus-4-20250514", ClaudeModel("opus", (4, 0))),  # a date is no minor version
        ("claude-opus-4-1-20250805", ClaudeModel("opus", (4, 1))),
        ("claude-3-7-sonnet-20250219", ClaudeModel("sonnet", (3, 7))),
        ("anthropic.claude-opus-4-6-v1", ClaudeModel("opus", (4, 6))),
        ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", ClaudeModel("sonnet", (4, 5))),
        ("claude-sonnet-4-5@20250929", ClaudeModel("sonnet", (4, 5))),
        ("claude-mythos-preview", ClaudeModel("mythos", None)),
        ("Claude-Fable-5-1", ClaudeModel("fable", (5, 1))),
        ("gpt-4o", None),
        ("claude-2.1", None),
        ("claude-opus", None),  # no version: not known
        (None, None),
    ],
)
def test_names_are_read_as_family_and_version(name: str | None, model: ClaudeModel | None) -> None:
    assert claude_model(name) == model


NEWEST = [
    "claude-opus-4-7",
    "claude-opus-5",
    "claude-sonnet-5",
    "claude-mythos-preview",
    "claude-fable-5",
]
BUDGET_ONLY = [
    "claude-opus-4-5-20251101",
    "claude-sonnet-4-5",
    "claude-haiku-4-5",
    "claude-opus-4-1",
]
OLDER = ["claude-opus-4-6", "claude-sonnet-4-6", *BUDGET_ONLY, "claude-3-7-sonnet-latest"]
UNKNOWN = ["claude-haiku-5", "some-local-model"]  # nothing is refused for these


def test_sampling_is_refused_by_the_newest_models_only() -> None:
    assert [refuses_sampling(name) for name in NEWEST] == [True] * len(NEWEST)
    assert not any(refuses_sampling(name) for name in [*OLDER, "claude-3-5-haiku-latest", *UNKNOWN])


def test_thinking_types_by_model() -> None:
    assert {name: thinking_types(name) for name in NEWEST} == dict.fromkeys(NEWEST, ADAPTIVE)
    assert thinking_types("claude-opus-4-6") == thinking_types("claude-sonnet-4-6") == BOTH
    budget_only = [*BUDGET_ONLY, "claude-3-7-sonnet-latest"]
    assert {name: thinking_types(name) for name in budget_only} == dict.fromkeys(
        budget_only, ENABLED
    )
    assert [thinking_types(name) for name in ["claude-3-5-haiku-latest", *UNKNOWN]] == [None] * 3


def test_effort_by_model() -> None:
    takes = [*NEWEST, "claude-opus-4-6", "claude-sonnet-4-6", "claude-opus-4-5-20251101"]
    refuses = [
        "claude-sonnet-4-5",
        "claude-haiku-4-5",
        "claude-opus-4-1",
        "claude-3-7-sonnet-latest",
    ]
    assert [takes_effort(name) for name in takes] == [True] * len(takes)
    assert [takes_effort(name) for name in refuses] == [False] * len(refuses)
    assert [takes_effort(name) for name in UNKNOWN] == [None, None]

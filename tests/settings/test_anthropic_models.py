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


@pytest.mark.parametrize(
    ("name", "sampling_refused", "types", "effort"),
    [
        ("claude-opus-4-7", True, ADAPTIVE, True),
        ("claude-opus-5", True, ADAPTIVE, True),
        ("claude-sonnet-5", True, ADAPTIVE, True),
        ("claude-mythos-preview", True, ADAPTIVE, True),
        ("claude-fable-5", True, ADAPTIVE, True),
        ("claude-opus-4-6", False, BOTH, True),
        ("claude-sonnet-4-6", False, BOTH, True),
        ("claude-opus-4-5-20251101", False, ENABLED, True),
        ("claude-sonnet-4-5", False, ENABLED, False),
        ("claude-haiku-4-5", False, ENABLED, False),
        ("claude-opus-4-1", False, ENABLED, False),
        ("claude-3-7-sonnet-latest", False, ENABLED, False),
        ("claude-3-5-haiku-latest", False, None, False),
        ("claude-haiku-5", False, None, None),  # not known yet: nothing refused
        ("some-local-model", False, None, None),
    ],
)
def test_model_rules_by_name(
    name: str, sampling_refused: bool, types: frozenset[str] | None, effort: bool | None
) -> None:
    assert refuses_sampling(name) is sampling_refused
    assert thinking_types(name) == types
    assert takes_effort(name) is effort

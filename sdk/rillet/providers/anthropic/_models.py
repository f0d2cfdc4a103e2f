"""What rillet knows about Claude models' request rules, by model name: pure functions.

Sources: Anthropic's adaptive thinking, effort and extended thinking pages
(platform.claude.com/docs/en/build-with-claude/adaptive-thinking, .../effort,
.../extended-thinking) and the 400s the models answer. A name rillet cannot read (another
vendor's model behind an Anthropic-compatible server, a future family) gets ``None``: unknown,
so nothing is fixed up or refused for it and the API's answer speaks.

Names come as Anthropic writes them (``claude-opus-4-7``, ``claude-sonnet-4-5-20250929``,
``claude-3-7-sonnet-latest``), or as cloud platforms do (``anthropic.claude-opus-4-6-v1``,
``us.anthropic.claude-...``, ``claude-sonnet-4-5@20250929``).
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["ClaudeModel", "claude_model", "refuses_sampling", "takes_effort", "thinking_types"]

# The family after the version (claude-3-7-sonnet) or before it (claude-opus-4-1); a minor
# version is one or two digits, so a trailing date (-20250514) is not one.
_NAME = re.compile(
    r"claude-(?:(?P<major_first>\d+)(?:-(?P<minor_first>\d{1,2}))?-(?P<family_last>[a-z]+)"
    r"|(?P<family>[a-z]+)(?:-(?P<major>\d+)(?:-(?P<minor>\d{1,2}))?)?)(?![\d])"
)
_FAMILIES = frozenset({"opus", "sonnet", "haiku", "fable", "mythos"})
_NEW_FAMILIES = frozenset({"fable", "mythos"})  # every model of these has the newest rules


class ClaudeModel(NamedTuple):
    family: str
    version: tuple[int, int] | None  # None: no number (claude-mythos-preview)


def claude_model(name: str | None) -> ClaudeModel | None:
    """The family and version ``name`` names; None when it is no Claude model rillet reads."""
    match = _NAME.search((name or "").lower())
    if match is None:
        return None
    groups = match.groupdict()
    family = groups["family"] or groups["family_last"]
    major = groups["major"] or groups["major_first"]
    minor = groups["minor"] or groups["minor_first"]
    if family not in _FAMILIES or (major is None and family not in _NEW_FAMILIES):
        return None
    version = None if major is None else (int(major), int(minor or 0))
    return ClaudeModel(family, version)


def _newest_rules(model: ClaudeModel) -> bool:
    """Opus 4.7 and later, Sonnet 5 and later, Fable and Mythos: no sampling parameters, and
    adaptive thinking only."""
    if model.family in _NEW_FAMILIES:
        return True
    version = model.version or (0, 0)
    return (model.family == "opus" and version >= (4, 7)) or (
        model.family == "sonnet" and version >= (5, 0)
    )


def refuses_sampling(name: str | None) -> bool:
    """True when the model refuses ``temperature``, ``top_p`` and ``top_k`` altogether."""
    model = claude_model(name)
    return model is not None and _newest_rules(model)


def thinking_types(name: str | None) -> frozenset[str] | None:
    """The ``thinking.type`` values (of ``enabled``, ``adaptive``) the model takes when
    thinking; None: unknown."""
    model = claude_model(name)
    if model is None:
        return None
    if _newest_rules(model):
        return frozenset({"adaptive"})
    version = model.version or (0, 0)
    if model.family in ("opus", "sonnet") and version == (4, 6):
        return frozenset({"adaptive", "enabled"})
    if version >= (3, 7) and version < (4, 6):
        return frozenset({"enabled"})
    return None  # Claude 3.5 and older do not think; a newer haiku is not known yet


def takes_effort(name: str | None) -> bool | None:
    """Whether the model takes ``output_config.effort``; None: unknown."""
    model = claude_model(name)
    if model is None:
        return None
    if _newest_rules(model):
        return True
    version = model.version or (0, 0)
    if model.family == "opus":
        return version >= (4, 5)
    if model.family == "sonnet":
        return version >= (4, 6)
    return False if version <= (4, 5) else None

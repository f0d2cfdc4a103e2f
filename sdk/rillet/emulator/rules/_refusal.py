"""A rule's answer (``Refusal``), the rule type, and the lenient readers every rule uses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Refusal", "Rule", "indexed", "mapping"]


@dataclass(frozen=True)
class Refusal:
    """Why a provider answers 400, worded as that provider words it."""

    message: str
    param: str | None = None
    """OpenAI's ``param``: the field at fault (``messages.[3].role``, ``max_tokens``)."""
    code: str | None = None
    """OpenAI's ``code`` (``unsupported_parameter``, ...); None where OpenAI sends null."""


Rule = Callable[[dict[str, Any], str], "Refusal | None"]
"""``(body, model) -> Refusal | None``: one documented constraint of one provider."""


def indexed(value: object) -> list[tuple[int, dict[str, Any]]]:
    """The objects of a JSON array with their indexes (anything else skipped); [] for a
    non-array. Indexes stay those of the array: error messages name them."""
    if not isinstance(value, list):
        return []
    return [(index, item) for index, item in enumerate(value) if isinstance(item, dict)]


def mapping(value: object) -> dict[str, Any]:
    """A JSON object, or {} for anything else."""
    return value if isinstance(value, dict) else {}

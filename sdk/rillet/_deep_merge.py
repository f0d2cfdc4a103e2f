"""``deep_merge``: ``provider_options`` laid over a built request body, losing nothing.

Objects merge key by key, at every depth; anything else (a number, a string, a list, null)
replaces what was there. So ``{"generationConfig": {"responseMimeType": "application/json"}}``
adds one key to Gemini's ``generationConfig`` and keeps rillet's own ``maxOutputTokens`` and
``temperature`` beside it, while ``{"stop": ["a"]}`` or ``{"tools": [...]}`` replace the whole
list. Every adapter that sends a JSON body merges its ``provider_options`` this way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["deep_merge"]


def deep_merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """A new dict: ``base`` with ``extra`` laid over it; neither argument is changed."""
    merged = dict(base)
    for key, value in extra.items():
        current = merged.get(key)
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = value
    return merged

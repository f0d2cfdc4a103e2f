"""``ReasoningOptions`` -> Anthropic's ``thinking`` and ``output_config``.

- ``budget_tokens`` is manual extended thinking (``{"type": "enabled", "budget_tokens": n}``);
  ``adaptive`` is ``{"type": "adaptive"}``, where Claude decides how much to think. Neither
  given: a budget of ``DEFAULT_THINKING_BUDGET``, except on the models that take adaptive
  thinking only (Claude Opus 4.7 and later, ...), where no budget was asked for and adaptive
  keeps the meaning.
- ``effort`` is ``output_config.effort``, with either form.
- ``include_thoughts=False`` asks for the thinking text to be left out (``display: omitted``:
  signatures only); with adaptive thinking, whose default display differs by model, True asks
  for it (``summarized``).
"""

from __future__ import annotations

from typing import Any

from rillet.protocol import ReasoningOptions
from rillet.providers._unsupported import unsupported
from rillet.providers.anthropic._models import thinking_types

__all__ = ["DEFAULT_THINKING_BUDGET", "reasoning_settings"]

DEFAULT_THINKING_BUDGET = 1024  # the smallest budget Anthropic accepts


def reasoning_settings(
    options: ReasoningOptions, model: str | None, provider: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``thinking`` and ``output_config`` (empty: none) for ``options`` on ``model``."""
    if options.adaptive and options.budget_tokens is not None:
        raise unsupported(
            "reasoning.adaptive with reasoning.budget_tokens",
            provider,
            "adaptive thinking takes no budget; give one of them",
        )
    adaptive = options.adaptive or (
        options.budget_tokens is None and thinking_types(model) == frozenset({"adaptive"})
    )
    thinking: dict[str, Any]
    if adaptive:
        thinking = {"type": "adaptive"}
        if options.include_thoughts:
            thinking["display"] = "summarized"
    else:
        budget = options.budget_tokens or DEFAULT_THINKING_BUDGET
        thinking = {"type": "enabled", "budget_tokens": budget}
    if not options.include_thoughts:
        thinking["display"] = "omitted"
    output_config = {"effort": options.effort} if options.effort else {}
    return thinking, output_config

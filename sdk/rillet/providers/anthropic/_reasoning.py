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

from rillet._generated.wire_dicts import anthropic_request_schema as wire
from rillet.protocol import ReasoningOptions
from rillet.providers._unsupported import unsupported
from rillet.providers.anthropic._models import thinking_types

__all__ = ["DEFAULT_THINKING_BUDGET", "Thinking", "reasoning_settings"]

DEFAULT_THINKING_BUDGET = 1024  # the smallest budget Anthropic accepts


Thinking = wire.ThinkingEnabled | wire.ThinkingAdaptive


def reasoning_settings(
    options: ReasoningOptions, model: str | None, provider: str
) -> tuple[Thinking, wire.OutputConfig | None]:
    """The ``thinking`` and ``output_config`` (None: none) for ``options`` on ``model``."""
    if options.adaptive and options.budget_tokens is not None:
        raise unsupported(
            "reasoning.adaptive with reasoning.budget_tokens",
            provider,
            "adaptive thinking takes no budget; give one of them",
        )
    adaptive = options.adaptive or (
        options.budget_tokens is None and thinking_types(model) == frozenset({"adaptive"})
    )
    display = "summarized" if options.include_thoughts else "omitted"
    thinking: Thinking
    if adaptive:
        thinking = {"type": "adaptive", "display": display}
    else:
        budget = options.budget_tokens or DEFAULT_THINKING_BUDGET
        thinking = {"type": "enabled", "budget_tokens": budget}
        if not options.include_thoughts:
            thinking["display"] = "omitted"  # signatures only, no thinking text
    output_config: wire.OutputConfig | None = {"effort": options.effort} if options.effort else None
    return thinking, output_config

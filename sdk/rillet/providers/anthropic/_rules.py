"""``apply_model_rules``: an Anthropic body checked, before sending, against what the API is
known to refuse (https://platform.claude.com/docs/en/build-with-claude/extended-thinking,
.../adaptive-thinking, .../effort). It runs on the body as sent, ``provider_options`` merged
in, so a setting given either way is held to the same rules. A refusal is a
``ConfigurationError`` naming the setting and why; nothing here is a fix-up, because none of
these can be changed without changing what was asked for (the one that can, a budget at or
above ``max_tokens``, is fixed where the body is built).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rillet._exceptions import ConfigurationError
from rillet.providers.anthropic._models import refuses_sampling, takes_effort, thinking_types

__all__ = ["apply_model_rules"]

_SAMPLING = ("temperature", "top_p", "top_k")
_MIN_BUDGET = 1024


def apply_model_rules(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` unchanged, or a ``ConfigurationError`` for the first rule it breaks."""
    model = body.get("model")
    if refuses_sampling(model):
        for name in _SAMPLING:
            if name in body:
                raise ConfigurationError(
                    f"{name} cannot be sent to {model}: Claude Opus 4.7 and later (and the "
                    "Sonnet 5, Fable and Mythos models) refuse temperature, top_p and top_k; "
                    "leave it out"
                )
    thinking = body.get("thinking")
    if isinstance(thinking, Mapping) and thinking.get("type") in ("enabled", "adaptive"):
        _check_thinking(body, thinking, model)
    output_config = body.get("output_config")
    if (
        isinstance(output_config, Mapping)
        and "effort" in output_config
        and takes_effort(model) is False
    ):
        raise ConfigurationError(
            f"reasoning.effort (output_config.effort) cannot be sent to {model}: only Claude "
            "Opus 4.5, Sonnet 4.6 and later take it; give reasoning.budget_tokens instead"
        )
    return body


def _check_thinking(body: dict[str, Any], thinking: Mapping[str, Any], model: Any) -> None:
    kind = thinking.get("type")
    temperature = body.get("temperature")
    if temperature is not None and temperature != 1:
        raise _with_thinking(f"temperature={temperature!r}", "leave temperature out, or 1")
    if "top_k" in body:
        raise _with_thinking("top_k", "leave it out")
    top_p = body.get("top_p")
    if isinstance(top_p, (int, float)) and not 0.95 <= top_p <= 1:
        raise _with_thinking(f"top_p={top_p!r}", "leave top_p out, or between 0.95 and 1")
    choice = body.get("tool_choice")
    if isinstance(choice, Mapping) and choice.get("type") in ("any", "tool"):
        raise _with_thinking(
            "tool_choice forcing a tool use", "use tool_choice auto or none with thinking"
        )
    if kind == "enabled":
        budget = thinking.get("budget_tokens")
        max_tokens = body.get("max_tokens")
        if isinstance(budget, int) and budget < _MIN_BUDGET:
            raise ConfigurationError(
                f"reasoning.budget_tokens={budget} is below Anthropic's smallest thinking "
                f"budget, {_MIN_BUDGET}"
            )
        if isinstance(budget, int) and isinstance(max_tokens, int) and budget >= max_tokens:
            raise ConfigurationError(
                f"reasoning.budget_tokens={budget} must be below max_tokens={max_tokens}: "
                "Anthropic counts the thinking within max_tokens"
            )
    accepted = thinking_types(model)
    if accepted is not None and kind not in accepted:
        instead = (
            "give reasoning.adaptive=True (with effort) instead of budget_tokens"
            if kind == "enabled"
            else "give reasoning.budget_tokens instead of adaptive"
        )
        raise ConfigurationError(f"thinking type {kind!r} cannot be sent to {model}: {instead}")


def _with_thinking(setting: str, instead: str) -> ConfigurationError:
    return ConfigurationError(f"{setting} cannot be sent with Anthropic thinking on: {instead}")

"""Anthropic: a setting the chosen model is known to refuse is a ``ConfigurationError`` before
sending; ``effort`` and adaptive thinking are expressible through ``ReasoningOptions``; a model
rillet does not know is sent as given."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rillet import ConfigurationError, LLMRequest
from rillet.protocol import UserMessage
from rillet.providers.anthropic import AnthropicAdapter


def _sent(model: str, **fields: Any) -> dict[str, Any]:
    request = LLMRequest(model=model, messages=[UserMessage(role="user", content="hi")], **fields)
    body: dict[str, Any] = json.loads(AnthropicAdapter(api_key="k").encode(request))
    return body


@pytest.mark.parametrize("model", ["claude-opus-4-7", "claude-mythos-preview", "claude-fable-5"])
@pytest.mark.parametrize(
    "fields",
    [{"temperature": 1.0}, {"top_p": 0.9}, {"provider_options": {"top_k": 5}}],
)
def test_sampling_parameters_are_refused_on_the_newest_models(
    model: str, fields: dict[str, Any]
) -> None:
    name = next(iter(fields.get("provider_options", fields)))
    with pytest.raises(ConfigurationError, match=rf"^{name} cannot be sent to {model}: "):
        _sent(model, **fields)


def test_sampling_parameters_still_go_to_older_and_unknown_models() -> None:
    for model in ("claude-opus-4-6", "claude-sonnet-4-5", "my-local-claude"):
        body = _sent(model, temperature=0.3, top_p=0.5, provider_options={"top_k": 5})
        assert (body["temperature"], body["top_p"], body["top_k"]) == (0.3, 0.5, 5)


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"temperature": 0.5}, "temperature=0.5 cannot be sent with Anthropic thinking on"),
        ({"provider_options": {"top_k": 5}}, "top_k cannot be sent with Anthropic thinking on"),
        ({"top_p": 0.5}, "top_p=0.5 cannot be sent with Anthropic thinking on"),
        ({"tool_choice": "required"}, "tool_choice forcing a tool use cannot be sent with"),
        ({"reasoning": {"budget_tokens": 1000}}, "budget_tokens=1000 is below"),
        (
            {"reasoning": {"budget_tokens": 2000}, "provider_options": {"max_tokens": 2000}},
            "budget_tokens=2000 must be below max_tokens=2000",
        ),
    ],
)
def test_thinking_refuses_what_anthropic_refuses_with_it(
    fields: dict[str, Any], named: str
) -> None:
    fields.setdefault("reasoning", {})
    tools = [{"name": "t", "parameters": {"type": "object"}}]
    with pytest.raises(ConfigurationError, match=named):
        _sent("claude-sonnet-4-5", tools=tools, **fields)


def test_thinking_takes_temperature_one_and_top_p_near_one() -> None:
    body = _sent("claude-sonnet-4-5", reasoning={}, temperature=1.0, top_p=0.95)
    assert (body["temperature"], body["top_p"]) == (1.0, 0.95)
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 1024}


def test_effort_and_adaptive_thinking_through_reasoning_options() -> None:
    body = _sent("claude-opus-4-6", reasoning={"adaptive": True, "effort": "max"})
    assert body["thinking"] == {"type": "adaptive", "display": "summarized"}
    assert body["output_config"] == {"effort": "max"}
    quiet = _sent("claude-opus-4-6", reasoning={"adaptive": True, "include_thoughts": False})
    assert quiet["thinking"] == {"type": "adaptive", "display": "omitted"}
    assert "output_config" not in quiet
    budget = _sent("claude-opus-4-5", reasoning={"budget_tokens": 2048, "effort": "low"})
    assert budget["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert budget["output_config"] == {"effort": "low"}


def test_effort_merges_with_a_structured_output_format() -> None:
    schema = {"type": "json_schema", "schema": {"type": "object"}}
    body = _sent(
        "claude-opus-4-7",
        reasoning={"effort": "high"},
        provider_options={"output_config": {"format": schema}},
    )
    assert body["output_config"] == {"effort": "high", "format": schema}


def test_a_model_that_thinks_adaptively_only_gets_adaptive_thinking_when_no_budget_is_asked() -> (
    None
):
    body = _sent("claude-opus-4-7", reasoning={"effort": "high"})
    assert body["thinking"] == {"type": "adaptive", "display": "summarized"}
    with pytest.raises(ConfigurationError, match="thinking type 'enabled' cannot be sent to"):
        _sent("claude-opus-4-7", reasoning={"budget_tokens": 2048})


def test_adaptive_thinking_is_refused_where_only_a_budget_is_taken() -> None:
    with pytest.raises(ConfigurationError, match="thinking type 'adaptive' cannot be sent to"):
        _sent("claude-sonnet-4-5", reasoning={"adaptive": True})


def test_effort_is_refused_where_the_model_does_not_take_it() -> None:
    with pytest.raises(ConfigurationError, match=r"^reasoning.effort .* cannot be sent to"):
        _sent("claude-haiku-4-5", reasoning={"effort": "low"})


def test_adaptive_with_a_budget_is_a_contradiction() -> None:
    with pytest.raises(
        ConfigurationError, match=r"reasoning.adaptive with reasoning.budget_tokens"
    ):
        _sent("claude-opus-4-6", reasoning={"adaptive": True, "budget_tokens": 2048})


def test_a_model_rillet_does_not_know_is_sent_as_given() -> None:
    body = _sent("vendor-x", reasoning={"budget_tokens": 2048, "effort": "low"}, temperature=1.0)
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert body["output_config"] == {"effort": "low"}

"""``ReasoningOptions.adaptive`` on the providers other than Anthropic (tests/settings/
test_anthropic_rules.py has Anthropic's): dynamic thinking where the API has a word for it."""

from __future__ import annotations

from typing import Any

import pytest

from rillet import ConfigurationError, LLMRequest
from rillet.protocol import ReasoningOptions, UserMessage
from rillet.providers.gemini._request import build_body as gemini_body
from rillet.providers.openai_chat._request import build_body as chat_body
from rillet.providers.openai_responses._request import build_body as responses_body


def _request(reasoning: dict[str, Any]) -> LLMRequest:
    return LLMRequest(
        model="m",
        messages=[UserMessage(role="user", content="hi")],
        reasoning=ReasoningOptions(**reasoning),
    )


def test_gemini_adaptive_thinking_is_a_dynamic_budget() -> None:
    body = gemini_body(_request({"adaptive": True}))
    assert body["generationConfig"]["thinkingConfig"] == {
        "includeThoughts": True,
        "thinkingBudget": -1,
    }
    levelled = gemini_body(_request({"adaptive": True, "effort": "high"}))
    assert levelled["generationConfig"]["thinkingConfig"] == {
        "includeThoughts": True,
        "thinkingLevel": "high",
    }
    with pytest.raises(ConfigurationError, match=r"^reasoning\.adaptive with reasoning\.budget"):
        gemini_body(_request({"adaptive": True, "budget_tokens": 512}))


def test_openai_reasoning_is_adaptive_already() -> None:
    chat = chat_body(_request({"adaptive": True, "effort": "low"}), max_tokens_field="max_tokens")
    assert chat["reasoning_effort"] == "low"
    responses = responses_body(_request({"adaptive": True, "effort": "low"}))
    assert responses["reasoning"] == {"effort": "low", "summary": "auto"}

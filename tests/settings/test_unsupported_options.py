"""A neutral setting a provider cannot express is a ``ConfigurationError`` naming the setting
and the provider, raised before anything is sent: never dropped with a log line."""

from __future__ import annotations

from typing import Any

import pytest

from rillet import APIConnectionError, ConfigurationError, LLMClient

# Nothing listens here: a request that went out would fail as a connection error instead.
_NOWHERE = "http://127.0.0.1:9/v1"


@pytest.mark.parametrize(
    ("provider", "fields", "option"),
    [
        ("openai-responses", {"stop": ["END"]}, "stop"),
        ("openai-responses", {"reasoning": {"budget_tokens": 2048}}, "reasoning.budget_tokens"),
        (
            "openai-responses",
            {"reasoning": {"effort": "low", "budget_tokens": 2048}},
            "reasoning.budget_tokens",
        ),
        ("openai", {"reasoning": {"budget_tokens": 2048}}, "reasoning.budget_tokens"),
        (
            "gemini",
            {"reasoning": {"effort": "low", "budget_tokens": 2048}},
            "reasoning.effort with reasoning.budget_tokens",
        ),
    ],
)
async def test_an_inexpressible_setting_is_refused_before_sending(
    provider: str, fields: dict[str, Any], option: str
) -> None:
    async with LLMClient(provider=provider, model="m", api_key="k", base_url=_NOWHERE) as client:
        with pytest.raises(ConfigurationError) as error:
            await client.call("hi", **fields)
    message = str(error.value)
    assert message.startswith(f"{option} cannot be sent to provider {provider!r}: ")


@pytest.mark.parametrize(
    ("provider", "fields"),
    [
        ("openai-responses", {"reasoning": {"effort": "low"}}),
        ("openai", {"reasoning": {"effort": "low"}, "stop": ["END"]}),
        ("gemini", {"reasoning": {"budget_tokens": 2048}, "stop": ["END"]}),
        ("gemini", {"reasoning": {"effort": "low"}}),
    ],
)
async def test_what_the_provider_expresses_goes_out(provider: str, fields: dict[str, Any]) -> None:
    async with LLMClient(provider=provider, model="m", api_key="k", base_url=_NOWHERE) as client:
        with pytest.raises(APIConnectionError):  # it was sent
            await client.call("hi", max_retries=0, **fields)

"""An unknown adapter option, given to the adapter class or through ``LLMClient(options=...)``,
is a ``ConfigurationError`` naming it and every accepted one; never Python's raw ``TypeError``.
The ``type: ignore`` comments show mypy still checks the constructors' keywords where they are
spelt out (an unused one would be reported under ``--strict``)."""

from __future__ import annotations

from typing import Any

import pytest

from rillet import ConfigurationError, LLMClient
from rillet.providers.anthropic import AnthropicAdapter
from rillet.providers.gemini import GeminiAdapter
from rillet.providers.openai_chat import OpenAIChatAdapter
from rillet.providers.openai_responses import OpenAIResponsesAdapter


def test_a_misspelt_constructor_option_names_the_accepted_ones() -> None:
    with pytest.raises(ConfigurationError) as error:
        AnthropicAdapter(api_key="k", anthropic_betaa="x")
    assert str(error.value) == (
        "unknown option 'anthropic_betaa' for provider 'anthropic'; accepted: anthropic_beta, "
        "anthropic_version, api_key, base_url, eager_input_streaming, headers, max_retries, "
        "model, session, timeout, transport"
    )


@pytest.mark.parametrize(
    ("adapter", "own"),
    [
        (OpenAIChatAdapter, "headers"),
        (OpenAIResponsesAdapter, "headers"),
        (GeminiAdapter, "sse"),
    ],
)
def test_every_built_in_adapter_refuses_an_unknown_option(
    adapter: type[OpenAIChatAdapter | OpenAIResponsesAdapter | GeminiAdapter], own: str
) -> None:
    with pytest.raises(ConfigurationError, match=rf"^unknown option 'max_retry' .*\b{own}\b"):
        adapter(api_key="k", max_retry=3)  # type: ignore[call-arg]


def test_positional_arguments_are_refused_by_name() -> None:
    with pytest.raises(ConfigurationError, match="OpenAIChatAdapter takes keyword arguments only"):
        OpenAIChatAdapter("k")  # type: ignore[call-arg]


def test_the_client_option_route_says_which_arguments_are_its_own() -> None:
    with pytest.raises(ConfigurationError, match=r"'api_key'.*LLMClient's own arguments"):
        LLMClient(provider="anthropic", api_key="k", options={"api_key": "other"})
    with pytest.raises(ConfigurationError, match="unknown option 'sse' for provider 'openai'"):
        LLMClient(provider="openai", api_key="k", options={"sse": False})


def test_known_options_still_configure_the_adapter() -> None:
    adapter = GeminiAdapter(api_key="k", sse=False, model="g")
    assert (adapter.sse, adapter.model) == (False, "g")
    client = LLMClient(provider="anthropic", api_key="k", options={"anthropic_beta": "b1"})
    assert client.adapter.headers("k")["anthropic-beta"] == "b1"  # type: ignore[attr-defined]


def test_client_settings_that_only_configure_a_built_adapter_are_refused_with_an_adapter() -> None:
    adapter = OpenAIChatAdapter(api_key="k")
    settings: list[dict[str, Any]] = [
        {"api_key": "other"},
        {"base_url": "https://x.example"},
        {"options": {}},
    ]
    for given in settings:
        with pytest.raises(ConfigurationError, match="cannot be used with an adapter given"):
            LLMClient(adapter, **given)
    assert LLMClient(adapter, model="m", timeout=5, max_retries=1).adapter is adapter

"""OpenAI's reasoning models at OpenAI itself: ``max_tokens`` becomes ``max_completion_tokens``
(same meaning), a sampling parameter other than 1 is a ``ConfigurationError`` before sending;
compatible servers and models rillet does not know get the body as given."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rillet import ConfigurationError, LLMRequest
from rillet.protocol import UserMessage
from rillet.providers._openai_models import at_openai, is_reasoning_model
from rillet.providers.openai_chat import OpenAIChatAdapter
from rillet.providers.openai_responses import OpenAIResponsesAdapter

_COMPATIBLE = "https://api.groq.com/openai/v1"


def _sent(
    adapter: OpenAIChatAdapter | OpenAIResponsesAdapter, model: str, **fields: Any
) -> dict[str, Any]:
    request = LLMRequest(model=model, messages=[UserMessage(role="user", content="hi")], **fields)
    body: dict[str, Any] = json.loads(adapter.encode(request))
    return body


@pytest.mark.parametrize(
    ("model", "reasoning"),
    [
        ("o1", True),
        ("o3-mini", True),
        ("o4-mini-2025-04-16", True),
        ("ft:o4-mini:acme::abc", True),
        ("gpt-5", True),
        ("gpt-5-nano", True),
        ("gpt-5.2", True),
        ("gpt-5-chat-latest", False),
        ("gpt-4o", False),
        ("gpt-4.1-mini", False),
        ("omni-moderation-latest", False),
        ("gpt-50", False),
        (None, False),
    ],
)
def test_reasoning_models_by_name(model: str | None, reasoning: bool) -> None:
    assert is_reasoning_model(model) is reasoning


def test_only_openais_own_host_counts() -> None:
    assert at_openai("https://api.openai.com/v1")
    assert at_openai("https://API.openai.com/v1?x=1")
    assert not at_openai(_COMPATIBLE)
    assert not at_openai("https://proxy.example/api.openai.com/v1")
    assert not at_openai("https://api.openai.com.evil.example/v1")


def test_chat_max_tokens_is_renamed_for_a_reasoning_model_at_openai() -> None:
    chat = OpenAIChatAdapter(api_key="k")
    body = _sent(chat, "o3", provider_options={"max_tokens": 50})
    assert body["max_completion_tokens"] == 50
    assert "max_tokens" not in body
    assert _sent(chat, "o3", max_tokens=50)["max_completion_tokens"] == 50
    with pytest.raises(ConfigurationError, match="max_tokens=50 and max_completion_tokens=60"):
        _sent(chat, "o3", max_tokens=60, provider_options={"max_tokens": 50})


@pytest.mark.parametrize("adapter_class", [OpenAIChatAdapter, OpenAIResponsesAdapter])
@pytest.mark.parametrize("fields", [{"temperature": 0.2}, {"top_p": 0.5}])
def test_sampling_is_refused_for_a_reasoning_model_at_openai(
    adapter_class: type[OpenAIChatAdapter | OpenAIResponsesAdapter], fields: dict[str, Any]
) -> None:
    name, value = next(iter(fields.items()))
    with pytest.raises(ConfigurationError, match=rf"^{name}={value} cannot be sent to gpt-5 at"):
        _sent(adapter_class(api_key="k"), "gpt-5", **fields)


@pytest.mark.parametrize("adapter_class", [OpenAIChatAdapter, OpenAIResponsesAdapter])
def test_what_reasoning_models_take_goes_out(
    adapter_class: type[OpenAIChatAdapter | OpenAIResponsesAdapter],
) -> None:
    at_openai = adapter_class(api_key="k")
    assert _sent(at_openai, "o3", temperature=1.0)["temperature"] == 1.0
    assert _sent(at_openai, "gpt-4o", temperature=0.2)["temperature"] == 0.2
    assert _sent(at_openai, "gpt-5-chat-latest", top_p=0.5)["top_p"] == 0.5
    # GPT-5.1 and later sample freely with reasoning effort none.
    body = _sent(at_openai, "gpt-5.2", temperature=0.2, reasoning={"effort": "none"})
    assert body["temperature"] == 0.2
    with pytest.raises(ConfigurationError):
        _sent(at_openai, "gpt-5", temperature=0.2, reasoning={"effort": "none"})
    compatible = adapter_class(api_key="k", base_url=_COMPATIBLE)
    assert _sent(compatible, "o3", temperature=0.2)["temperature"] == 0.2


def test_compatible_servers_keep_max_tokens() -> None:
    body = _sent(OpenAIChatAdapter(api_key="k", base_url=_COMPATIBLE), "o3", max_tokens=50)
    assert body["max_tokens"] == 50
    assert "max_completion_tokens" not in body

"""``provider_options`` merge deep into the built body: objects key by key, anything else
replaces; so an extra key never wipes out rillet's own settings beside it."""

from __future__ import annotations

import json
from typing import Any

from rillet._deep_merge import deep_merge
from rillet.protocol import LLMRequest, UserMessage
from rillet.providers.anthropic import AnthropicAdapter
from rillet.providers.gemini import GeminiAdapter


def test_objects_merge_key_by_key_at_every_depth() -> None:
    base = {"a": {"b": {"c": 1, "d": 2}, "e": 3}, "f": 4}
    extra = {"a": {"b": {"c": 10, "x": 11}}, "g": 5}
    assert deep_merge(base, extra) == {
        "a": {"b": {"c": 10, "d": 2, "x": 11}, "e": 3},
        "f": 4,
        "g": 5,
    }


def test_anything_but_an_object_replaces() -> None:
    base: dict[str, Any] = {"list": [1, 2], "obj": {"k": 1}, "num": 1, "text": "t"}
    extra: dict[str, Any] = {"list": [3], "obj": None, "num": {"now": "object"}, "text": [1]}
    assert deep_merge(base, extra) == extra


def test_neither_argument_is_changed() -> None:
    base = {"a": {"b": 1}}
    extra = {"a": {"c": 2}}
    merged = deep_merge(base, extra)
    merged["a"]["d"] = 3
    assert base == {"a": {"b": 1}}
    assert extra == {"a": {"c": 2}}


def _sent(adapter: GeminiAdapter | AnthropicAdapter, **fields: Any) -> dict[str, Any]:
    request = LLMRequest(model="m", messages=[UserMessage(role="user", content="hi")], **fields)
    body: dict[str, Any] = json.loads(adapter.encode(request))
    return body


def test_a_gemini_generation_config_option_keeps_rillets_own_settings() -> None:
    body = _sent(
        GeminiAdapter(api_key="k"),
        max_tokens=100,
        temperature=0.3,
        provider_options={"generationConfig": {"responseMimeType": "application/json"}},
    )
    assert body["generationConfig"] == {
        "maxOutputTokens": 100,
        "temperature": 0.3,
        "responseMimeType": "application/json",
    }


def test_an_option_naming_a_setting_rillet_built_overrides_just_that_setting() -> None:
    body = _sent(
        AnthropicAdapter(api_key="k"),
        reasoning={"budget_tokens": 2000},
        max_tokens=8000,
        provider_options={"thinking": {"display": "summarized"}, "stop_sequences": ["X"]},
    )
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 2000, "display": "summarized"}
    assert body["stop_sequences"] == ["X"]
    assert body["max_tokens"] == 8000

"""The emulator's first check: a body that does not fit its wire's request schema is refused
with that provider's own 400 wording, and the adapters raise it as ``BadRequestError``."""

from __future__ import annotations

from typing import Any

import pytest

from rillet import BadRequestError, LLMClient
from rillet.emulator import Emulator, Scenario
from rillet.emulator.rules import SCHEMA_RULES, Refusal, first_refusal

_USER = {"role": "user", "content": "Hi"}
_GEMINI_USER = {"role": "user", "parts": [{"text": "Hi"}]}


@pytest.mark.parametrize(
    ("wire", "body", "refusal"),
    [
        ("openai", {"model": "m", "messages": [_USER], "temprature": 1},
         Refusal("Unrecognized request argument supplied: temprature")),
        ("openai-responses", {"model": "m", "input": "Hi", "max_output_token": 5},
         Refusal("Unrecognized request argument supplied: max_output_token")),
        ("anthropic", {"model": "m", "messages": [_USER], "max_tokens": 9, "temprature": 1},
         Refusal("temprature: Extra inputs are not permitted")),
        ("anthropic", {"model": "m", "messages": [_USER]},
         Refusal("max_tokens: Field required")),
        ("gemini", {"contents": [_GEMINI_USER], "generationConfig": {"maxOutputToken": 5}},
         Refusal('Invalid JSON payload received. Unknown name "maxOutputToken": Cannot find '
                 "field.")),
    ],
)  # fmt: skip
def test_a_body_off_its_schema_is_refused_in_the_providers_words(
    wire: str, body: dict[str, Any], refusal: Refusal
) -> None:
    assert first_refusal([SCHEMA_RULES[wire]], body, "m") == refusal


def test_an_openai_refusal_names_the_place_in_param() -> None:
    body = {"model": "m", "messages": [_USER, {"role": "robot", "content": "x"}]}
    refusal = first_refusal([SCHEMA_RULES["openai"]], body, "m")
    assert refusal is not None and refusal.param == "messages.1"
    assert refusal.code == "invalid_value" and "'robot'" in refusal.message


@pytest.mark.parametrize(
    ("wire", "body"),
    [
        ("openai", {"model": "m", "messages": [_USER], "temperature": 1}),
        ("openai-responses", {"model": "m", "input": "Hi", "max_output_tokens": 5}),
        ("anthropic", {"model": "m", "messages": [_USER], "max_tokens": 9, "temperature": 1}),
        ("gemini", {"contents": [_GEMINI_USER], "generationConfig": {"maxOutputTokens": 5}}),
        # protobuf JSON: snake_case is another spelling of the same field
        ("gemini", {"contents": [_GEMINI_USER], "generation_config": {"max_output_tokens": 5}}),
    ],
)
def test_a_body_that_fits_its_schema_passes(wire: str, body: dict[str, Any]) -> None:
    assert first_refusal([SCHEMA_RULES[wire]], body, "m") is None


@pytest.mark.request_oracle_off(reason="sends a misspelt field on purpose, for the emulator")
@pytest.mark.parametrize(
    ("provider", "misspelt", "says"),
    [
        ("openai", {"max_token": 5}, "Unrecognized request argument supplied: max_token"),
        ("openai-responses", {"max_output_token": 5}, "Unrecognized request argument supplied"),
        ("anthropic", {"stop_sequence": ["x"]}, "stop_sequence: Extra inputs are not permitted"),
        ("gemini", {"generationConfig": {"maxOutputToken": 5}}, 'Unknown name "maxOutputToken"'),
    ],
)
async def test_the_adapters_raise_a_schema_refusal_as_bad_request(
    no_leaks: None, provider: str, misspelt: dict[str, Any], says: str
) -> None:
    async with (
        Emulator([Scenario("m", text=("Hello",))]) as emulator,
        LLMClient(
            provider=provider,
            base_url=emulator.base_url(provider),
            api_key=emulator.api_key,
            model="m",
            max_retries=2,
        ) as client,
    ):
        with pytest.raises(BadRequestError) as caught:
            await client.call("Hi", provider_options=misspelt)
        assert len(emulator.requests) == 1
        assert (await client.call("Hi")).text == "Hello"  # the same request, spelt right
    assert caught.value.status_code == 400 and says in caught.value.message

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
_BEDROCK_USER = {"role": "user", "content": [{"text": "Hi"}]}


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
        ("bedrock", {"messages": [_BEDROCK_USER], "inferenceConfig": {"maxToken": 5}},
         Refusal("Malformed input request: extraneous key [maxToken] is not permitted, please "
                 "reformat your input and try again.")),
        ("bedrock", {"messages": [{"role": "user", "content": [{"image": {"format": "png"}}]}]},
         Refusal("1 validation error detected: Value at 'messages.1.member.content.1.member."
                 "image.source' failed to satisfy constraint: Member must not be null")),
        ("bedrock", {"messages": [_BEDROCK_USER], "inferenceConfig": {"maxTokens": 0}},
         Refusal("1 validation error detected: Value at 'inferenceConfig.maxTokens' failed to "
                 "satisfy constraint: Member must have value greater than or equal to 1")),
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
        ("bedrock", {"messages": [_BEDROCK_USER], "inferenceConfig": {"maxTokens": 5}}),
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


@pytest.mark.request_oracle_off(reason="sends a misspelt field on purpose, for the emulator")
async def test_bedrock_raises_a_schema_refusal_as_bad_request(no_leaks: None) -> None:
    async with (
        Emulator([Scenario("amazon.nova-micro-v1", text=("Hello",))]) as emulator,
        LLMClient(
            provider="bedrock",
            base_url=emulator.base_url("bedrock"),
            api_key=emulator.api_key,  # Bedrock's API key, as a bearer token
            model="amazon.nova-micro-v1",
            options={"region": "us-east-1"},
        ) as client,
    ):
        with pytest.raises(BadRequestError) as caught:
            await client.call("Hi", provider_options={"inferenceConfig": {"maxToken": 5}})
        assert (await client.call("Hi")).text == "Hello"
    assert caught.value.status_code == 400
    assert caught.value.message.endswith(
        "Malformed input request: extraneous key [maxToken] is not permitted, please reformat "
        "your input and try again."
    )

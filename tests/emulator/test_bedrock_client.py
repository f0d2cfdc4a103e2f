"""``LLMClient(provider="bedrock")`` end to end against the emulator's Bedrock Runtime: SigV4
signed with the emulator's AWS credentials (the main path) or a Bedrock API key, every built-in
scenario, Bedrock's errors as rillet's typed errors."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import pytest

from rillet import (
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    LLMClient,
    LLMResponse,
    NotFoundError,
    OverloadedError,
    PermissionDeniedError,
    RateLimitError,
    RilletError,
)
from rillet.emulator import AWS_TEST_CREDENTIALS, BUILTIN_SCENARIOS, Emulator, Scenario, render
from rillet.emulator.scenario import ErrorKind, StreamError
from rillet.providers.bedrock import AWSCredentials
from rillet.transport import Timeout

from ._expect import expected

_SIGNED = {"region": "us-east-1", "credentials": AWSCredentials(*AWS_TEST_CREDENTIALS)}


def _client(emulator: Emulator, model: str, **options: Any) -> LLMClient:
    return LLMClient(
        provider="bedrock",
        base_url=emulator.base_url("bedrock"),
        model=model,
        options={**_SIGNED, **options},
        timeout=Timeout(connect=2.0, idle=0.3),
        max_retries=2,
    )


async def _outcome(emulator: Emulator, model: str, **options: Any) -> LLMResponse | RilletError:
    async with _client(emulator, model, **options) as client:
        try:
            return await client.call("Hello")
        except RilletError as error:
            return error


def _check(response: LLMResponse, scenario: Scenario) -> None:
    want = expected("bedrock", scenario)
    assert response.text == want.text
    assert response.reasoning == want.reasoning
    assert [(c.name, c.arguments) for c in response.tool_calls] == want.tool_calls
    assert response.finish_reason == want.finish
    assert response.provider_finish_reason == want.raw_finish
    assert response.usage is not None and want.usage is not None
    assert (response.usage.input_tokens, response.usage.output_tokens) == want.usage
    if scenario.reasoning_signature is not None:
        assert scenario.reasoning_signature in [b.signature for b in response.reasoning_details]


def _random_cuts(scenario: Scenario) -> Scenario:
    size = len(render("bedrock", scenario)[1])
    rng = random.Random(scenario.name)
    cuts = tuple(sorted(rng.sample(range(1, size), min(size - 1, 40))))
    return replace(scenario, faults=replace(scenario.faults, chunks=cuts))


_WHOLE = [
    s
    for s in BUILTIN_SCENARIOS
    if s.error is None and not s.faults.statuses and s.faults.chunks == "whole"
    if not (s.faults.stall_after_events or s.faults.reset_after_events)
    if not s.faults.truncate_after_events
]


@pytest.mark.parametrize("scenario", _WHOLE, ids=lambda s: s.name)
@pytest.mark.parametrize("cut", [False, True], ids=["whole", "random-splits"])
async def test_builtin_scenarios_through_the_client(
    no_leaks: None, scenario: Scenario, cut: bool
) -> None:
    played = _random_cuts(scenario) if cut else scenario
    async with Emulator([played]) as emulator:
        response = await _outcome(emulator, scenario.name)
        signed = emulator.requests[-1].headers["Authorization"]
    assert isinstance(response, LLMResponse), response
    _check(response, scenario)
    assert signed.startswith(f"AWS4-HMAC-SHA256 Credential={AWS_TEST_CREDENTIALS[0]}/")


async def test_retryable_statuses_are_retried(no_leaks: None) -> None:
    for name in ("retry-529", "retry-429-503"):
        scenario = next(s for s in BUILTIN_SCENARIOS if s.name == name)
        async with Emulator([scenario]) as emulator:
            response = await _outcome(emulator, name)
            statuses = [r.reply.status for r in emulator.requests]
        assert isinstance(response, LLMResponse), response
        _check(response, scenario)
        assert statuses == [*scenario.faults.statuses, 200]


def _bearer_client(emulator: Emulator, key: str, model: str) -> LLMClient:
    """A client with a Bedrock API key: no AWS credentials at all."""
    return LLMClient(
        provider="bedrock",
        base_url=emulator.base_url("bedrock"),
        api_key=key,
        model=model,
        options={"region": "us-east-1"},
    )


async def test_a_bedrock_api_key_goes_as_a_bearer_token(no_leaks: None) -> None:
    scenario = Scenario("amazon.nova-micro-v1", text=("Hi",))
    async with Emulator([scenario], api_key="bedrock-api-key-1") as emulator:
        async with _bearer_client(emulator, "bedrock-api-key-1", scenario.name) as client:
            response = await client.call("Hello")
        sent = emulator.requests[-1].headers["Authorization"]
        async with _bearer_client(emulator, "bedrock-api-key-2", scenario.name) as client:
            with pytest.raises(PermissionDeniedError) as refused:
                await client.call("Hello")
    assert response.text == "Hi"
    assert sent == "Bearer bedrock-api-key-1"
    assert refused.value.status_code == 403
    assert "bedrock-api-key-2" not in str(refused.value)


async def test_a_bad_signature_is_an_authentication_error(no_leaks: None) -> None:
    key_id, secret = AWS_TEST_CREDENTIALS
    async with Emulator([Scenario("amazon.nova-micro-v1", text=("Hi",))]) as emulator:
        wrong = await _outcome(
            emulator, "amazon.nova-micro-v1", credentials=AWSCredentials(key_id, "not-it")
        )
        unknown = await _outcome(
            emulator,
            "amazon.nova-micro-v1",
            credentials=AWSCredentials("AKIAUNKNOWN0EXAMPLE1", secret),
        )
        tried = len(emulator.requests)
    assert isinstance(wrong, AuthenticationError)
    assert wrong.status_code == 403 and not wrong.retryable
    assert wrong.error_type == "InvalidSignatureException"
    assert "signature we calculated does not match" in wrong.message
    assert isinstance(unknown, AuthenticationError)
    assert unknown.error_type == "UnrecognizedClientException"
    assert tried == 2  # not retried
    assert "not-it" not in str(wrong) and secret not in str(unknown)


@pytest.mark.parametrize(
    ("kind", "error_class", "retryable"),
    [
        ("rate_limit", RateLimitError, True),
        ("overloaded", OverloadedError, True),
        ("server", InternalServerError, True),
        ("invalid_request", BadRequestError, False),
    ],
)
async def test_an_exception_message_mid_stream_is_a_typed_error(
    no_leaks: None, kind: ErrorKind, error_class: type[RilletError], retryable: bool
) -> None:
    scenario = Scenario(
        "amazon.nova-micro-v1",
        text=("one ", "two ", "three"),
        error=StreamError(kind, after_events=2),
    )
    async with Emulator([scenario]) as emulator:
        outcome = await _outcome(emulator, scenario.name)
        requests = len(emulator.requests)
    assert type(outcome) is error_class
    assert outcome.retryable is retryable
    assert outcome.partial is not None and outcome.partial.text == "one two "
    assert requests == 1  # the stream had begun: no retry


async def test_a_rule_refusal_is_a_bad_request_with_bedrock_words(no_leaks: None) -> None:
    scenario = Scenario("amazon.nova-micro-v1", text=("Hi",))
    async with Emulator([scenario]) as emulator:
        outcome = await _outcome(emulator, scenario.name)
        assert isinstance(outcome, LLMResponse)
        async with _client(emulator, scenario.name) as client:
            with pytest.raises(BadRequestError) as refused:
                await client.call("Hello", temperature=1.5)
    assert refused.value.status_code == 400
    assert refused.value.error_type == "ValidationException"
    assert refused.value.message.endswith(
        "1 validation error detected: Value at 'inferenceConfig.temperature' failed to satisfy "
        "constraint: Member must have value less than or equal to 1"
    )


async def test_unknown_models(no_leaks: None) -> None:
    async with Emulator(builtins=False) as emulator:
        bare = await _outcome(emulator, "no-such-model")
        prefixed = await _outcome(emulator, "anthropic.no-such-model-v1")
    assert isinstance(bare, BadRequestError)
    assert "The provided model identifier is invalid." in bare.message
    assert isinstance(prefixed, NotFoundError)


async def test_a_model_id_with_a_colon_is_signed_as_sent(no_leaks: None) -> None:
    scenario = Scenario("anthropic.claude-3-haiku-20240307-v1:0", text=("Hi",))
    async with Emulator([scenario]) as emulator:
        outcome = await _outcome(emulator, scenario.name)
    assert isinstance(outcome, LLMResponse), outcome


_CUT = [
    s
    for s in BUILTIN_SCENARIOS
    if s.faults.stall_after_events
    or s.faults.reset_after_events
    or s.faults.truncate_after_events
    or s.faults.chunks == "drip"
]


@pytest.mark.parametrize("scenario", _CUT, ids=lambda s: s.name)
async def test_byte_level_faults_cut_the_event_stream(no_leaks: None, scenario: Scenario) -> None:
    """A stall, a reset or a truncation after whole frames; a body dripped byte by byte."""
    want = expected("bedrock", scenario)
    async with Emulator([scenario]) as emulator:
        outcome = await _outcome(emulator, scenario.name)
    if want.error is None:
        assert isinstance(outcome, LLMResponse), outcome
        _check(outcome, scenario)
        return
    assert type(outcome) is want.error, outcome
    assert outcome.partial is not None and outcome.partial.text == want.partial_text


async def test_temporary_credentials_sign_their_session_token(no_leaks: None) -> None:
    key_id, secret = AWS_TEST_CREDENTIALS
    temporary = AWSCredentials(key_id, secret, session_token="FwoGZXIvYXdzEemulatortoken")
    async with Emulator([Scenario("amazon.nova-micro-v1", text=("Hi",))]) as emulator:
        response = await _outcome(emulator, "amazon.nova-micro-v1", credentials=temporary)
        headers = emulator.requests[-1].headers
    assert isinstance(response, LLMResponse), response
    assert headers["x-amz-security-token"] == "FwoGZXIvYXdzEemulatortoken"
    assert "x-amz-security-token" in headers["Authorization"]  # signed, not only sent


async def test_the_request_id_is_read_from_x_amzn_requestid(no_leaks: None) -> None:
    scenario = Scenario("amazon.nova-micro-v1:0", text=("Hi",))
    async with Emulator([scenario]) as emulator:
        outcome = await _outcome(emulator, scenario.name)
        sent = emulator.requests[-1].reply.headers
    assert isinstance(outcome, LLMResponse), outcome
    assert outcome.request_id is not None
    assert outcome.request_id == {k.lower(): v for k, v in sent.items()}["x-amzn-requestid"]

"""The server: auth, unknown models and error statuses as each real API answers them; usage."""

from __future__ import annotations

import json
import time
from typing import Any

import aiohttp
import pytest

from rillet import (
    AuthenticationError,
    LLMClient,
    NotFoundError,
    RilletError,
)
from rillet.emulator import Emulator, Faults, Scenario

from ._expect import CLIENTS

_WRONG_KEY = "sk-wrong-0123456789abcdef"
# the header that carries the key, per wire, to send it empty
_KEY_HEADER = {
    "openai": "authorization",
    "openai-responses": "authorization",
    "anthropic": "x-api-key",
    "gemini": "x-goog-api-key",
    "gemini-json": "x-goog-api-key",
}


def _path(wire: str, model: str) -> str:
    if wire == "openai":
        return "/v1/chat/completions"
    if wire == "openai-responses":
        return "/v1/responses"
    if wire == "anthropic":
        return "/v1/messages"
    query = "?alt=sse" if wire == "gemini" else ""
    return f"/v1beta/models/{model}:streamGenerateContent{query}"


def _body(wire: str, model: str) -> dict[str, Any]:
    """The smallest request body each wire's schema takes."""
    hi = "Hi"
    if wire == "openai":
        return {"model": model, "messages": [{"role": "user", "content": hi}]}
    if wire == "openai-responses":
        return {"model": model, "input": hi}
    if wire == "anthropic":
        return {"model": model, "messages": [{"role": "user", "content": hi}], "max_tokens": 16}
    return {"contents": [{"role": "user", "parts": [{"text": hi}]}]}


async def _post(
    emulator: Emulator, wire: str, headers: dict[str, str], model: str
) -> tuple[int, Any]:
    """A raw request: the status and the parsed body, as the provider's own client sees it."""
    sent = {"anthropic-version": "2023-06-01", **headers} if wire == "anthropic" else headers
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            emulator.url + _path(wire, model), json=_body(wire, model), headers=sent
        ) as response,
    ):
        return response.status, json.loads(await response.read())


def _error(wire: str, body: Any) -> dict[str, Any]:
    """The inner error object of a provider's error body."""
    if wire == "gemini-json":
        assert isinstance(body, list) and len(body) == 1  # the JSON-array endpoint wraps it
        body = body[0]
    if wire == "anthropic":
        assert body["type"] == "error" and body["request_id"].startswith("req_")
    error: dict[str, Any] = body["error"]
    return error


def _key_headers(wire: str, key: str) -> dict[str, str]:
    if wire.startswith("openai"):
        return {"authorization": f"Bearer {key}"}
    return {_KEY_HEADER[wire]: key}


@pytest.mark.parametrize("wire", [w for _, _, w in CLIENTS])
async def test_missing_and_wrong_keys_get_the_providers_own_bodies(
    no_leaks: None, wire: str
) -> None:
    async with Emulator() as emulator:
        missing_status, missing_body = await _post(emulator, wire, {}, "text-plain")
        wrong_status, wrong_body = await _post(
            emulator, wire, _key_headers(wire, _WRONG_KEY), "text-plain"
        )
        good_status, _ = await _post(emulator, wire, _key_headers(wire, "nope"), "no-such-model")
    missing, wrong = _error(wire, missing_body), _error(wire, wrong_body)
    assert _WRONG_KEY not in json.dumps(wrong_body)  # shown masked at most
    if wire.startswith("openai"):
        assert (missing_status, wrong_status) == (401, 401)
        assert missing["message"].startswith("You didn't provide an API key.")
        assert (missing["type"], missing["code"]) == ("invalid_request_error", None)
        assert wrong["message"].startswith("Incorrect API key provided: sk-wrong")
        assert (wrong["type"], wrong["code"]) == ("invalid_request_error", "invalid_api_key")
    elif wire == "anthropic":
        assert (missing_status, wrong_status) == (401, 401)
        assert missing == {
            "type": "authentication_error",
            "message": "x-api-key header is required",
        }
        assert wrong == {"type": "authentication_error", "message": "invalid x-api-key"}
    else:
        assert (missing_status, wrong_status) == (403, 400)
        assert missing["status"] == "PERMISSION_DENIED" and missing["code"] == 403
        assert missing["message"].startswith("Method doesn't allow unregistered callers")
        assert wrong["status"] == "INVALID_ARGUMENT" and wrong["code"] == 400
        assert wrong["message"] == "API key not valid. Please pass a valid API key."
        assert wrong["details"][0]["reason"] == "API_KEY_INVALID"
    assert good_status in (400, 401, 403)  # a wrong key is refused before the model is looked at


async def test_anthropic_takes_the_key_as_x_api_key_or_bearer(no_leaks: None) -> None:
    """The real API accepts either header (the official SDK may send the bearer form)."""
    key = "emulator-key"
    statuses = []
    async with Emulator() as emulator, aiohttp.ClientSession() as session:
        for headers in (
            {"x-api-key": key},
            {"authorization": f"Bearer {key}"},
            {"authorization": f"Bearer {_WRONG_KEY}"},
            {"authorization": key},  # no scheme: not a bearer token
        ):
            sent = {"anthropic-version": "2023-06-01", **headers}
            url = emulator.url + "/v1/messages"
            body = _body("anthropic", "text-plain")
            async with session.post(url, json=body, headers=sent) as response:
                await response.read()
                statuses.append(response.status)
    assert statuses == [200, 200, 401, 401]


@pytest.mark.parametrize(("provider", "options", "wire"), CLIENTS, ids=[w for *_, w in CLIENTS])
async def test_client_raises_authentication_error(
    no_leaks: None, provider: str, options: dict[str, Any], wire: str
) -> None:
    async with Emulator() as emulator:
        # Google never says 401: 403 PERMISSION_DENIED without a key, 400 with a bad one
        google = wire.startswith("gemini")
        for headers, key, status in (
            ({_KEY_HEADER[wire]: ""}, "unused", 403 if google else 401),
            ({}, _WRONG_KEY, 400 if google else 401),
        ):
            async with LLMClient(
                provider=provider,
                base_url=emulator.base_url(provider),
                api_key=key,
                model="text-plain",
                options={**options, "headers": headers},
                max_retries=0,
            ) as client:
                with pytest.raises(RilletError) as caught:
                    await client.call("Hello")
            error = caught.value
            assert _WRONG_KEY not in str(error) and _WRONG_KEY not in repr(error)
            assert isinstance(error, AuthenticationError), repr(error)
            assert error.status_code == status


@pytest.mark.parametrize(("provider", "options", "wire"), CLIENTS, ids=[w for *_, w in CLIENTS])
async def test_unknown_model_is_not_found(
    no_leaks: None, provider: str, options: dict[str, Any], wire: str
) -> None:
    async with Emulator() as emulator:
        status, body = await _post(
            emulator, wire, _key_headers(wire, emulator.api_key or ""), "gpt-9"
        )
        async with LLMClient(
            provider=provider,
            base_url=emulator.base_url(provider),
            api_key=emulator.api_key,
            model="gpt-9",
            options=options,
            max_retries=0,
        ) as client:
            with pytest.raises(NotFoundError) as caught:
                await client.call("Hello")
    assert status == 404
    error = _error(wire, body)
    message = {"openai": "The model `gpt-9` does not exist", "anthropic": "model: gpt-9"}
    if wire.startswith("openai"):
        assert error["code"] == "model_not_found"
    elif wire == "anthropic":
        assert error["type"] == "not_found_error"
    else:
        assert error["status"] == "NOT_FOUND"
    expected = message.get(
        wire.split("-")[0] if wire.startswith("openai") else wire, "models/gpt-9"
    )
    assert expected in error["message"]
    assert expected in caught.value.message


@pytest.mark.parametrize(
    "faults",
    [
        Faults(statuses=(529, 429), retry_after="0"),
        Faults(statuses=(503,), retry_after="1", retry_after_ms=0),  # retry-after-ms wins
    ],
    ids=["retry-after", "retry-after-ms"],
)
@pytest.mark.parametrize(("provider", "options", "wire"), CLIENTS, ids=[w for *_, w in CLIENTS])
async def test_status_faults_are_retried(
    no_leaks: None, provider: str, options: dict[str, Any], wire: str, faults: Faults
) -> None:
    scenario = Scenario("flaky", text=("made ", "it"), faults=faults)
    async with Emulator([scenario]) as emulator:
        async with LLMClient(
            provider=provider,
            base_url=emulator.base_url(provider),
            api_key=emulator.api_key,
            model="flaky",
            options=options,
            max_retries=2,
        ) as client:
            started = time.monotonic()
            response = await client.call("Hello")
            elapsed = time.monotonic() - started
        await emulator.wait_finished()
    assert response.text == "made it"
    assert elapsed < 0.9  # the server asked for no wait, and the client did not wait
    replies = [request.reply for request in emulator.requests]
    assert [reply.status for reply in replies] == [*faults.statuses, 200]
    assert len({request.body for request in emulator.requests}) == 1  # the same request again
    for reply in replies[:-1]:
        assert reply.headers.get("Retry-After") == faults.retry_after
        if faults.retry_after_ms is not None:
            assert reply.headers.get("retry-after-ms") == str(faults.retry_after_ms)
        assert json.loads(reply.body)  # the provider's own error body


async def test_status_sequence_restarts_for_the_next_call(no_leaks: None) -> None:
    scenario = Scenario("flaky", text=("ok",), faults=Faults(statuses=(529,), retry_after="0"))
    async with Emulator([scenario], builtins=False) as emulator:
        async with LLMClient(
            provider="anthropic",
            base_url=emulator.base_url("anthropic"),
            api_key=emulator.api_key,
            model="flaky",
            max_retries=1,
        ) as client:
            for _ in range(2):
                assert (await client.call("Hello")).text == "ok"
        assert [r.reply.status for r in emulator.requests] == [529, 200, 529, 200]
        emulator.reset()
        assert emulator.requests == []


async def test_no_endpoint_and_the_index(no_leaks: None) -> None:
    async with Emulator() as emulator, aiohttp.ClientSession() as session:
        async with session.get(emulator.url + "/") as response:
            index = await response.json()
        async with session.post(emulator.url + "/v2/nothing", json={}) as response:
            assert response.status == 404
        assert index["base_urls"]["openai"] == emulator.base_url("openai")
        with pytest.raises(ValueError, match="does not speak"):
            emulator.base_url("mock")
    assert "text-plain" in index["scenarios"]


async def test_openai_sends_usage_only_when_asked(no_leaks: None) -> None:
    headers = {"authorization": "Bearer emulator-key"}
    bodies = []
    async with Emulator() as emulator, aiohttp.ClientSession() as session:
        for extra in ({}, {"stream_options": {"include_usage": True}}):
            payload = {**_body("openai", "text-plain"), "stream": True, **extra}
            url = emulator.base_url("openai") + "/chat/completions"
            async with session.post(url, json=payload, headers=headers) as response:
                bodies.append(await response.read())
    without, with_usage = bodies
    assert b'"choices":[]' not in without and b'"prompt_tokens"' not in without
    assert b'"choices":[],"usage":{"prompt_tokens":12' in with_usage

"""Azure OpenAI: Chat Completions and Responses at Azure's v1 and deployments paths, api-key and
Entra ID tokens, configuration errors, and the content filter's verdicts kept, against the
emulator (a real local server)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from rillet import (
    AuthenticationError,
    ConfigurationError,
    FinishReason,
    LLMClient,
    LLMResponse,
    StartChunk,
    StopChunk,
)
from rillet.emulator import Emulator, RecordedRequest
from rillet.providers.azure import AzureChatAdapter, AzureResponsesAdapter
from rillet.providers.azure._filters import AzureChatMapper
from rillet.registry import AdapterConfig, create_adapter
from rillet.transport import Frame

KEY = "0123456789abcdef0123456789abcdef"  # Azure's key shape: 32 hex digits


@pytest.fixture(autouse=True)
def _no_azure_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    async with Emulator(api_key=KEY) as server:
        yield server


async def _call(
    provider: str, emulator: Emulator | None, model: str = "text-plain", **kw: Any
) -> LLMResponse:
    if emulator is not None:
        kw["base_url"] = emulator.url
    client = LLMClient(provider=provider, model=model, **kw)
    try:
        return await client.call("hi")
    finally:
        await client.aclose()


def _last(emulator: Emulator) -> RecordedRequest:
    return emulator.requests[-1]


@pytest.mark.parametrize(
    ("provider", "options", "path", "version"),
    [
        ("azure", {}, "/openai/v1/chat/completions", None),
        (
            "azure",
            {"api_version": "2024-10-21"},
            "/openai/deployments/text-plain/chat/completions",
            "2024-10-21",
        ),
        ("azure-responses", {}, "/openai/v1/responses", None),
        (
            "azure-responses",
            {"api_version": "2025-04-01-preview"},
            "/openai/responses",
            "2025-04-01-preview",
        ),
    ],
)
async def test_paths_and_the_api_key(
    emulator: Emulator, provider: str, options: dict[str, str], path: str, version: str | None
) -> None:
    response = await _call(provider, emulator, api_key=KEY, options=options)
    assert response.text == "Hello, world!"
    assert response.provider == provider
    sent = _last(emulator)
    assert sent.path == path
    assert sent.query.get("api-version") == version
    assert sent.headers["api-key"] == KEY
    assert "Authorization" not in sent.headers
    assert json.loads(sent.body)["model"] == "text-plain"  # the deployment


async def test_endpoint_and_key_from_the_environment(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", emulator.url + "/openai/v1/")  # as pasted
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", KEY)
    assert (await _call("azure", None)).text == "Hello, world!"
    assert _last(emulator).path == "/openai/v1/chat/completions"
    assert _last(emulator).headers["api-key"] == KEY
    monkeypatch.delenv("AZURE_OPENAI_ENDPOINT")
    assert (await _call("azure", None, options={"endpoint": emulator.url})).text


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_an_entra_token_provider_is_called_for_every_request(
    emulator: Emulator, asynchronous: bool
) -> None:
    issued: list[str] = []

    def token() -> str:
        issued.append(KEY if len(issued) % 2 == 0 else "stale-entra-token")
        return issued[-1]

    async def token_async() -> str:
        return token()

    client = LLMClient(
        provider="azure",
        base_url=emulator.url,
        model="text-plain",
        max_retries=0,
        options={"azure_ad_token_provider": token_async if asynchronous else token},
    )
    try:
        assert (await client.call("hi")).text == "Hello, world!"
        with pytest.raises(AuthenticationError) as caught:
            await client.call("hi")
    finally:
        await client.aclose()
    assert [r.headers["Authorization"] for r in emulator.requests] == [
        f"Bearer {KEY}",
        "Bearer stale-entra-token",
    ]
    assert all("api-key" not in r.headers for r in emulator.requests)
    assert caught.value.status_code == 401
    assert "Access denied due to invalid subscription key" in str(caught.value)
    assert "stale-entra-token" not in str(caught.value)


async def test_a_wrong_key_gets_azures_401_without_the_key(emulator: Emulator) -> None:
    wrong = "ffffffffffffffffffffffffffffffff"
    with pytest.raises(AuthenticationError) as caught:
        await _call("azure-responses", emulator, api_key=wrong)
    assert caught.value.status_code == 401
    assert caught.value.body == {
        "error": {
            "code": "401",
            "message": "Access denied due to invalid subscription key or wrong API endpoint. "
            "Make sure to provide a valid key for an active subscription and use a correct "
            "regional API endpoint for your resource.",
        }
    }
    assert wrong not in str(caught.value) and wrong not in repr(caught.value)


def test_configuration_errors() -> None:
    with pytest.raises(ConfigurationError, match="AZURE_OPENAI_ENDPOINT"):
        AzureChatAdapter(api_key=KEY)
    with pytest.raises(ConfigurationError, match=r"AZURE_OPENAI_API_KEY.*azure_ad_token_provider"):
        AzureResponsesAdapter(base_url="https://r.openai.azure.com")
    with pytest.raises(ConfigurationError, match="pass one"):
        AzureChatAdapter(
            base_url="https://r.openai.azure.com", api_key=KEY, azure_ad_token_provider=str
        )
    with pytest.raises(ConfigurationError, match="both name"):
        AzureChatAdapter(base_url="https://a.example", endpoint="https://b.example", api_key=KEY)
    with pytest.raises(ConfigurationError, match="api_version is empty"):
        AzureChatAdapter(base_url="https://r.openai.azure.com", api_key=KEY, api_version="")
    with pytest.raises(ConfigurationError, match="unknown option 'deployment'"):
        create_adapter("azure", AdapterConfig(api_key=KEY, options={"deployment": "x"}))


async def test_a_deployment_name_is_one_path_segment(emulator: Emulator) -> None:
    with pytest.raises(ConfigurationError, match="not an Azure deployment name"):
        await _call(
            "azure", emulator, model="../../x", api_key=KEY, options={"api_version": "2024-10-21"}
        )
    assert not emulator.requests


async def test_the_emulator_wants_an_api_version_on_the_older_paths(emulator: Emulator) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            emulator.url + "/openai/deployments/text-plain/chat/completions",
            json={"messages": []},
            headers={"api-key": KEY},
        ) as reply,
    ):
        assert reply.status == 404
        assert "api-version" in (await reply.json())["error"]["message"]


async def test_max_tokens_goes_as_max_completion_tokens(emulator: Emulator) -> None:
    client = LLMClient(provider="azure", base_url=emulator.url, model="text-plain", api_key=KEY)
    try:
        await client.call("hi", max_tokens=50)
    finally:
        await client.aclose()
    body = json.loads(_last(emulator).body)
    assert body["max_completion_tokens"] == 50 and "max_tokens" not in body


async def test_the_content_filter_verdicts_are_kept(emulator: Emulator) -> None:
    response = await _call("azure", emulator, model="finish-content-filter", api_key=KEY)
    assert response.finish_reason is FinishReason.content_filter
    assert response.provider_finish_reason == "content_filter"
    details = response.provider_details or {}
    assert details["content_filter_results"]["violence"] == {
        "filtered": True,
        "severity": "medium",
    }
    assert details["content_filter_results"]["hate"] == {"filtered": False, "severity": "safe"}
    assert details["prompt_filter_results"][0]["prompt_index"] == 0
    # Azure's opening chunk (empty id and model) starts nothing: the real id is the response's
    assert response.id and response.id.startswith("chatcmpl-")
    assert response.model


async def test_a_safe_answer_keeps_only_the_prompts_verdict(emulator: Emulator) -> None:
    response = await _call("azure", emulator, api_key=KEY)
    assert response.finish_reason is FinishReason.stop
    assert set(response.provider_details or {}) == {"prompt_filter_results"}


def _frame(value: object) -> Frame:
    return Frame(data=json.dumps(value, separators=(",", ":")))


def test_the_mapper_reads_azures_opening_chunk_and_a_filtered_finish() -> None:
    mapper = AzureChatMapper("azure")
    verdict = {"sexual": {"filtered": True, "severity": "high"}}
    prompt = [{"prompt_index": 0, "content_filter_results": {}}]
    opening = {"choices": [], "id": "", "model": "", "prompt_filter_results": prompt}
    assert list(mapper.feed(_frame(opening))) == []
    first = mapper.feed(
        _frame({"id": "chatcmpl-1", "model": "gpt-4o", "choices": [{"index": 0, "delta": {}}]})
    )
    assert isinstance(first[0], StartChunk) and first[0].id == "chatcmpl-1"
    finish = {
        "index": 0,
        "delta": {},
        "finish_reason": "content_filter",
        "content_filter_results": verdict,
    }
    mapper.feed(_frame({"id": "chatcmpl-1", "choices": [finish]}))
    stop = mapper.feed(Frame(data="[DONE]"))[-1]
    assert isinstance(stop, StopChunk)
    assert stop.finish_reason is FinishReason.content_filter
    assert stop.provider_details == {
        "prompt_filter_results": prompt,
        "content_filter_results": verdict,
    }


def test_openai_chat_is_unchanged_by_a_stop_without_details() -> None:
    adapter = AzureChatAdapter(base_url="https://r.openai.azure.com", api_key=KEY)
    mapper = adapter.mapper(None)  # type: ignore[arg-type]
    mapper.feed(_frame({"id": "c", "choices": [{"index": 0, "delta": {"content": "x"}}]}))
    mapper.feed(
        _frame({"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    )
    stop = mapper.feed(Frame(data="[DONE]"))[-1]
    assert isinstance(stop, StopChunk) and stop.provider_details is None
    assert KEY not in repr(adapter)

"""Vertex AI: Gemini and Claude at Vertex's paths, bearer tokens (static, callable, ADC), express
keys, configuration errors and redaction, against the emulator (a real local server)."""

from __future__ import annotations

import json
import sys
import threading
import types
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from rillet import AuthenticationError, ConfigurationError, LLMClient, LLMRequest, UserMessage
from rillet._redact import REDACTED, redact_headers, redact_text
from rillet.emulator import Emulator, RecordedRequest
from rillet.providers.vertex import VertexAdapter, VertexAnthropicAdapter
from rillet.registry import AdapterConfig, create_adapter

TOKEN = "ya29.a0AfB_emulator-key-token"  # Google's access-token shape
PLACE = {"project": "my-project", "location": "us-central1"}


@pytest.fixture(autouse=True)
def _no_google_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION", "GOOGLE_API_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    async with Emulator(api_key=TOKEN) as server:
        yield server


async def _call(provider: str, emulator: Emulator, model: str = "text-plain", **kw: Any) -> str:
    client = LLMClient(provider=provider, base_url=emulator.url, model=model, **kw)
    try:
        return (await client.call("hi")).text
    finally:
        await client.aclose()


def _last(emulator: Emulator) -> RecordedRequest:
    return emulator.requests[-1]


async def test_gemini_with_a_static_token(emulator: Emulator) -> None:
    text = await _call("vertex", emulator, options={**PLACE, "access_token": TOKEN})
    assert text == "Hello, world!"
    sent = _last(emulator)
    assert sent.path == (
        "/v1/projects/my-project/locations/us-central1/publishers/google/models/"
        "text-plain:streamGenerateContent"
    )
    assert sent.query["alt"] == "sse"
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "x-goog-api-key" not in sent.headers
    assert json.loads(sent.body)["contents"][0]["parts"] == [{"text": "hi"}]


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_a_token_callable_is_called_for_every_request(
    emulator: Emulator, asynchronous: bool
) -> None:
    issued: list[str] = []

    def next_token() -> str:
        issued.append(TOKEN if len(issued) % 2 == 0 else "expired-token-xyz")
        return issued[-1]

    async def next_token_async() -> str:
        return next_token()

    provider = next_token_async if asynchronous else next_token
    client = LLMClient(
        provider="vertex",
        base_url=emulator.url,
        model="text-plain",
        max_retries=0,
        options={**PLACE, "access_token": provider},
    )
    try:
        assert (await client.call("hi")).text == "Hello, world!"
        with pytest.raises(AuthenticationError) as caught:
            await client.call("hi")  # the second token: refused, so it was really sent
        assert (await client.call("hi")).text == "Hello, world!"
    finally:
        await client.aclose()
    assert issued == [TOKEN, "expired-token-xyz", TOKEN]
    assert [r.headers["Authorization"] for r in emulator.requests] == [
        f"Bearer {TOKEN}",
        "Bearer expired-token-xyz",
        f"Bearer {TOKEN}",
    ]
    assert caught.value.status_code == 401
    assert "UNAUTHENTICATED" in str(caught.value)


async def test_express_mode_sends_the_key_to_the_global_publisher_path(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert await _call("vertex", emulator, api_key=TOKEN) == "Hello, world!"
    sent = _last(emulator)
    assert sent.path == "/v1/publishers/google/models/text-plain:streamGenerateContent"
    assert sent.headers["x-goog-api-key"] == TOKEN
    assert "Authorization" not in sent.headers
    # GOOGLE_API_KEY is express mode when no project is configured
    monkeypatch.setenv("GOOGLE_API_KEY", TOKEN)
    assert await _call("vertex", emulator) == "Hello, world!"
    assert _last(emulator).headers["x-goog-api-key"] == TOKEN
    # ... and not when one is: then it is a bearer token's request
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "env-project")
    monkeypatch.setenv("GOOGLE_CLOUD_LOCATION", "europe-west4")
    assert await _call("vertex", emulator, options={"access_token": TOKEN}) == "Hello, world!"
    sent = _last(emulator)
    assert sent.path.startswith("/v1/projects/env-project/locations/europe-west4/")
    assert "x-goog-api-key" not in sent.headers


async def test_a_wrong_express_key_gets_googles_400(emulator: Emulator) -> None:
    with pytest.raises(AuthenticationError) as caught:
        await _call("vertex", emulator, api_key="AIzaWrongWrongWrongWrongWrong123")
    assert "API key not valid" in str(caught.value)
    assert "AIzaWrong" not in str(caught.value)


def _url(adapter: Any, model: str = "gemini-2.5-flash") -> str:
    url: str = adapter.url(LLMRequest(model=model, messages=[UserMessage(content="x")]))
    return url


def test_hosts_by_location() -> None:
    regional = VertexAdapter(**PLACE, access_token=TOKEN)
    assert _url(regional) == (
        "https://us-central1-aiplatform.googleapis.com/v1/projects/my-project/locations/"
        "us-central1/publishers/google/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    )
    world = VertexAdapter(project="p", location="global", access_token=TOKEN, sse=False)
    assert _url(world) == (
        "https://aiplatform.googleapis.com/v1/projects/p/locations/global/publishers/google/"
        "models/gemini-2.5-flash:streamGenerateContent"
    )
    express = VertexAdapter(api_key=TOKEN)
    assert _url(express).startswith("https://aiplatform.googleapis.com/v1/publishers/google/")
    claude = VertexAnthropicAdapter(project="p", location="us-east5", access_token=TOKEN)
    assert _url(claude, "claude-sonnet-4-5@20250929") == (
        "https://us-east5-aiplatform.googleapis.com/v1/projects/p/locations/us-east5/"
        "publishers/anthropic/models/claude-sonnet-4-5@20250929:streamRawPredict"
    )


def test_configuration_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError) as caught:
        VertexAdapter(access_token=TOKEN)
    assert "GOOGLE_CLOUD_PROJECT" in str(caught.value)
    assert "GOOGLE_CLOUD_LOCATION" in str(caught.value)
    with pytest.raises(ConfigurationError, match=r"location .*GOOGLE_CLOUD_LOCATION"):
        VertexAdapter(project="p", access_token=TOKEN)
    with pytest.raises(ConfigurationError, match="express mode, which takes no project"):
        VertexAdapter(api_key=TOKEN, project="p")
    with pytest.raises(ConfigurationError, match="no express mode"):
        VertexAnthropicAdapter(api_key=TOKEN, **PLACE)
    with pytest.raises(ConfigurationError, match="not a Vertex AI project id"):
        VertexAdapter(project="p/../q", location="us-central1", access_token=TOKEN)
    with pytest.raises(ConfigurationError, match="access_token must be"):
        VertexAdapter(**PLACE, access_token=42)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="not a Gemini model name"):
        _url(VertexAdapter(**PLACE, access_token=TOKEN), "../models/x")
    with pytest.raises(ConfigurationError, match="not a Vertex AI model name"):
        _url(VertexAnthropicAdapter(**PLACE, access_token=TOKEN), "claude/../x")
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "env-project")
    monkeypatch.setenv("GOOGLE_CLOUD_LOCATION", "global")
    assert "/projects/env-project/locations/global/" in _url(VertexAdapter(access_token=TOKEN))


async def test_a_callable_returning_no_token_is_a_configuration_error(emulator: Emulator) -> None:
    with pytest.raises(ConfigurationError, match="returned an empty string"):
        await _call("vertex", emulator, options={**PLACE, "access_token": lambda: ""})
    assert not emulator.requests


async def test_claude_on_vertex(emulator: Emulator) -> None:
    options = {**PLACE, "access_token": TOKEN, "anthropic_beta": "context-1m-2025-08-07"}
    assert await _call("vertex-anthropic", emulator, options=options) == "Hello, world!"
    sent = _last(emulator)
    assert sent.path.endswith("/publishers/anthropic/models/text-plain:streamRawPredict")
    body = json.loads(sent.body)
    assert "model" not in body
    assert body["anthropic_version"] == "vertex-2023-10-16"
    assert body["stream"] is True
    assert sent.headers["anthropic-beta"] == "context-1m-2025-08-07"
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "x-api-key" not in sent.headers and "anthropic-version" not in sent.headers


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"model": "x", "anthropic_version": "vertex-2023-10-16"}, "model: Extra inputs"),
        ({"messages": []}, "anthropic_version: Field required"),
    ],
)
async def test_the_emulator_refuses_what_vertex_refuses(
    emulator: Emulator, body: dict[str, Any], message: str
) -> None:
    import aiohttp

    path = "/v1/projects/p/locations/l/publishers/anthropic/models/text-plain:streamRawPredict"
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(emulator.url + path, json=body, headers=headers) as reply,
    ):
        assert reply.status == 400
        error = await reply.json()
    assert error["type"] == "error"
    assert message in error["error"]["message"]


class _FakeCredentials:
    """What google.auth.default returns: a token, its expiry (naive UTC), a blocking refresh."""

    def __init__(self, token: str | None, expiry: datetime | None) -> None:
        self.token = token
        self.expiry = expiry
        self.refreshed_in: list[str] = []

    def refresh(self, request: object) -> None:
        self.refreshed_in.append(threading.current_thread().name)
        self.token = f"{TOKEN}-{len(self.refreshed_in)}"
        self.expiry = _now() + timedelta(hours=1)


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


@pytest.fixture
def fake_adc(monkeypatch: pytest.MonkeyPatch) -> _FakeCredentials:
    import google.auth

    credentials = _FakeCredentials(None, None)
    scopes_asked: list[object] = []

    def default(scopes: object = None) -> tuple[_FakeCredentials, str]:
        scopes_asked.append(scopes)
        return credentials, "adc-project"

    monkeypatch.setattr(google.auth, "default", default)
    credentials.scopes_asked = scopes_asked  # type: ignore[attr-defined]
    return credentials


async def test_application_default_credentials_refresh_near_expiry(
    emulator: Emulator, fake_adc: _FakeCredentials
) -> None:
    adapter = create_adapter(
        "vertex", AdapterConfig(model="text-plain", base_url=emulator.url, options=dict(PLACE))
    )
    headers: dict[str, str] = {}
    await adapter.authorize("POST", "", headers, b"")  # type: ignore[attr-defined]
    assert headers["authorization"] == f"Bearer {TOKEN}-1"
    assert fake_adc.scopes_asked == [  # type: ignore[attr-defined]
        ["https://www.googleapis.com/auth/cloud-platform"]
    ]
    assert fake_adc.refreshed_in and fake_adc.refreshed_in[0] != threading.main_thread().name
    await adapter.authorize("POST", "", headers, b"")  # type: ignore[attr-defined]
    assert len(fake_adc.refreshed_in) == 1  # valid for an hour: cached
    fake_adc.expiry = _now() + timedelta(minutes=2)  # within the margin: refreshed first
    await adapter.authorize("POST", "", headers, b"")  # type: ignore[attr-defined]
    assert headers["authorization"] == f"Bearer {TOKEN}-2"
    await adapter.aclose()


async def test_application_default_credentials_through_the_client(
    fake_adc: _FakeCredentials,
) -> None:
    fake_adc.token, fake_adc.expiry = TOKEN, _now() + timedelta(hours=1)
    async with Emulator(api_key=TOKEN) as emulator:
        assert await _call("vertex", emulator, options=dict(PLACE)) == "Hello, world!"
        assert _last(emulator).headers["Authorization"] == f"Bearer {TOKEN}"
    assert fake_adc.refreshed_in == []


def test_without_google_auth_adc_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from rillet.providers.vertex import _auth

    monkeypatch.setitem(sys.modules, "google.auth", types.ModuleType("google.auth"))
    monkeypatch.setitem(sys.modules, "google.auth.exceptions", None)
    with pytest.raises(ConfigurationError, match=r"rillet\[vertex\]"):
        _auth._load_default_credentials()


async def test_tokens_never_reach_a_repr_an_error_or_a_log(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "ya29.secret-token-never-shown"
    config = AdapterConfig(model="m", options={**PLACE, "access_token": secret})
    adapter = create_adapter("vertex", config)
    assert secret not in repr(config) and secret not in repr(adapter)
    assert "my-project" not in repr(adapter)  # the project names who pays
    await adapter.aclose()
    caplog.set_level("DEBUG")
    with pytest.raises(AuthenticationError) as caught:
        await _call("vertex", emulator, max_retries=0, options={**PLACE, "access_token": secret})
    error = caught.value
    shown = [str(error), repr(error), json.dumps(error.headers), caplog.text]
    assert all(secret not in text for text in shown)
    assert redact_headers({"Authorization": f"Bearer {secret}"}) == {"Authorization": REDACTED}
    assert secret not in redact_text(f"sent Authorization: Bearer {secret} to Vertex")


async def test_the_json_array_form_at_vertex(emulator: Emulator) -> None:
    options = {**PLACE, "access_token": TOKEN, "sse": False}
    assert await _call("vertex", emulator, options=options) == "Hello, world!"
    sent = _last(emulator)
    assert "alt" not in sent.query
    assert (sent.reply.content_type or "").startswith("application/json")


async def test_the_emulator_wants_a_bearer_token_at_vertex_paths(emulator: Emulator) -> None:
    import aiohttp

    path = "/v1/projects/p/locations/l/publishers/google/models/text-plain:streamGenerateContent"
    async with (
        aiohttp.ClientSession() as session,
        # a key where Vertex wants a token: as good as none
        session.post(emulator.url + path, json={}, headers={"x-goog-api-key": TOKEN}) as reply,
    ):
        assert reply.status == 401
        assert (await reply.json())["error"]["status"] == "UNAUTHENTICATED"

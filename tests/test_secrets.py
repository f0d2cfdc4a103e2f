"""Keys never reach an exception message, a repr or a log line, whatever the server echoes."""

from __future__ import annotations

import json
import logging

import pytest

from rillet import AuthenticationError, LLMClient, RilletError
from rillet.testing.fault_server import FaultServer, Reply

SECRET = "sk-proj-SECRET0123456789abcdef"

PROVIDERS = ["openai", "openai-responses", "anthropic", "gemini"]


def _base_url(provider: str, url: str) -> str:
    return f"{url}/v1" if provider.startswith("openai") else url


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_key_echoed_in_a_401_body_is_scrubbed(
    provider: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="rillet")
    echo = {"error": {"message": f"Incorrect API key provided: {SECRET}", "type": "auth"}}
    async with FaultServer() as server:
        server.script(
            Reply(status=401, body=json.dumps(echo).encode(), content_type="application/json")
        )
        async with LLMClient(
            provider=provider, model="m", api_key=SECRET, base_url=_base_url(provider, server.url)
        ) as client:
            assert SECRET not in repr(client) and SECRET not in repr(client.adapter)
            with pytest.raises(AuthenticationError) as caught:
                await client.call("hi")
        sent = server.requests[0]
    assert SECRET in " ".join(sent.headers.values())  # it was sent, in a header
    assert SECRET not in "".join(f"{k}={v}" for k, v in sent.query.items())
    error = caught.value
    for text in (str(error), repr(error), json.dumps(error.body), caplog.text):
        assert SECRET not in text


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_key_absent_from_mid_stream_failures_and_logs(
    provider: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="rillet")
    async with FaultServer() as server:
        server.script(Reply(body=b"data: {\n\n" * 3, truncate_after=5))
        async with LLMClient(
            provider=provider, model="m", api_key=SECRET, base_url=_base_url(provider, server.url)
        ) as client:
            with pytest.raises(RilletError) as caught:
                await client.call("hi")
    error = caught.value
    assert error.partial is not None
    assert SECRET not in str(error) and SECRET not in repr(error)
    assert SECRET not in repr(getattr(error, "frames", ""))
    assert SECRET not in caplog.text

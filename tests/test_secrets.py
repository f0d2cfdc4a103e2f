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


@pytest.mark.parametrize(
    "secrets",
    [
        ("Bearer sk-live-0123456789abcdef", "sk-live-0123456789abcdef"),
        ("sk-live-0123456789abcdef", "Bearer sk-live-0123456789abcdef", "other-secret-9876543210"),
    ],
)
def test_the_secret_watch_fires_on_any_secret_whole_or_across_two_reads(
    secrets: tuple[str, ...],
) -> None:
    from rillet.transport._stream import _SecretWatch

    for secret in secrets:
        body = f'data: {{"text": "a {secret} b"}}'.encode()
        for cut in range(1, len(body)):
            # The second read goes on with the frame the first began.
            watch = _SecretWatch(secrets)
            found = watch.found_in(body[:cut], False) or watch.found_in(body[cut:], True)
            assert found, (secret, cut)
        # Dripped three bytes a read: the edges span several reads.
        watch = _SecretWatch(secrets)
        reads = [body[i : i + 3] for i in range(0, len(body), 3)]
        assert any(watch.found_in(read, i > 0) for i, read in enumerate(reads)), secret
        # Whole events, as a live stream's reads are (each ends a frame): the secret in the
        # first, or in a later one.
        event = body + b"\n\n"
        assert _SecretWatch(secrets).found_in(event, False)
        watch = _SecretWatch(secrets)
        assert not watch.found_in(b'data: {"text": "a"}\n\n', False)
        assert watch.found_in(event, False)
        watch = _SecretWatch(secrets)  # a read that begins with it, after one that ended a frame
        assert not watch.found_in(b"data: a\n\n", False)
        assert watch.found_in(secret.encode() + b"\n", False)
        quiet = _SecretWatch(secrets)
        assert not quiet.found_in(b'data: {"text": "sk-live-0123456789abcde"}', False)  # one short
        assert not quiet.found_in(b'data: {"text": "sk-live-0123456789abcde"}\n\n', True)

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
    from rillet.transport._stream import _watch_for

    watch = _watch_for(secrets)
    assert _watch_for(tuple(secrets)) is watch  # one per set of secrets, shared by the streams

    def found(reads: list[bytes], partial: bool = True) -> bool:
        """Reads in order, each leaving the decoder ``partial`` (a frame goes on) or not."""
        tail = b""
        for read in reads:
            if watch.found_in(read, tail):
                return True
            tail = watch.tail_after(tail, read, partial)
        return False

    for secret in secrets:
        body = f'data: {{"text": "a {secret} b"}}'.encode()
        for cut in range(1, len(body)):
            # The second read goes on with the frame the first began.
            assert found([body[:cut], body[cut:]]), (secret, cut)
        # Dripped one and three bytes a read: the edges span several reads.
        assert found([body[i : i + 1] for i in range(len(body))]), secret
        assert found([body[i : i + 3] for i in range(0, len(body), 3)]), secret
        # Whole events, as a live stream's reads are (each ends a frame): the secret in the
        # first, or in a later one.
        event = body + b"\n\n"
        assert found([event], partial=False)
        assert found([b'data: {"text": "a"}\n\n', event], partial=False)
        assert not watch.found_in(b'data: {"text": "a"}\n\n', b"")
        # A read that begins with it, after one that ended a frame.
        assert found([b"data: a\n\n", secret.encode() + b"\n"], partial=False)
        # One byte short, in one read or across two.
        short = b'data: {"text": "sk-live-0123456789abcde"}'
        assert not found([short, short + b"\n\n"])
        # Halves in two frames (the decoder held no frame between them): in nothing shown.
        assert not found([body[: len(body) // 2], body[len(body) // 2 :]], partial=False)

"""BedrockAuth: the region, the choice between a Bedrock API key and SigV4, and requests it
authorizes accepted by a real local server that checks SigV4 as Bedrock does."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import aiohttp
import pytest
import yarl
from aiohttp import web

from rillet import ConfigurationError
from rillet._redact import REDACTED, redact_headers, redact_text, request_secrets
from rillet.conformance.cassettes import find_secrets, recording
from rillet.emulator._sigv4_check import BAD_SIGNATURE, check_signature
from rillet.providers.bedrock._auth import BedrockAuth, resolve_region
from rillet.providers.bedrock._credentials import (
    DefaultCredentials,
    MissingAWSCredentialsError,
    StaticCredentials,
)
from rillet.providers.bedrock._sigv4 import AWSCredentials

KEY_ID, SECRET, TOKEN = (
    "ASIAY34FZKBOKMUTVV7A",
    "s3cr3t/Key+0123456789abcdefghijklmnopqr",
    "t0k3n-session-value",
)
CREDENTIALS = AWSCredentials(KEY_ID, SECRET, TOKEN)
API_KEY = "ABSKQmVkcm9ja0FQSUtleS1leGFtcGxl"
MODEL = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20240620-v1:0"
BODY = '{"messages":[{"role":"user","content":[{"text":"¿qué tal?"}]}]}'.encode()


@pytest.fixture(autouse=True)
def no_aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)


def test_the_region_option_wins_then_aws_region_then_aws_default_region(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    assert resolve_region(None) == "eu-west-1"
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    assert resolve_region(None) == "us-west-2"
    assert resolve_region("ap-southeast-2") == "ap-southeast-2"


def test_no_region_says_how_to_set_one() -> None:
    with pytest.raises(ConfigurationError, match=r"options=\{'region'.*AWS_REGION"):
        resolve_region(None)


@pytest.mark.parametrize(
    "region", ["US-EAST-1", "us-east-1.evil.example", "us east 1", "us-east-1/", "-us", "a--b"]
)
def test_a_region_that_could_not_be_a_host_name_part_is_refused(
    region: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigurationError, match="is not an AWS region"):
        resolve_region(region)
    monkeypatch.setenv("AWS_REGION", region)
    with pytest.raises(ConfigurationError, match="AWS_REGION="):
        resolve_region(None)


async def test_an_api_key_is_a_bearer_token_and_wins_over_credentials() -> None:
    auth = BedrockAuth.resolve(
        api_key=API_KEY, credentials=CREDENTIALS, profile=None, region="us-east-1"
    )
    headers = {"Content-Type": "application/json", "AUTHORIZATION": "stale"}
    await auth.apply("POST", "https://h/model/m/converse-stream", headers, b"{}")
    assert headers == {"Content-Type": "application/json", "authorization": f"Bearer {API_KEY}"}


async def test_fixed_credentials_sign_with_the_region_and_the_clock_given() -> None:
    when = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    auth = BedrockAuth(
        region="eu-central-1", credentials=StaticCredentials(CREDENTIALS), clock=lambda: when
    )
    headers = {"X-Amz-Date": "19990101T000000Z", "X-Amz-Security-Token": "old"}
    await auth.apply("POST", "https://h/model/m/converse-stream", headers, b"{}")
    assert set(headers) == {"x-amz-date", "x-amz-security-token", "authorization"}
    assert headers["x-amz-date"] == "20250102T030405Z"
    assert headers["x-amz-security-token"] == TOKEN
    assert (
        f"Credential={KEY_ID}/20250102/eu-central-1/bedrock/aws4_request"
        in (headers["authorization"])
    )


def test_resolve_picks_the_source() -> None:
    fixed = BedrockAuth.resolve(api_key=None, credentials=CREDENTIALS, profile=None, region="r")
    assert isinstance(fixed._credentials, StaticCredentials)
    source = StaticCredentials(CREDENTIALS)
    given = BedrockAuth.resolve(api_key="", credentials=source, profile=None, region="r")
    assert given._credentials is source
    chain = BedrockAuth.resolve(api_key=None, credentials=None, profile="dev", region="r")
    assert isinstance(chain._credentials, DefaultCredentials)
    assert chain._credentials.profile == "dev"
    with pytest.raises(ConfigurationError, match="not both"):
        BedrockAuth.resolve(api_key=None, credentials=CREDENTIALS, profile="dev", region="r")
    with pytest.raises(ConfigurationError, match="not str"):
        BedrockAuth.resolve(api_key=None, credentials="AKIA...", profile=None, region="r")  # type: ignore[arg-type]


async def test_the_chain_is_looked_at_only_when_a_request_is_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    auth = BedrockAuth.resolve(api_key=None, credentials=None, profile=None, region="us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)  # set after resolve: still found
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    headers: dict[str, str] = {}
    await auth.apply("POST", "https://h/m", headers, b"")
    assert f"Credential={KEY_ID}/" in headers["authorization"]
    empty = BedrockAuth.resolve(api_key=None, credentials=None, profile=None, region="us-east-1")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(MissingAWSCredentialsError):
        await empty.apply("POST", "https://h/m", {}, b"")


async def test_reprs_logs_and_messages_hold_no_secret() -> None:
    signed = BedrockAuth.resolve(api_key=None, credentials=CREDENTIALS, profile=None, region="r")
    keyed = BedrockAuth.resolve(api_key=API_KEY, credentials=None, profile=None, region="r")
    shown = f"{signed!r} {keyed!r} {signed} {keyed}"
    for secret in (SECRET, TOKEN, API_KEY):
        assert secret not in shown
    headers = {"Content-Type": "application/json"}
    await signed.apply("POST", "https://h/m", headers, BODY)
    logged = str(redact_headers(headers))
    assert TOKEN not in logged
    assert KEY_ID not in logged
    assert "Signature=" not in logged
    assert logged.count(REDACTED) == 2  # authorization, x-amz-security-token
    echoed = f"server says: bad token {TOKEN}; {headers['authorization']}"
    assert redact_text(echoed, request_secrets(headers, "https://h/m")) == (
        f"server says: bad token {REDACTED}; {REDACTED}"
    )


@asynccontextmanager
async def _bedrock_door(secrets: dict[str, str]) -> AsyncIterator[tuple[str, list[str]]]:
    """A local server that checks SigV4 on the raw request as received, as Bedrock does."""
    refusals: list[str] = []

    async def handle(request: web.Request) -> web.Response:
        message = check_signature(
            request.method,
            request.raw_path,
            list(request.headers.items()),
            await request.read(),
            secrets=secrets,
        )
        if message is not None:
            refusals.append(message)
            return web.json_response({"message": message}, status=403)
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}", refusals
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("token", [None, TOKEN])
async def test_a_signed_request_is_accepted_by_a_server_checking_sigv4(token: str | None) -> None:
    auth = BedrockAuth.resolve(
        api_key=None,
        credentials=AWSCredentials(KEY_ID, SECRET, token),
        profile=None,
        region="us-east-1",
    )
    async with _bedrock_door({KEY_ID: SECRET}) as (base, refusals):
        url = f"{base}/model/{quote(MODEL, safe='')}/converse-stream?trace=a%2Fb"
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        await auth.apply("POST", url, headers, BODY)
        async with aiohttp.ClientSession() as session:
            # encoded=True: the path goes out exactly as signed, %3A and %2F kept
            sent = await session.post(yarl.URL(url, encoded=True), headers=headers, data=BODY)
            assert sent.status == 200, refusals
            sent.release()
            # yarl left to itself decodes %3A to ':' on the wire: the signature no longer fits
            plain = await session.post(url, headers=headers, data=BODY)
            assert plain.status == 403
            plain.release()
    assert refusals == [BAD_SIGNATURE]


async def test_a_server_knowing_another_secret_refuses() -> None:
    auth = BedrockAuth.resolve(api_key=None, credentials=CREDENTIALS, profile=None, region="r")
    async with _bedrock_door({KEY_ID: SECRET + "x"}) as (base, refusals):
        headers: dict[str, str] = {}
        await auth.apply("POST", f"{base}/model/m/converse-stream", headers, BODY)
        async with aiohttp.ClientSession() as session:
            response = await session.post(
                f"{base}/model/m/converse-stream", headers=headers, data=BODY
            )
            assert response.status == 403
            response.release()
    assert refusals == [BAD_SIGNATURE]


async def test_a_signature_made_six_minutes_ago_is_refused_by_the_server() -> None:
    past = datetime.now(timezone.utc) - timedelta(minutes=6)
    auth = BedrockAuth(region="r", credentials=StaticCredentials(CREDENTIALS), clock=lambda: past)
    async with _bedrock_door({KEY_ID: SECRET}) as (base, refusals):
        headers: dict[str, str] = {}
        await auth.apply("POST", f"{base}/m", headers, BODY)
        async with aiohttp.ClientSession() as session:
            response = await session.post(f"{base}/m", headers=headers, data=BODY)
            assert response.status == 403
            response.release()
    assert refusals[0].startswith("Signature expired: ")


async def test_a_recorded_cassette_holds_no_credential_of_a_signed_request(
    tmp_path: Path,
) -> None:
    auth = BedrockAuth.resolve(api_key=None, credentials=CREDENTIALS, profile=None, region="r")
    path = tmp_path / "bedrock.yaml"
    async with _bedrock_door({KEY_ID: SECRET}) as (base, refusals):
        url = f"{base}/model/{quote(MODEL, safe='')}/converse-stream"
        headers = {"Content-Type": "application/json"}
        await auth.apply("POST", url, headers, BODY)
        with recording(path):
            async with aiohttp.ClientSession() as session:
                response = await session.post(
                    yarl.URL(url, encoded=True), headers=headers, data=BODY
                )
                assert response.status == 200, refusals
                await response.read()
    text = path.read_text(encoding="utf-8")
    assert "converse-stream" in text  # the exchange was recorded
    signature = headers["authorization"].rsplit("Signature=", 1)[1]
    for secret in (SECRET, TOKEN, KEY_ID, signature):
        assert secret not in text
    assert find_secrets(text, [SECRET, TOKEN]) == []

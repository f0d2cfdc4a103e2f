"""The emulator's Bedrock Runtime over real HTTP: the path, SigV4 and API-key auth, Bedrock's
error form, and a stream that botocore's own event-stream parser reads."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from botocore.eventstream import EventStreamBuffer  # type: ignore[import-untyped]
from yarl import URL

from rillet.emulator import Emulator, Faults, Scenario, render
from rillet.emulator._bedrock_route import AWS_TEST_CREDENTIALS
from rillet.emulator._sigv4_check import BAD_SIGNATURE, UNKNOWN_KEY
from rillet.providers.bedrock._sigv4 import AWSCredentials, sign_headers

_TYPE_SUFFIX = ":http://internal.amazon.com/coral/com.amazon.bedrock/"
_NOVA = "amazon.nova-micro-v1:0"
_BODY: dict[str, Any] = {"messages": [{"role": "user", "content": [{"text": "Hi"}]}]}


def _scenario(name: str = _NOVA, **fields: Any) -> Scenario:
    return Scenario(name, text=("Hello", " there"), **fields)


async def _post(
    emulator: Emulator,
    model: str,
    *,
    body: dict[str, Any] | None = None,
    credentials: AWSCredentials | None = None,
    bearer: str | None = None,
    tamper: bytes | None = None,
    path: str | None = None,
    raw: bytes | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One request as a Bedrock client sends it: the model id percent-encoded in the path, the
    body signed with SigV4 (``credentials``, default the emulator's) or a bearer key; ``tamper``
    replaces the body after signing; ``raw``: bytes to send (and sign) instead of JSON."""
    url = emulator.url + (path or f"/model/{quote(model, safe='')}/converse-stream")
    data = raw if raw is not None else json.dumps(_BODY if body is None else body).encode()
    headers = {"content-type": "application/json"}
    if bearer is not None:
        headers["authorization"] = f"Bearer {bearer}"
    else:
        key_id, secret = emulator.aws_credentials
        signing = credentials or AWSCredentials(key_id, secret)
        headers.update(
            sign_headers("POST", url, headers, data, credentials=signing, region="us-east-1")
        )
    async with (
        aiohttp.ClientSession(auto_decompress=False) as session,
        # sent as encoded (yarl would turn %3A back into ':'), as the signature covers it
        session.post(URL(url, encoded=True), data=tamper or data, headers=headers) as response,
    ):
        return response.status, dict(response.headers), await response.read()


def _error(headers: dict[str, str], raw: bytes) -> tuple[str, str]:
    """(x-amzn-ErrorType name, message) of a Bedrock error reply."""
    assert headers["Content-Type"] == "application/json"
    assert len(headers["x-amzn-RequestId"]) == 36
    kind = headers["x-amzn-ErrorType"]
    assert kind.endswith(_TYPE_SUFFIX)
    message: str = json.loads(raw)["message"]
    return kind.removesuffix(_TYPE_SUFFIX), message


async def test_a_signed_request_gets_the_scenario_as_an_event_stream() -> None:
    scenario = _scenario()
    async with Emulator([scenario]) as emulator:
        status, headers, raw = await _post(emulator, _NOVA)
        assert emulator.requests[-1].path == "/model/amazon.nova-micro-v1:0/converse-stream"
    assert status == 200
    assert headers["Content-Type"] == "application/vnd.amazon.eventstream"
    assert len(headers["x-amzn-RequestId"]) == 36
    assert raw == render("bedrock", scenario)[1]
    # botocore's parser checks both CRCs of every message
    parser = EventStreamBuffer()
    parser.add_data(raw)
    messages = list(parser)
    names = [m.headers[":event-type"] for m in messages]
    assert names[0] == "messageStart" and names[-2:] == ["messageStop", "metadata"]
    texts = [json.loads(m.payload)["delta"]["text"] for m in messages[1:3]]
    assert texts == ["Hello", " there"]


async def test_a_model_id_with_a_slash_is_read_percent_decoded() -> None:
    arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-v1"
    async with Emulator([_scenario(arn)]) as emulator:
        status, _, _ = await _post(emulator, arn)
    assert status == 200


async def test_the_emulator_credentials_can_be_chosen() -> None:
    pair = ("AKIAOTHERKEY0EXAMPLE", "another-secret")
    assert pair != AWS_TEST_CREDENTIALS
    async with Emulator([_scenario()], aws_credentials=pair) as emulator:
        assert emulator.aws_credentials == pair
        ok, _, _ = await _post(emulator, _NOVA)
        default = AWSCredentials(*AWS_TEST_CREDENTIALS)
        refused, headers, raw = await _post(emulator, _NOVA, credentials=default)
    assert ok == 200
    assert refused == 403
    assert _error(headers, raw) == ("UnrecognizedClientException", UNKNOWN_KEY)


@pytest.mark.parametrize(
    ("how", "kind", "message"),
    [
        ("wrong-secret", "InvalidSignatureException", BAD_SIGNATURE),
        ("changed-body", "InvalidSignatureException", None),
        ("unknown-key", "UnrecognizedClientException", UNKNOWN_KEY),
    ],
)
async def test_a_bad_signature_is_refused_as_bedrock_refuses_it(
    how: str, kind: str, message: str | None
) -> None:
    key_id, secret = AWS_TEST_CREDENTIALS
    signing = {
        "wrong-secret": AWSCredentials(key_id, secret + "x"),
        "changed-body": None,
        "unknown-key": AWSCredentials("AKIANOTKNOWN0EXAMPLE", secret),
    }[how]
    tamper = b'{"messages": []}' if how == "changed-body" else None
    async with Emulator([_scenario()]) as emulator:
        status, headers, raw = await _post(emulator, _NOVA, credentials=signing, tamper=tamper)
    assert status == 403
    got_kind, got_message = _error(headers, raw)
    assert got_kind == kind
    if message is not None:
        assert got_message == message
    assert secret not in raw.decode()


async def test_no_authorization_at_all() -> None:
    async with Emulator([_scenario()]) as emulator, aiohttp.ClientSession() as session:
        url = f"{emulator.url}/model/{_NOVA}/converse-stream"
        async with session.post(url, json=_BODY) as response:
            status, headers, raw = response.status, dict(response.headers), await response.read()
    assert status == 403
    assert _error(headers, raw) == (
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    )


async def test_a_bedrock_api_key_is_a_bearer_token() -> None:
    async with Emulator([_scenario()], api_key="bedrock-api-key-1") as emulator:
        ok, _, _ = await _post(emulator, _NOVA, bearer="bedrock-api-key-1")
        refused, headers, raw = await _post(emulator, _NOVA, bearer="bedrock-api-key-2")
    assert ok == 200
    assert refused == 403
    assert headers["x-amzn-ErrorType"] == "AccessDeniedException" + _TYPE_SUFFIX
    # "Message", capitalized, as the service words a wrong API key
    assert json.loads(raw) == {
        "Message": "Authentication failed: Please make sure your API Key is valid."
    }


async def test_unknown_models_as_the_service_answers_them() -> None:
    async with Emulator([_scenario()]) as emulator:
        bare = await _post(emulator, "does-not-exist")
        prefixed = await _post(emulator, "anthropic.claude-none-v9:0")
    assert bare[0] == 400  # as in the recorded real bytes
    assert _error(*bare[1:]) == ("ValidationException", "The provided model identifier is invalid.")
    assert prefixed[0] == 404
    assert _error(*prefixed[1:])[0] == "ResourceNotFoundException"


async def test_only_converse_stream_is_served() -> None:
    async with Emulator([_scenario()]) as emulator:
        status, _, raw = await _post(emulator, _NOVA, path=f"/model/{_NOVA}/converse")
    assert status == 404
    assert b"no endpoint" in raw


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (429, "ThrottlingException"),
        (503, "ServiceUnavailableException"),
        (500, "InternalServerException"),
        (408, "ModelTimeoutException"),
    ],
)
async def test_status_faults_come_in_bedrock_error_form(status: int, kind: str) -> None:
    scenario = _scenario(faults=Faults(statuses=(status,), retry_after="0"))
    async with Emulator([scenario]) as emulator:
        first = await _post(emulator, _NOVA)
        second = await _post(emulator, _NOVA)
    assert first[0] == status
    assert first[1]["Retry-After"] == "0"
    assert _error(*first[1:])[0] == kind
    assert second[0] == 200


async def test_a_rule_refusal_is_a_validation_exception() -> None:
    body = {"messages": [{"role": "assistant", "content": [{"text": "Hi"}]}]}
    async with Emulator([_scenario()]) as emulator:
        status, headers, raw = await _post(emulator, _NOVA, body=body)
    assert status == 400
    kind, message = _error(headers, raw)
    assert kind == "ValidationException"
    assert message.startswith("A conversation must start with a user message.")


async def test_a_body_that_is_not_json() -> None:
    async with Emulator([_scenario()]) as emulator:
        status, headers, raw = await _post(emulator, _NOVA, raw=b"{not json")
    assert status == 400
    assert _error(headers, raw) == (
        "ValidationException",
        "Malformed input request, please reformat your input and try again.",
    )

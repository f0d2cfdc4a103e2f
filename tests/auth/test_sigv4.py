"""rillet's SigV4 signs exactly as botocore's own signer does, for every kind of request a
Bedrock client sends: model ids and inference-profile ARNs percent-encoded in the path,
session tokens, non-ASCII and empty bodies, query strings, untidy header values."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rillet.providers.bedrock._sigv4 import (
    TIME_FORMAT,
    AWSCredentials,
    host_of,
    sign_headers,
)

from ._botocore_oracle import botocore_converse_stream_request, botocore_signed

KEY_ID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQ=="
NOW = datetime(2024, 2, 29, 23, 59, 58, tzinfo=timezone.utc)
ENDPOINT = "https://bedrock-runtime.us-east-1.amazonaws.com"
ARN = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20240620-v1:0"
MODELS = (
    "anthropic.claude-3-sonnet-20240229-v1:0",
    "amazon.titan-text-lite-v1",
    ARN,
    "arn:aws:bedrock:eu-west-1::foundation-model/mistral.mistral-large-2402-v1:0",
)


def _url(model: str, query: str = "") -> str:
    # As botocore's serializer builds it: the model id a single path label, all of it encoded.
    return f"{ENDPOINT}/model/{quote(model, safe='')}/converse-stream" + (
        f"?{query}" if query else ""
    )


def _mine(
    url: str,
    headers: dict[str, str],
    body: bytes,
    token: str | None,
    *,
    method: str = "POST",
    now: datetime = NOW,
) -> dict[str, str]:
    credentials = AWSCredentials(KEY_ID, SECRET, token)
    return sign_headers(
        method, url, headers, body, credentials=credentials, region="us-east-1", now=now
    )


_ADDED = ("authorization", "x-amz-date", "x-amz-security-token")


def _theirs(url: str, headers: dict[str, str], body: bytes, token: str | None, **at: Any) -> Any:
    """What botocore's signer adds to the same request (``at``: ``now``, else ``NOW``)."""
    now = at.get("now", NOW)
    signed = botocore_signed(
        "POST", url, headers, body, key_id=KEY_ID, secret=SECRET, token=token,
        region="us-east-1", now=now,
    )  # fmt: skip
    return {name: value for name, value in signed.items() if name in _ADDED}


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("token", [None, TOKEN])
@pytest.mark.parametrize(
    "body",
    [b"", b'{"messages":[]}', '{"text": "naïve café — 日本語 🚀"}'.encode()],
    ids=["empty", "ascii", "non-ascii"],
)
def test_the_signature_is_botocores(model: str, token: str | None, body: bytes) -> None:
    url, headers = _url(model), {"Content-Type": "application/json"}
    mine = _mine(url, headers, body, token)
    assert mine == _theirs(url, headers, body, token)
    assert ("x-amz-security-token" in mine) is (token is not None)


@pytest.mark.parametrize(
    "query",
    ["b=2&a=1", "a=2&a=1", "x=a%2Fb&y=%E2%9C%93", "flag", "z=&a=b%20c", "k=A-Z_a.z~0"],
)
def test_query_strings_are_canonical_as_botocore_makes_them(query: str) -> None:
    url = _url(MODELS[0], query)
    assert _mine(url, {}, b"{}", None) == _theirs(url, {}, b"{}", None)


def test_a_raw_query_is_encoded_as_aws_specifies() -> None:
    # "a/b c" in a URL as written: signed as AWS recomputes it from the decoded value.
    raw = _mine(_url(MODELS[0], "q=a/b c"), {}, b"", None)
    assert raw == _mine(_url(MODELS[0], "q=a%2Fb%20c"), {}, b"", None)


@pytest.mark.parametrize(
    "path",
    ["/model/./x/../m%3A0/converse-stream", "/model//m%3A0///converse-stream", "", "/a/b/"],
)
def test_paths_are_normalized_as_botocore_does(path: str) -> None:
    url = ENDPOINT + path
    assert _mine(url, {}, b"", None) == _theirs(url, {}, b"", None)


def test_header_values_are_trimmed_and_every_header_but_hop_by_hop_ones_is_signed() -> None:
    headers = {"Content-Type": "  application/json  ", "X-Custom": "a    b\tc"}
    headers |= {"Accept": "application/vnd.amazon.eventstream", "User-Agent": "rillet"}
    headers["Connection"] = "keep-alive"
    mine = _mine(_url(MODELS[0]), headers, b"{}", TOKEN)
    assert mine == _theirs(_url(MODELS[0]), headers, b"{}", TOKEN)
    assert (
        "SignedHeaders=accept;content-type;host;x-amz-date;x-amz-security-token;x-custom,"
        in (mine["authorization"])
    )


def test_a_port_other_than_the_default_is_part_of_the_signed_host() -> None:
    url = "http://127.0.0.1:8123/model/m%3A0/converse-stream"
    assert host_of(url) == "127.0.0.1:8123"
    assert host_of("https://Bedrock.example:443/x") == "bedrock.example"
    assert host_of("http://[::1]:9/x") == "[::1]:9"
    assert _mine(url, {}, b"x", None) == _theirs(url, {}, b"x", None)


def test_earlier_auth_headers_are_replaced_not_signed() -> None:
    stale = {"Authorization": "AWS4-HMAC-SHA256 old", "X-Amz-Date": "20000101T000000Z"}
    assert _mine(_url(MODELS[0]), stale, b"{}", TOKEN) == _mine(_url(MODELS[0]), {}, b"{}", TOKEN)


def test_a_callers_payload_hash_header_is_the_payload_hash_as_for_botocore() -> None:
    headers = {"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}
    mine = _mine(_url(MODELS[0]), headers, b"{}", None)
    assert mine == _theirs(_url(MODELS[0]), headers, b"{}", None)


def test_the_time_signed_is_utc_whatever_the_zone_given() -> None:
    elsewhere = NOW.astimezone(timezone(timedelta(hours=-8)))
    naive = NOW.replace(tzinfo=None)
    signed = _mine(_url(MODELS[0]), {}, b"", None, now=elsewhere)
    assert signed == _mine(_url(MODELS[0]), {}, b"", None, now=naive)
    assert signed["x-amz-date"] == "20240229T235958Z"
    assert "/20240229/us-east-1/bedrock/aws4_request" in signed["authorization"]


def test_what_botocores_own_client_sends_is_signed_the_same() -> None:
    for model in (MODELS[0], ARN):
        sent = botocore_converse_stream_request(model, token=TOKEN)
        auth = sent["headers"]["authorization"]
        names = auth.split("SignedHeaders=")[1].split(",")[0].split(";")
        headers = {n: sent["headers"][n] for n in names if n not in ("host", "x-amz-date")}
        headers.pop("x-amz-security-token", None)
        now = datetime.strptime(sent["headers"]["x-amz-date"], TIME_FORMAT)
        mine = _mine(sent["url"], headers, sent["body"], TOKEN, now=now)
        assert mine["authorization"] == auth
        assert "%3A" in sent["url"]  # the id went percent-encoded, and was signed so


def test_each_input_changes_the_signature() -> None:
    base = _mine(_url(MODELS[0]), {}, b"{}", None)["authorization"]
    changed = [
        _mine(_url(MODELS[1]), {}, b"{}", None),
        _mine(_url(MODELS[0]), {}, b"{ }", None),
        _mine(_url(MODELS[0]), {"x-a": "1"}, b"{}", None),
        _mine(_url(MODELS[0]), {}, b"{}", None, method="PUT"),
        _mine(_url(MODELS[0]), {}, b"{}", None, now=NOW + timedelta(seconds=1)),
        sign_headers(
            "POST",
            _url(MODELS[0]),
            {},
            b"{}",
            credentials=AWSCredentials(KEY_ID, SECRET + "x"),
            region="us-east-1",
            now=NOW,
        ),
        sign_headers(
            "POST",
            _url(MODELS[0]),
            {},
            b"{}",
            credentials=AWSCredentials(KEY_ID, SECRET),
            region="us-west-2",
            now=NOW,
        ),
    ]
    signatures = {c["authorization"].rsplit("Signature=", 1)[1] for c in changed}
    assert len(signatures) == len(changed)
    assert base.rsplit("Signature=", 1)[1] not in signatures


def test_the_repr_of_credentials_shows_neither_the_secret_nor_the_token() -> None:
    credentials = AWSCredentials(KEY_ID, SECRET, TOKEN, NOW)
    shown = f"{credentials!r} {credentials}"
    assert SECRET not in shown
    assert TOKEN not in shown
    assert KEY_ID in shown


_MODEL_IDS = st.text(st.characters(codec="utf-8"), min_size=1, max_size=40)


@settings(max_examples=150, deadline=None)
@given(
    model=_MODEL_IDS,
    body=st.binary(max_size=300),
    token=st.one_of(
        st.none(),
        st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=30),
    ),
    seconds=st.integers(min_value=0, max_value=10**9),
)
def test_any_model_id_and_body_is_signed_as_botocore_signs_it(
    model: str, body: bytes, token: str | None, seconds: int
) -> None:
    now = datetime(1990, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=seconds)
    url, headers = _url(model), {"Content-Type": "application/json"}
    assert _mine(url, headers, body, token, now=now) == _theirs(url, headers, body, token, now=now)

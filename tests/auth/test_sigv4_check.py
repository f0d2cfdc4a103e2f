"""The emulator accepts what rillet signs and refuses, with Bedrock's own 403 messages, a
wrong secret, an unknown key, a changed byte of the body, path, query or a signed header, and
a time more than 5 minutes off."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import quote, urlsplit

import pytest

from rillet.emulator._sigv4_check import (
    BAD_SIGNATURE,
    MISSING_TOKEN,
    UNKNOWN_KEY,
    check_signature,
    error_type,
)
from rillet.providers.bedrock._sigv4 import AWSCredentials, sign_headers

KEY_ID, SECRET, TOKEN = (
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    "tok-123",
)
SECRETS = {KEY_ID: SECRET, "AKIDOTHER": "other-secret"}
NOW = datetime(2025, 7, 14, 20, 14, 19, tzinfo=timezone.utc)
MODEL = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20240620-v1:0"
URL = f"http://127.0.0.1:8080/model/{quote(MODEL, safe='')}/converse-stream"
BODY = '{"messages":[{"role":"user","content":[{"text":"héllo"}]}]}'.encode()


def _signed(
    *,
    secret: str = SECRET,
    url: str = URL,
    body: bytes = BODY,
    when: datetime = NOW,
    token: str | None = TOKEN,
) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "Host": "127.0.0.1:8080"}
    credentials = AWSCredentials(KEY_ID, secret, token)
    headers.update(
        sign_headers(
            "POST", url, headers, body, credentials=credentials, region="us-east-1", now=when
        )
    )
    return headers


def _path_qs(url: str = URL) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _check(
    headers: dict[str, str], *, path_qs: str = _path_qs(), body: bytes = BODY, now: datetime = NOW
) -> str | None:
    return check_signature("POST", path_qs, headers, body, secrets=SECRETS, now=now)


@pytest.mark.parametrize("token", [None, TOKEN])
def test_a_request_signed_by_rillet_is_accepted(token: str | None) -> None:
    assert _check(_signed(token=token)) is None
    url = URL + "?b=1&a=%2F"
    assert _check(_signed(url=url), path_qs=_path_qs(url)) is None
    # headers as an aiohttp server lists them: pairs, names in any case
    pairs = [(name.title(), value) for name, value in _signed().items()]
    assert check_signature("POST", _path_qs(), pairs, BODY, secrets=SECRETS, now=NOW) is None


def test_a_wrong_secret_is_refused_as_bedrock_does() -> None:
    message = _check(_signed(secret=SECRET[:-1] + "x"))
    assert message == BAD_SIGNATURE
    assert message.startswith("The request signature we calculated does not match")
    assert error_type(message) == "InvalidSignatureException"


def test_one_changed_byte_of_the_body_path_or_a_signed_header_is_refused() -> None:
    headers = _signed()
    assert _check(headers, body=BODY.replace(b"h", b"H", 1)) == BAD_SIGNATURE
    assert _check(headers, body=BODY + b" ") == BAD_SIGNATURE
    assert _check(headers, path_qs=_path_qs().replace("v1%3A0", "v2%3A0")) == BAD_SIGNATURE
    assert _check(headers, path_qs=_path_qs().replace("%3A", ":")) == BAD_SIGNATURE
    assert _check(headers, path_qs=_path_qs() + "?a=1") == BAD_SIGNATURE
    assert _check({**headers, "Content-Type": "text/plain"}) == BAD_SIGNATURE
    assert _check({**headers, "x-amz-security-token": "tok-124"}) == BAD_SIGNATURE
    with_method = check_signature("PUT", _path_qs(), headers, BODY, secrets=SECRETS, now=NOW)
    assert with_method == BAD_SIGNATURE
    # an unsigned header may change (a proxy adds one): still accepted
    assert _check({**headers, "User-Agent": "proxy/1.0", "X-Forwarded-For": "10.0.0.1"}) is None


def test_a_signed_header_missing_from_the_request_is_refused() -> None:
    headers = _signed()
    del headers["Content-Type"]
    assert _check(headers) == BAD_SIGNATURE


def test_an_unknown_access_key_is_an_unrecognized_client() -> None:
    headers = _signed()
    headers["authorization"] = headers["authorization"].replace(KEY_ID, "AKIAUNKNOWN000000000")
    message = _check(headers)
    assert message == UNKNOWN_KEY == "The security token included in the request is invalid."
    assert error_type(message) == "UnrecognizedClientException"


def test_a_date_more_than_five_minutes_away_is_refused() -> None:
    headers = _signed()
    assert _check(headers, now=NOW + timedelta(minutes=5)) is None
    assert _check(headers, now=NOW - timedelta(minutes=5)) is None
    expired = _check(headers, now=NOW + timedelta(minutes=5, seconds=1))
    assert expired == (
        "Signature expired: 20250714T201419Z is now earlier than 20250714T201420Z "
        "(20250714T201920Z - 5 min.)"
    )
    early = _check(headers, now=NOW - timedelta(minutes=10))
    assert early == (
        "Signature not yet current: 20250714T201419Z is still later than 20250714T200919Z "
        "(20250714T200419Z + 5 min.)"
    )
    assert error_type(expired) == error_type(early) == "InvalidSignatureException"


def test_a_missing_or_malformed_authorization_is_refused() -> None:
    headers = _signed()
    no_auth = {k: v for k, v in headers.items() if k != "authorization"}
    assert _check(no_auth) == MISSING_TOKEN
    assert error_type(MISSING_TOKEN) == "MissingAuthenticationTokenException"
    for bad in ("Bearer abcdefgh", "AWS4-HMAC-SHA256 Credential=x", "AWS4-HMAC-SHA256"):
        message = _check({**headers, "authorization": bad})
        assert message is not None
        assert message.startswith("Authorization header requires")
    no_date = {k: v for k, v in headers.items() if k != "x-amz-date"}
    assert _check(no_date) is not None


def test_the_scope_must_be_bedrocks_and_match_the_date() -> None:
    headers = _signed()
    other_service = headers["authorization"].replace("/bedrock/", "/s3/")
    assert "correct service: 'bedrock'" in str(_check({**headers, "authorization": other_service}))
    other_day = headers["authorization"].replace("/20250714/", "/20250713/")
    assert "Date in Credential scope does not match" in str(
        _check({**headers, "authorization": other_day})
    )


def test_refusals_never_quote_a_secret_or_the_signature() -> None:
    headers = _signed(secret="wrong-secret-value")
    signature = headers["authorization"].rsplit("=", 1)[1]
    for message in (_check(headers), _check(headers, now=NOW + timedelta(hours=1))):
        assert message is not None
        for secret in (SECRET, "wrong-secret-value", TOKEN, signature):
            assert secret not in message

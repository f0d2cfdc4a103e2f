"""Redaction: each credential header kind, each key shape, URL credentials, secrets by value."""

from __future__ import annotations

import base64
import json

import pytest
import yarl
from hypothesis import given, settings
from hypothesis import strategies as st

from rillet import LLMClient
from rillet._redact import (
    CREDENTIAL_HEADERS,
    KEY_SHAPES,
    REDACTED,
    _mask,
    _may_hold_key,
    header_secrets,
    is_credential_header,
    redact_headers,
    redact_text,
    redact_url,
    redact_value,
    request_secrets,
    url_secrets,
)

# One name per word of the rule, none of them in CREDENTIAL_HEADERS, each saying one word only.
NAMED_BY_WORD = {
    "key": "X-Service-Key",
    "apikey": "x-apikey",
    "token": "X-Amz-Security-Token",
    "secret": "x-client-secret",
    "auth": "x-auth-user",
    "authorization": "X-Forwarded-Authorization",
    "cookie": "x-session-cookie",
    "signature": "X-Hub-Signature-256",
    "credential": "x-credential",
    "credentials": "x_credentials",
    "organization": "x-organization-id",
    "project": "X-Project",
}

NOT_CREDENTIALS = [
    "content-type",
    "x-request-id",
    "x-ratelimit-remaining-tokens",  # a count of tokens, not a token
    "anthropic-ratelimit-input-tokens-limit",
    "x-monkey",
    "www-authenticate",
    "keep-alive",
]


@pytest.mark.parametrize("name", sorted(CREDENTIAL_HEADERS))
def test_every_listed_header_is_a_credential_in_any_case(name: str) -> None:
    assert is_credential_header(name) and is_credential_header(name.upper())


@pytest.mark.parametrize("provider", ["openai", "openai-responses", "anthropic", "gemini"])
def test_the_headers_each_adapter_sends_its_key_in_are_listed(provider: str) -> None:
    adapter = LLMClient(provider=provider, model="m", api_key="k").adapter
    headers = adapter.headers("opaque-key-123")  # type: ignore[attr-defined]
    names = {name.lower() for name, value in headers.items() if "opaque-key-123" in value}
    assert names and names <= CREDENTIAL_HEADERS


@pytest.mark.parametrize("word", NAMED_BY_WORD)
def test_a_header_whose_name_says_a_credential_word_is_one(word: str) -> None:
    name = NAMED_BY_WORD[word]
    assert name.lower() not in CREDENTIAL_HEADERS
    assert is_credential_header(name)
    assert redact_headers({name: "opaque"}) == {name: REDACTED}


@pytest.mark.parametrize("name", NOT_CREDENTIALS)
def test_other_headers_are_not_credentials(name: str) -> None:
    assert not is_credential_header(name)
    assert redact_headers([(name, "plain value")]) == {name: "plain value"}


def test_redact_headers_also_redacts_key_shapes_in_other_headers() -> None:
    key = "sk-proj-" + "Ab3dEf6hIj9kLm2nOp5q"
    shown = redact_headers({"Authorization": f"Bearer {key}", "X-Note": f"sent {key}"})
    assert shown == {"Authorization": REDACTED, "X-Note": f"sent {REDACTED}"}


# (text with a secret, what is left after redaction)
SHAPES = {
    "openai-legacy": ("key sk-0123456789abcdefABCDEF.", f"key {REDACTED}."),
    "openai-project": ("key sk-proj-Ab3dEf6hIj9kLm2nOp5q!", f"key {REDACTED}!"),
    "openai-service-account": ("sk-svcacct-Ab3dEf6hIj9kLm2nOp5q", REDACTED),
    "anthropic-short": ("x-api-key: sk-ant-abcdefgh12", f"x-api-key: {REDACTED}"),
    "google": ('"AIzaSyD4k8Lm2Nq6Rt0Vx3Zb5D4k8Lm2N"', f'"{REDACTED}"'),
    "aws-key-id": (
        "Credential=AKIAIOSFODNN7EXAMPLE/20240101/us-east-1/bedrock/aws4_request",
        f"Credential={REDACTED}/20240101/",
    ),
    "aws-temporary-key-id": ("key ASIAY34FZKBOKMUTVV7A: denied", f"key {REDACTED}: denied"),
    "aws-presigned-token": (
        "/m?X-Amz-Security-Token=IQoJb3JpZ2luX2Vj%2F&X-Amz-Signature=fe5f80f77d5fa3",
        f"/m?X-Amz-Security-Token={REDACTED}&X-Amz-Signature={REDACTED}",
    ),
    "bearer": ("Authorization: Bearer eyJhbGciOiJI.payload.sig==", f"Bearer {REDACTED}"),
    "bearer-any-case": ("BEARER opaque~token/value", f"BEARER {REDACTED}"),
    "query-key": ("GET /m?key=hunter22&alt=sse", f"GET /m?key={REDACTED}&alt=sse"),
    "query-and-key": ("GET /m?alt=sse&key=hunter22#top", f"GET /m?alt=sse&key={REDACTED}#top"),
    "query-api-key": ("/v1?api-key=hunter22", f"/v1?api-key={REDACTED}"),
    "query-api_key": ("/v1?x=1&API_KEY=hunter22 failed", f"/v1?x=1&API_KEY={REDACTED} failed"),
    "query-access-token": ("/v1?access_token=hunter22", f"/v1?access_token={REDACTED}"),
    "query-token": ("/v1;token=hunter22", f"/v1;token={REDACTED}"),
    "url-password": (
        "https://ann:hunter22@proxy.example/p",
        f"https://ann:{REDACTED}@proxy.example/p",
    ),
    "url-password-only": ("redis://:hunter22@cache:6379", f"redis://:{REDACTED}@cache:6379"),
}


@pytest.mark.parametrize("kind", SHAPES)
def test_each_key_shape_is_redacted_keeping_what_names_it(kind: str) -> None:
    text, expected = SHAPES[kind]
    redacted = redact_text(text)
    assert expected in redacted
    assert KEY_SHAPES.search(redacted) is None
    assert redact_text(redacted) == redacted  # the marker is no key shape


@pytest.mark.parametrize(
    "text",
    [
        "sk-learn and task-based risk-free work",
        "the bearer of news; a 'Bearer' header",
        "AIza alone",
        "https://x.example/?monkey=1&keyboard=2",
        "http://host:8080/path@v2",
        "mail ann@example.com",
        "sk-ant-short",
        "AKIA alone, AKIDEXAMPLE, ASIAN food, AKIAIOSFODNN7EXAMPLEX",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact_text(text) == text


def test_redact_url_takes_text_or_a_yarl_url() -> None:
    url = "https://ann:pw@g.example/v1/m:streamGenerateContent?alt=sse&key=AIzaSECRET#frag"
    expected = (
        f"https://ann:{REDACTED}@g.example/v1/m:streamGenerateContent?alt=sse&key={REDACTED}#frag"
    )
    assert redact_url(url) == expected
    assert redact_url(yarl.URL(url)) == expected


def test_a_secret_given_by_value_is_redacted_whatever_its_shape() -> None:
    secret = "correct-horse-battery-staple"
    assert redact_text(f"bad credential {secret}!", [secret]) == f"bad credential {REDACTED}!"
    assert secret in redact_text(f"bad credential {secret}!")  # no key shape: only by value


def test_the_longest_secret_goes_first_and_empty_ones_are_ignored() -> None:
    short, long = "opaque-secret", "opaque-secret-and-more"
    assert redact_text(f"[{long}]", [short, long, ""]) == f"[{REDACTED}]"
    assert redact_text("plain", [""]) == "plain"


def test_header_secrets_are_the_credentials_sent() -> None:
    headers = {
        "Authorization": "Bearer opaque-token-1",
        "x-goog-api-key": "opaque-key-2",
        "x-api-key": "short",  # too short to look for in a body without hitting words
        "content-type": "application/json",
    }
    assert header_secrets(headers) == ["Bearer opaque-token-1", "opaque-token-1", "opaque-key-2"]


def test_header_secrets_decode_a_basic_token_into_its_user_and_password() -> None:
    token = base64.b64encode(b"proxy-user-01:proxy-password-01").decode()
    found = header_secrets({"Proxy-Authorization": f"Basic {token}"})
    assert found == [
        f"Basic {token}",
        token,
        "proxy-user-01:proxy-password-01",
        "proxy-user-01",
        "proxy-password-01",
    ]
    not_base64 = "Basic not*base64!"
    assert header_secrets({"authorization": not_base64}) == [not_base64, "not*base64!"]


def test_url_secrets_are_the_user_password_their_basic_token_and_key_parameters() -> None:
    url = "https://gateway-user:p%40ss-word-1@g.example/v1?key=query-key-123&alt=sse&k=1"
    basic = base64.b64encode(b"gateway-user:p@ss-word-1").decode()
    assert url_secrets(url) == [
        "gateway-user",
        "p%40ss-word-1",
        "p@ss-word-1",
        basic,
        "query-key-123",
    ]
    short = base64.b64encode(b"ann:pw").decode()  # 8 characters: only the token is long enough
    assert url_secrets("https://ann:pw@g.example/?key=short") == [short]
    assert url_secrets("https://g.example/v1") == []
    assert url_secrets("http://[::1/broken") == []


def test_request_secrets_are_also_found_as_json_escapes_them() -> None:
    secret = 'opaque"key\\é-123'
    secrets = request_secrets({"x-api-key": secret}, "https://g.example/v1")
    assert secret in secrets
    echoed = json.dumps({"error": f"bad key {secret}"})
    assert secret not in echoed  # the server's JSON escaped it
    assert redact_text(echoed, secrets) == json.dumps({"error": f"bad key {REDACTED}"})


def test_redact_url_redacts_a_long_user_name_by_value() -> None:
    url = "https://gateway-user-0123:secret-pw@g.example/v1"
    assert redact_url(url) == f"https://{REDACTED}:{REDACTED}@g.example/v1"


def test_redact_value_reaches_every_string_of_a_parsed_body() -> None:
    body = {"error": {"message": "bad opaque-key-123", "opaque-key-123": [1, "opaque-key-123"]}}
    assert redact_value(body, ["opaque-key-123"]) == {
        "error": {"message": f"bad {REDACTED}", REDACTED: [1, REDACTED]}
    }


# Pieces of every key shape, their near misses and the separators around them: random text made
# of these meets each alternative of KEY_SHAPES, whole and cut short, in any case.
_PIECES = [
    "sk-",
    "sk-ant-",
    "proj-",
    "AIza",
    "AKIA",
    "ASIA",
    "bearer",
    "BEARER",
    "Bearer ",
    "bEaReR",
    "?",
    "&",
    ";",
    "key",
    "KEY",
    "Api_Key",
    "token",
    "x-amz-signature",
    "=",
    "://",
    "user:",
    "@",
    " ",
    "\n",
    "abcdefgh",
    "ABCDEFGH12345678",
    "0123456789",
    "-",
    "_",
    "K",
    "ſ",
    "İ",
    REDACTED,
]


@given(st.lists(st.sampled_from(_PIECES) | st.text(max_size=3), max_size=14).map("".join))
@settings(max_examples=3000, deadline=None)
def test_the_fast_path_lets_through_only_text_with_nothing_key_shaped(text: str) -> None:
    # redact_text skips KEY_SHAPES when _may_hold_key says no key can start anywhere in text
    assert KEY_SHAPES.search(text) is None or _may_hold_key(text)
    assert redact_text(text) == KEY_SHAPES.sub(_mask, text)


@pytest.mark.parametrize(
    "text",
    [
        f"sk-proj-{'a' * 20}",
        f"x sk-ant-{'b' * 10}",
        f"AIza{'c' * 24}",
        "id AKIA0123456789ABCDEF.",
        "ASIA0123456789ABCDEF",
        "BeArEr abcdefghij",
        "/v1?KEY=abc",
        "a;x-amz-security-token=abc",
        "https://user:pw@host",
    ],
)
def test_each_key_shape_passes_the_fast_path(text: str) -> None:
    assert _may_hold_key(text) and REDACTED in redact_text(text)

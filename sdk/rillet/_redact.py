"""Keeping credentials out of error messages, logs, reprs and cassettes.

One marker (``REDACTED``) replaces every secret found. Secrets are found three ways:

- by header name: ``is_credential_header``, a name with a word saying key, token, secret,
  auth, authorization, cookie, signature or credential, or naming the account (organization,
  project) that pays;
- by value: the secrets given to ``redact_text``: what a request carried (``request_secrets``:
  its credential headers, and the user, password and ``key=`` of its URL), however the server
  echoes it;
- by shape: ``KEY_SHAPES``, what a provider key, a bearer token, a credential query parameter
  or the password of a URL looks like.

The transport, error messages and the conformance cassettes all redact with these functions,
so nothing here imports the transport or aiohttp.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote, urlsplit

if TYPE_CHECKING:
    import yarl

__all__ = [
    "CREDENTIAL_HEADERS",
    "CREDENTIAL_QUERY_PARAMS",
    "KEY_SHAPES",
    "MIN_SECRET_CHARS",
    "REDACTED",
    "header_secrets",
    "is_credential_header",
    "redact_headers",
    "redact_text",
    "redact_url",
    "redact_value",
    "request_secrets",
    "url_secrets",
]

REDACTED = "[REDACTED]"
"""What a secret is replaced by. No key shape matches it, so redacting twice changes nothing."""

MIN_SECRET_CHARS = 8
"""Shorter credentials are not looked for by value: replacing a short word everywhere would
mangle messages more than it protects (``KEY_SHAPES`` still finds them where they are named)."""

CREDENTIAL_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "x-goog-api-key",
        "api-key",
        "cookie",
        "set-cookie",
        "openai-organization",
        "openai-project",
        "anthropic-organization-id",
        "x-goog-user-project",
    }
)
"""The credential and account headers the providers use (lower case), for tools that take a list
of names (vcrpy's ``filter_headers``); ``is_credential_header`` says yes to each, and to more."""

CREDENTIAL_QUERY_PARAMS = frozenset(
    {
        "key",
        "api_key",
        "api-key",
        "apikey",
        "access_token",
        "access-token",
        "token",
        "x-amz-security-token",
        "x-amz-signature",
    }
)
"""Query parameters that carry a key (Gemini accepts ``?key=``; an AWS presigned URL carries
its session token and signature)."""

_CREDENTIAL_WORDS = frozenset(
    {
        "key",
        "apikey",
        "token",
        "secret",
        "auth",
        "authorization",
        "cookie",
        "signature",
        "credential",
        "credentials",
        "organization",  # not a key, but who pays: no more for a log or a cassette
        "project",
    }
)
# Whole words: ``x-ratelimit-remaining-tokens`` holds a count, not a token.
_WORD = re.compile(r"[a-z0-9]+")

_QUERY_NAMES = "|".join(re.escape(n) for n in sorted(CREDENTIAL_QUERY_PARAMS, key=len)[::-1])
_NOT_MARKED = rf"(?!{re.escape(REDACTED)})"

KEY_SHAPES = re.compile(
    # The first character is tested once, before the alternatives: most characters start none.
    "(?=[sAbB?&;:])(?:"
    + "|".join(
        (
            r"\bsk-ant-[A-Za-z0-9_\-]{8,}",  # Anthropic
            r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{16,}",  # OpenAI
            r"\bAIza[0-9A-Za-z_\-]{20,}",  # Google
            r"\bA(?:KIA|SIA)[A-Z0-9]{16}\b",  # AWS access key id (long-term, temporary)
            r"(?P<bearer>\b(?i:bearer)\s+)[A-Za-z0-9._~+/\-]{8,}=*",
            rf"(?P<param>[?&;](?i:{_QUERY_NAMES})=){_NOT_MARKED}[^&#;\s'\"]+",
            rf"(?P<userinfo>://[^/@\s:]*:){_NOT_MARKED}[^/@\s]+(?=@)",
        )
    )
    + ")"
)
"""What a secret looks like: an Anthropic, OpenAI or Google key, an AWS access key id, a bearer
token, the value of a credential query parameter, the password in ``scheme://user:password@``.
A named group (``bearer``, ``param``, ``userinfo``) holds what stays in front of the secret."""

_PARAM_START = re.compile(rf"[?&;](?i:{_QUERY_NAMES})=")


def _may_hold_key(text: str) -> bool:
    """Whether ``KEY_SHAPES`` could match in ``text``: each of its alternatives holds one of
    these. Plain substring tests, and one pattern that starts with a character class, run some
    3x faster than ``KEY_SHAPES`` on text with no key in it (a response's headers, mostly),
    which the engine tries at every position."""
    return (
        "sk-" in text
        or "AIza" in text
        or "AKIA" in text
        or "ASIA" in text
        or "://" in text
        or "bearer" in text.lower()  # no other character is "b", "e", "a" or "r" ignoring case
        or _PARAM_START.search(text) is not None
    )


def is_credential_header(name: str) -> bool:
    """Whether the header ``name`` (any case) carries a credential or an account id."""
    return not _CREDENTIAL_WORDS.isdisjoint(_WORD.findall(name.lower()))


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with each of ``secrets`` (the longest first) and everything key-shaped replaced
    by ``REDACTED``; what names a secret (``Bearer``, ``key=``, ``user:``) is kept."""
    for secret in sorted(filter(None, secrets), key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    if not _may_hold_key(text):  # nearly always: no key-shaped text at all
        return text
    return KEY_SHAPES.sub(_mask, text)


def redact_headers(
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    secrets: Iterable[str] = (),
) -> dict[str, str]:
    """A copy of ``headers`` fit for a log line: the values of credential headers replaced by
    ``REDACTED``, ``secrets`` and key-shaped text in the others. Repeated names keep their
    last value."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    secrets = tuple(secrets)
    return {
        name: REDACTED if is_credential_header(name) else redact_text(value, secrets)
        for name, value in items
    }


def redact_url(url: str | yarl.URL) -> str:
    """``url`` as text, its user, password, credential query parameters and keys redacted."""
    text = str(url)
    return redact_text(text, url_secrets(text))


def redact_value(value: object, secrets: Iterable[str] = ()) -> object:
    """``value`` (a parsed JSON body: dicts, lists, strings) with ``redact_text`` applied to
    every string in it, keys included; other values as they are."""
    secrets = tuple(secrets)
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, dict):
        return {
            redact_value(key, secrets): redact_value(item, secrets) for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact_value(item, secrets) for item in value]
    return value


def header_secrets(headers: Mapping[str, str]) -> list[str]:
    """The credentials sent in ``headers``: the values of credential headers, the token after
    ``Bearer`` or ``Basic``, and the user and password a ``Basic`` token encodes (each of
    ``MIN_SECRET_CHARS`` or more), to redact by value wherever a server echoes them."""
    secrets: list[str] = []
    for name, value in headers.items():
        if not is_credential_header(name):
            continue
        scheme, _, token = value.partition(" ")
        scheme = scheme.lower()
        found = [value, token] if token and scheme in ("bearer", "basic") else [value]
        if scheme == "basic":
            found += _basic_credentials(token.strip())
        secrets += [s for s in found if len(s) >= MIN_SECRET_CHARS]
    return secrets


def url_secrets(url: str) -> list[str]:
    """The credentials in ``url``: its user and password (as written and decoded, and as the
    ``Basic`` token that carries them), and the values of its credential query parameters,
    each of ``MIN_SECRET_CHARS`` or more."""
    try:
        parts = urlsplit(url)
    except ValueError:  # not a URL at all: KEY_SHAPES still looks at it
        return []
    found: list[str] = []
    if "@" in parts.netloc:
        user, _, password = parts.netloc.rpartition("@")[0].partition(":")
        found += [user, unquote(user), password, unquote(password)]
        basic = f"{unquote(user)}:{unquote(password)}".encode()
        found.append(base64.b64encode(basic).decode("ascii"))
    found += [
        value
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if name.lower() in CREDENTIAL_QUERY_PARAMS
    ]
    return [s for s in dict.fromkeys(found) if len(s) >= MIN_SECRET_CHARS]


def request_secrets(headers: Mapping[str, str], url: str) -> tuple[str, ...]:
    """Everything a request carries that a server may echo and nothing may show: its header
    and URL credentials, each also as JSON escapes it (a server echoes it inside JSON)."""
    found = header_secrets(headers) + url_secrets(url)
    escaped = [json.dumps(secret)[1:-1] for secret in found]
    return tuple(dict.fromkeys(found + escaped))


def _basic_credentials(token: str) -> list[str]:
    try:
        decoded = base64.b64decode(token, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return []
    user, _, password = decoded.partition(":")
    return [decoded, user, password]


def _mask(match: re.Match[str]) -> str:
    kept = match.group("bearer") or match.group("param") or match.group("userinfo") or ""
    return kept + REDACTED

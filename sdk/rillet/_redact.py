"""Keeping credentials out of error messages, logs, reprs and cassettes.

One marker (``REDACTED``) replaces every secret found. Secrets are found three ways:

- by header name: ``is_credential_header``, a name with a word saying key, token, secret,
  auth, authorization, cookie, signature or credential, or naming the account (organization,
  project) that pays;
- by value: the secrets given to ``redact_text`` (the keys that were sent);
- by shape: ``KEY_SHAPES``, what a provider key, a bearer token, a credential query parameter
  or the password of a URL looks like.

The transport, error messages and the conformance cassettes all redact with these functions,
so nothing here imports the transport or aiohttp.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import yarl

__all__ = [
    "CREDENTIAL_HEADERS",
    "CREDENTIAL_QUERY_PARAMS",
    "KEY_SHAPES",
    "REDACTED",
    "header_secrets",
    "is_credential_header",
    "redact_headers",
    "redact_text",
    "redact_url",
]

REDACTED = "[REDACTED]"
"""What a secret is replaced by. No key shape matches it, so redacting twice changes nothing."""

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
    {"key", "api_key", "api-key", "apikey", "access_token", "access-token", "token"}
)
"""Query parameters that carry a key (Gemini accepts ``?key=``)."""

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
            r"(?P<bearer>\b(?i:bearer)\s+)[A-Za-z0-9._~+/\-]{8,}=*",
            rf"(?P<param>[?&;](?i:{_QUERY_NAMES})=){_NOT_MARKED}[^&#;\s'\"]+",
            rf"(?P<userinfo>://[^/@\s:]*:){_NOT_MARKED}[^/@\s]+(?=@)",
        )
    )
    + ")"
)
"""What a secret looks like: an Anthropic, OpenAI or Google key, a bearer token, the value of a
credential query parameter, the password in ``scheme://user:password@``. A named group
(``bearer``, ``param``, ``userinfo``) holds what stays in front of the secret."""


def is_credential_header(name: str) -> bool:
    """Whether the header ``name`` (any case) carries a credential or an account id."""
    return not _CREDENTIAL_WORDS.isdisjoint(_WORD.findall(name.lower()))


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with each of ``secrets`` (the longest first) and everything key-shaped replaced
    by ``REDACTED``; what names a secret (``Bearer``, ``key=``, ``user:``) is kept."""
    for secret in sorted(filter(None, secrets), key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return KEY_SHAPES.sub(_mask, text)


def redact_headers(
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
) -> dict[str, str]:
    """A copy of ``headers`` fit for a log line: the values of credential headers replaced by
    ``REDACTED``, key-shaped text in the others too. Repeated names keep their last value."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    return {
        name: REDACTED if is_credential_header(name) else redact_text(value)
        for name, value in items
    }


def redact_url(url: str | yarl.URL) -> str:
    """``url`` as text, its credential query parameters, password and keys redacted."""
    return redact_text(str(url))


def header_secrets(headers: Mapping[str, str]) -> list[str]:
    """The credentials sent in ``headers`` (values of 8 characters or more, and the token after
    ``Bearer`` or ``Basic``), to redact by value wherever a server echoes them."""
    secrets: list[str] = []
    for name, value in headers.items():
        if is_credential_header(name) and len(value) >= 8:
            secrets.append(value)
            scheme, _, token = value.partition(" ")
            if token and scheme.lower() in ("bearer", "basic") and len(token) >= 8:
                secrets.append(token)
    return secrets


def _mask(match: re.Match[str]) -> str:
    kept = match.group("bearer") or match.group("param") or match.group("userinfo") or ""
    return kept + REDACTED

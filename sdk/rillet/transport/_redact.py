"""Keeping API keys out of logs, reprs and error messages."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import yarl

__all__ = ["REDACTED", "SENSITIVE_HEADERS", "redact_headers", "redact_text", "redact_url"]

REDACTED = "[REDACTED]"

SENSITIVE_HEADERS = frozenset(
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
    }
)

# Query parameters that carry credentials (Gemini accepts ``?key=``), and URL user-info.
_QUERY_SECRET = re.compile(r"(?i)([?&;](?:key|api[-_]?key|access[-_]?token|token)=)[^&#;\s'\"]*")
_USERINFO = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^/@\s:]*:)[^/@\s]*@")


def redact_headers(
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
) -> dict[str, str]:
    """A copy of ``headers`` fit for a log line: credential values replaced by ``[REDACTED]``.

    Names are matched case-insensitively; repeated names keep their last value.
    """
    items = headers.items() if isinstance(headers, Mapping) else headers
    return {name: REDACTED if name.lower() in SENSITIVE_HEADERS else value for name, value in items}


def redact_url(url: str | yarl.URL) -> str:
    """``url`` as text with credential query parameters (``key=``...) and passwords redacted."""
    return redact_text(str(url))


def redact_text(text: str) -> str:
    """Redact every URL credential found anywhere in ``text`` (e.g. a foreign error message)."""
    if "=" in text:
        text = _QUERY_SECRET.sub(rf"\g<1>{REDACTED}", text)
    if "@" in text:
        text = _USERINFO.sub(rf"\g<1>{REDACTED}@", text)
    return text

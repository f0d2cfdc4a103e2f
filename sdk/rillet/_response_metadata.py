"""What rillet keeps from a response's headers: the request id, the rate limits, and the headers
themselves with every credential removed.

The transport reads them once per response (for a stream and for an error status alike), the
HTTP adapter puts them on the stream's ``start`` chunk, and the accumulator copies them into the
``LLMResponse``. Pure: nothing here imports the transport.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from rillet._redact import is_credential_header, redact_text
from rillet.protocol import RateLimit
from rillet.rate_limit import RATE_LIMIT_HEADERS, parse_rate_limit

__all__ = ["ResponseMetadata", "kept_headers", "read_metadata", "request_id_of"]


@dataclass(frozen=True, slots=True)
class ResponseMetadata:
    """The request id, rate limits and credential-free headers of one HTTP response."""

    request_id: str | None = None
    rate_limit: RateLimit | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def fields(self) -> dict[str, object]:
        """The ``start`` chunk's (and the ``LLMResponse``'s) fields that hold this metadata."""
        return {
            "request_id": self.request_id,
            "rate_limit": self.rate_limit,
            "headers": self.headers,
        }


def request_id_of(headers: Mapping[str, str], secrets: Collection[str] = ()) -> str | None:
    """The provider's request id: ``x-request-id`` (OpenAI), ``request-id`` (Anthropic) or
    ``x-amzn-requestid`` (Bedrock), redacted (a server may echo anything in a header)."""
    found = _request_id(headers)
    return None if found is None else redact_text(found, secrets)


def _request_id(headers: Mapping[str, str]) -> str | None:
    return (
        headers.get("x-request-id") or headers.get("request-id") or headers.get("x-amzn-requestid")
    )


def read_metadata(headers: Mapping[str, str], secrets: Collection[str] = ()) -> ResponseMetadata:
    """The metadata of a response with ``headers`` (a case-insensitive mapping such as aiohttp's,
    or names in lower case); ``secrets`` are the credentials that were sent, redacted wherever a
    server echoes them."""
    kept = kept_headers(headers.items(), secrets)
    return ResponseMetadata(
        request_id=_request_id(kept),  # redacted already, with the rest of the kept headers
        # Most responses carry none: a set operation says so (the names are in lower case).
        rate_limit=None if RATE_LIMIT_HEADERS.isdisjoint(kept) else parse_rate_limit(kept),
        headers=kept,
    )


def kept_headers(
    headers: Iterable[tuple[str, str]], secrets: Collection[str] = ()
) -> dict[str, str]:
    """``headers`` fit to keep: names in lower case, credential headers (cookies, keys, account
    ids: ``is_credential_header``) left out, the ``secrets`` and key-shaped text redacted in the
    others; a repeated name's values are joined with ``", "``."""
    kept: dict[str, str] = {}
    for name, value in headers:
        key = _kept_name(name)
        if key is not None:
            kept[key] = f"{kept[key]}, {value}" if key in kept else value
    # One pass over all values: a header value never holds a line break (HTTP forbids it), so
    # the lines map back one to one.
    text = "\n".join(kept.values())
    redacted = redact_text(text, secrets)
    if redacted == text:  # nothing to redact, as in nearly every response: kept as read
        return kept
    values = redacted.split("\n")
    if len(values) != len(kept):  # a secret with a line break in it: value by value
        values = [redact_text(value, secrets) for value in kept.values()]
    return dict(zip(kept, values, strict=True))


@functools.lru_cache(maxsize=1024)
def _kept_name(name: str) -> str | None:
    """``name`` in lower case, or None for a credential header (``is_credential_header``);
    remembered: the same few dozen names come with every response."""
    key = name.lower()
    return None if is_credential_header(key) else key

"""AWS Signature Version 4 over the exact bytes sent: pure functions, no I/O.

    headers.update(sign_headers("POST", url, headers, body, credentials=creds, region="us-east-1"))

What AWS specifies (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv4-create-signed-request.html)
and botocore does for ``bedrock-runtime``, output for output (the tests compare with
``botocore.auth.SigV4Auth``):

- the canonical path is the URL's path as sent, its dot segments and repeated slashes removed,
  then percent-encoded once more: a model id arrives in the URL already encoded
  (``v1%3A0``) and is signed as ``v1%253A0``, as AWS does for every service but S3. So the
  URL must go on the wire exactly as given here (aiohttp: ``yarl.URL(url, encoded=True)``);
- the canonical query: each name and value decoded and encoded again as AWS specifies
  (botocore's output for an encoded URL), the pairs sorted;
- every header given is signed (but hop-by-hop ones and ``user-agent``, as botocore), names
  lower case and sorted, values trimmed with inner runs of whitespace collapsed, ``host`` taken
  from the URL unless given;
- the payload hash is the SHA-256 of the exact body. No ``x-amz-content-sha256`` header is
  added: botocore adds one only where payload signing is off, never for bedrock-runtime (a
  caller's own such header is honoured as the payload hash, as botocore does).

Written here with ``hmac`` and ``hashlib`` because no well-kept pure SigV4 library exists that
the runtime could depend on: botocore's signer is synchronous, tied to its own request type and
brings the whole of botocore; the others are unmaintained or framework-bound.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import quote, unquote, urlsplit

__all__ = [
    "ALGORITHM",
    "TIME_FORMAT",
    "UNSIGNED_HEADERS",
    "AWSCredentials",
    "canonical_request",
    "host_of",
    "sign_headers",
    "signature",
    "string_to_sign",
]

ALGORITHM = "AWS4-HMAC-SHA256"
TIME_FORMAT = "%Y%m%dT%H%M%SZ"

UNSIGNED_HEADERS = frozenset(
    {
        "authorization",  # the signature itself
        "baggage",
        "connection",
        "expect",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "traceparent",
        "tracestate",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "user-agent",
        "x-amzn-trace-id",
    }
)
"""Headers left out of the signature: botocore's list (proxies and tracers change them on the
way) and ``authorization``."""

_ADDED = frozenset({"authorization", "x-amz-date", "x-amz-security-token"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class AWSCredentials:
    """An AWS access key (``access_key_id``, ``secret_access_key``), with the
    ``session_token`` of temporary credentials and when they expire (``expiry``, aware UTC).
    The secret and the token never show in the repr."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)
    expiry: datetime | None = None


def sign_headers(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    credentials: AWSCredentials,
    region: str,
    service: str = "bedrock",
    now: datetime | None = None,
) -> dict[str, str]:
    """The headers that sign a request (``x-amz-date``, ``x-amz-security-token`` with a session
    token, ``authorization``), to add to ``headers``: ``url`` and ``body`` exactly as they
    will be sent, ``now`` the signing time (default: the clock). An ``authorization``,
    ``x-amz-date`` or ``x-amz-security-token`` already in ``headers`` is replaced, not
    signed: remove those names (in any case) before adding these."""
    timestamp = _utc(now or datetime.now(timezone.utc)).strftime(TIME_FORMAT)
    added = {"x-amz-date": timestamp}
    if credentials.session_token:
        added["x-amz-security-token"] = credentials.session_token
    signed = {name: value for name, value in headers.items() if name.lower() not in _ADDED}
    signed.update(added)
    names, canonical = canonical_request(method, url, signed, body)
    scope = f"{timestamp[:8]}/{region}/{service}/aws4_request"
    text = string_to_sign(timestamp, scope, canonical)
    sig = signature(credentials.secret_access_key, timestamp[:8], region, service, text)
    added["authorization"] = (
        f"{ALGORITHM} Credential={credentials.access_key_id}/{scope}, "
        f"SignedHeaders={names}, Signature={sig}"
    )
    return added


def canonical_request(
    method: str,
    url: str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    body: bytes,
) -> tuple[str, str]:
    """The signed header names (``;``-joined) and the canonical request of ``url`` with every
    one of ``headers`` that is signed (``host`` from the URL unless among them); a name
    repeated (as pairs) has its values joined with commas."""
    parts = urlsplit(url)
    values: dict[str, list[str]] = {}
    for name, value in headers.items() if isinstance(headers, Mapping) else headers:
        lname = name.lower().strip()
        if lname not in UNSIGNED_HEADERS:
            values.setdefault(lname, []).append(" ".join(value.split()))
    values.setdefault("host", [host_of(url)])
    names = sorted(values)
    canonical_headers = "".join(f"{n}:{','.join(values[n])}\n" for n in names)
    payload_hash = values.get("x-amz-content-sha256", [hashlib.sha256(body).hexdigest()])[0]
    signed_names = ";".join(names)
    lines = (
        method.upper(),
        quote(_normalized_path(parts.path), safe="/~"),
        _canonical_query(parts.query),
        canonical_headers,
        signed_names,
        payload_hash,
    )
    return signed_names, "\n".join(lines)


def string_to_sign(timestamp: str, scope: str, canonical: str) -> str:
    """What the signing key signs: the algorithm, the time, the scope and the request's hash."""
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{timestamp}\n{scope}\n{digest}"


def signature(secret_access_key: str, date: str, region: str, service: str, text: str) -> str:
    """The hex HMAC of ``text`` under the key derived from the secret for ``date`` (YYYYMMDD),
    ``region`` and ``service``."""
    key = f"AWS4{secret_access_key}".encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def host_of(url: str) -> str:
    """The ``host`` header a client sends for ``url``: lower case, the port unless the
    scheme's default, IPv6 in brackets."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port is not None and parts.port != _DEFAULT_PORTS.get(parts.scheme):
        host = f"{host}:{parts.port}"
    return host


def _utc(moment: datetime) -> datetime:
    # A naive time is taken as UTC already (botocore's clock gives naive UTC).
    return moment if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _normalized_path(path: str) -> str:
    # RFC 3986 dot-segment removal, and repeated slashes dropped, as AWS wants (not for S3).
    if not path:
        return "/"
    kept: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if kept:
                kept.pop()
        elif segment and segment != ".":
            kept.append(segment)
    first = "/" if path.startswith("/") else ""
    last = "/" if path.endswith("/") and kept else ""
    return first + "/".join(kept) + last


def _canonical_query(query: str) -> str:
    if not query:
        return ""
    # Each name and value decoded, then encoded the one way AWS wants (unreserved characters
    # bare, upper-case hex), then sorted: what the server computes from the query it receives.
    pairs = sorted(
        (_encoded(name), _encoded(value))
        for name, _, value in (pair.partition("=") for pair in query.split("&"))
    )
    return "&".join(f"{name}={value}" for name, value in pairs)


def _encoded(text: str) -> str:
    return quote(unquote(text), safe="-_.~")

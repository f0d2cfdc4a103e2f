"""The emulator's Bedrock door: is a request's SigV4 signature one AWS would accept?

``check_signature`` recomputes the signature with ``rillet.providers.bedrock._sigv4`` (pure,
the same canonical request AWS builds) from the request as received and answers None, or the
message Bedrock sends with its 403. ``error_type`` names the exception that message goes with:

- ``UnrecognizedClientException``: an access key the server does not know;
- ``MissingAuthenticationTokenException``: no ``Authorization`` header at all;
- ``InvalidSignatureException``: everything else (a wrong secret, a changed byte, a time more
  than 5 minutes away from the server's clock, a malformed header).

The messages are AWS's own, as SDK users report them; none quotes a secret or a signature.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from rillet.providers.bedrock._sigv4 import (
    ALGORITHM,
    TIME_FORMAT,
    canonical_request,
    signature,
    string_to_sign,
)

__all__ = [
    "BAD_SIGNATURE",
    "MAX_SKEW",
    "MISSING_TOKEN",
    "UNKNOWN_KEY",
    "check_signature",
    "error_type",
]

MAX_SKEW = timedelta(minutes=5)
"""How far the request's ``x-amz-date`` may be from the server's clock, either way."""

BAD_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details."
)
UNKNOWN_KEY = "The security token included in the request is invalid."
MISSING_TOKEN = "Missing Authentication Token"
_BAD_HASH = "The provided 'x-amz-content-sha256' header does not match what was computed."
_NEEDS = (
    "Authorization header requires 'Credential' parameter. Authorization header requires "
    "'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. "
    "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
)


def check_signature(
    method: str,
    path_qs: str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    body: bytes,
    *,
    secrets: Mapping[str, str],
    now: datetime | None = None,
) -> str | None:
    """None when the SigV4 ``authorization`` of the request (``path_qs``: its path and query
    exactly as received; ``headers``: all of them, pairs where a name repeats) is valid for
    one of ``secrets`` (access key id -> secret access key) at ``now`` (default: the clock),
    else the message Bedrock answers with (see ``error_type``)."""
    pairs = list(headers.items() if isinstance(headers, Mapping) else headers)
    received = {name.lower(): value for name, value in pairs}
    auth = received.get("authorization")
    if auth is None:
        return MISSING_TOKEN
    fields = _fields(auth)
    stamp = received.get("x-amz-date", "")
    if fields is None or stamp == "":
        return _NEEDS
    credential, names, provided = fields
    key_id, _, scope = credential.partition("/")
    date, region, service, terminal = ([*scope.split("/"), "", "", "", ""])[:4]
    if key_id not in secrets:
        return UNKNOWN_KEY
    if terminal != "aws4_request" or scope.count("/") != 3:
        return f"Credential should be scoped to a valid region, not '{region}'. "
    if service != "bedrock":
        return "Credential should be scoped to correct service: 'bedrock'. "
    try:
        sent = datetime.strptime(stamp, TIME_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        return _NEEDS
    if date != stamp[:8]:
        return (
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{date}' != '{stamp[:8]}', from '{stamp}'."
        )
    if (late := _too_far(sent, now or datetime.now(timezone.utc))) is not None:
        return late
    if "host" not in names:
        return "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
    claimed = received.get("x-amz-content-sha256")
    if claimed is not None and claimed != hashlib.sha256(body).hexdigest():
        return _BAD_HASH
    signed = [(name, value) for name, value in pairs if name.lower() in names]
    url = f"http://{received.get('host', '')}{path_qs}"
    if urlsplit(url).netloc != received.get("host", ""):  # a path that would move the host
        return BAD_SIGNATURE
    signed_names, canonical = canonical_request(method, url, signed, body)
    if signed_names.split(";") != sorted(names):  # a signed header absent from the request
        return BAD_SIGNATURE
    text = string_to_sign(stamp, scope, canonical)
    expected = signature(secrets[key_id], date, region, service, text)
    return None if hmac.compare_digest(expected, provided) else BAD_SIGNATURE


def error_type(message: str) -> str:
    """The exception type (``x-amzn-ErrorType``, the body's ``__type``) a message of
    ``check_signature`` goes with; every one is a 403."""
    if message == UNKNOWN_KEY:
        return "UnrecognizedClientException"
    if message == MISSING_TOKEN:
        return "MissingAuthenticationTokenException"
    return "InvalidSignatureException"


def _fields(auth: str) -> tuple[str, list[str], str] | None:
    algorithm, _, rest = auth.strip().partition(" ")
    if algorithm != ALGORITHM:
        return None
    parts = dict(part.strip().partition("=")[::2] for part in rest.split(","))
    credential, names, provided = (
        parts.get("Credential"),
        parts.get("SignedHeaders"),
        parts.get("Signature"),
    )
    if not credential or not names or not provided:
        return None
    return credential, names.split(";"), provided


def _too_far(sent: datetime, now: datetime) -> str | None:
    now = now.replace(tzinfo=timezone.utc) if now.tzinfo is None else now
    now = now.astimezone(timezone.utc)
    stamp, current = sent.strftime(TIME_FORMAT), now.strftime(TIME_FORMAT)
    if sent < now - MAX_SKEW:
        earliest = (now - MAX_SKEW).strftime(TIME_FORMAT)
        return f"Signature expired: {stamp} is now earlier than {earliest} ({current} - 5 min.)"
    if sent > now + MAX_SKEW:
        latest = (now + MAX_SKEW).strftime(TIME_FORMAT)
        return (
            f"Signature not yet current: {stamp} is still later than {latest} ({current} + 5 min.)"
        )
    return None

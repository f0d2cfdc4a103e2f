"""vcrpy cassettes with secrets scrubbed before anything is written.

    with recording(path, secrets=[key]):      # or replaying(path)
        ...  # aiohttp requests (rillet streams) are recorded or played back

Scrubbed by ``rillet._redact``'s rules: credential headers (``Authorization``, ``x-api-key``,
``x-goog-api-key``, ``api-key``, any name saying key, token, secret, ...), cookies both ways,
the providers' organization and project headers, ``key=`` query parameters and the user and
password of the URL, the secrets passed in and every credential a recorded request carried
(``request_secrets``: wherever a response echoes them, in its headers or its body), and
anything key-shaped (``KEY_SHAPES``) left in a URL, a header or a body. ``find_secrets`` scans
a cassette's text for what must never be there.

vcrpy (>= 8.5) reads a streamed aiohttp body whole before the caller sees its first byte, so
only finite streams can be recorded; at replay it hands the body back in one piece, so
``interactions`` gives each exchange to replay through a server at other splits. vcrpy is
imported only when a cassette is used: it is an optional dependency (``rillet[conformance]``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

if TYPE_CHECKING:
    from vcr.cassette import Cassette  # type: ignore[import-untyped]
    from vcr.request import Request  # type: ignore[import-untyped]

from rillet._redact import (
    CREDENTIAL_QUERY_PARAMS,
    KEY_SHAPES,
    REDACTED,
    is_credential_header,
    redact_text,
    request_secrets,
)
from rillet.emulator._bedrock_route import AWS_TEST_CREDENTIALS

__all__ = [
    "CONFORMANCE_MATCH_ON",
    "MATCH_ON",
    "Interaction",
    "environment_secrets",
    "find_secrets",
    "interactions",
    "load",
    "recording",
    "replaying",
    "scrub_text",
    "use_cassette",
]

_TEST_KEYS = ("emulator-key", *AWS_TEST_CREDENTIALS)
"""The emulator's default key and AWS credentials (``rillet.emulator``): scrubbed and looked
for like a key given."""
_UNSTABLE_REQUEST_HEADERS = frozenset({"x-amz-date"})
"""Request headers left out for being a moment's, not a secret: SigV4's signing time (its
``authorization`` and ``x-amz-security-token`` are credential headers), so a cassette
recorded again is the same file and matching never depends on the signature."""

MATCH_ON = ("method", "scheme", "host", "port", "path", "query", "json_body")
"""What a user's cassette matches requests on: the URL, and the JSON body as a value."""
CONFORMANCE_MATCH_ON = ("method", "path", "query")
"""What a conformance cassette matches on: not the emulator's port, which changes from run to
run, nor the body, which differs between adapters speaking the same wire."""


def scrub_text(text: str, secrets: Sequence[str] = ()) -> str:
    """``text`` with each secret, the emulator's key and everything key-shaped redacted."""
    return redact_text(text, (*secrets, *_TEST_KEYS))


def find_secrets(text: str, secrets: Sequence[str] = ()) -> list[str]:
    """Every secret and key-shaped string in ``text`` (empty for a clean cassette)."""
    found = [secret for secret in (*secrets, *_TEST_KEYS) if secret and secret in text]
    return found + [match.group() for match in KEY_SHAPES.finditer(text)]


def _scrub_bytes(body: object, secrets: Sequence[str]) -> object:
    if isinstance(body, bytes):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return body
        return scrub_text(text, secrets).encode("utf-8")
    if isinstance(body, str):
        return scrub_text(body, secrets)
    return body


def _scrub_uri(uri: str, secrets: Sequence[str], origin: str | None) -> str:
    parts = urlsplit(uri)
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in CREDENTIAL_QUERY_PARAMS
    ]
    scheme, netloc = (parts.scheme, parts.netloc.rpartition("@")[2])
    if origin is not None:
        scheme, _, netloc = origin.partition("://")
    return scrub_text(urlunsplit((scheme, netloc, parts.path, urlencode(query), "")), secrets)


def scrub_request(
    request: Request, *, secrets: Sequence[str] = (), origin: str | None = None
) -> Request:
    """vcrpy's ``before_record_request`` (vcrpy passes a copy)."""
    secrets = (*secrets, *request_secrets(request.headers, request.uri))
    request.headers = {
        name: scrub_text(value, secrets)
        for name, value in request.headers.items()
        if not is_credential_header(name) and name.lower() not in _UNSTABLE_REQUEST_HEADERS
    }
    request.uri = _scrub_uri(request.uri, secrets, origin)
    request.body = _scrub_bytes(request.body, secrets)
    return request


def scrub_response(
    response: dict[str, Any], *, secrets: Sequence[str] = (), drop: Sequence[str] = ()
) -> dict[str, Any]:
    """vcrpy's ``before_record_response``; ``drop`` names more headers to leave out."""
    response = dict(response)
    dropped = {name.lower() for name in drop}
    response["headers"] = {
        name: [scrub_text(str(v), secrets) for v in values]
        for name, values in response.get("headers", {}).items()
        if not is_credential_header(name) and name.lower() not in dropped
    }
    body = dict(response.get("body") or {})
    if "string" in body:
        body["string"] = _scrub_bytes(body["string"], secrets)
    response["body"] = body
    return response


class _Scrubber:
    """vcrpy's two hooks for one cassette. vcrpy hands a response over without its request,
    always after it: the credentials of every request seen so far are scrubbed from the
    responses too, wherever a server echoes them."""

    def __init__(self, secrets: Sequence[str], origin: str | None, drop: Sequence[str]) -> None:
        self._secrets = list(secrets)
        self._origin = origin
        self._drop = tuple(drop)

    def request(self, request: Request) -> Request:
        for secret in request_secrets(request.headers, request.uri):
            if secret not in self._secrets:
                self._secrets.append(secret)
        return scrub_request(request, secrets=self._secrets, origin=self._origin)

    def response(self, response: dict[str, Any]) -> dict[str, Any]:
        return scrub_response(response, secrets=self._secrets, drop=self._drop)


def json_body(r1: Request, r2: Request) -> None:
    """A vcrpy matcher: JSON bodies equal as values (key order and spacing aside)."""
    assert _body_value(r1.body) == _body_value(r2.body), "request bodies differ"


_MARKER_0_1 = "REDACTED"
"""How rillet 0.1 marked a scrubbed secret in a body; its cassettes still match."""


def _body_value(body: object) -> object:
    if isinstance(body, bytes):
        body = body.replace(REDACTED.encode(), _MARKER_0_1.encode())
    elif isinstance(body, str):
        body = body.replace(REDACTED, _MARKER_0_1)
    if isinstance(body, (bytes, str)):
        try:
            return json.loads(body)
        except ValueError:
            return body
    return body


def make_vcr(
    *,
    record_mode: str,
    secrets: Sequence[str] = (),
    origin: str | None = None,
    match_on: Sequence[str] = MATCH_ON,
    drop: Sequence[str] = (),
) -> Any:
    """A ``vcr.VCR`` with rillet's scrubbing, matching and aiohttp-friendly settings."""
    import vcr  # type: ignore[import-untyped]

    # No vcrpy filter_headers / filter_query_parameters: they would take the credentials out
    # before the scrubber sees them, and then it could not find them echoed in the response.
    scrubber = _Scrubber(secrets, origin, drop)
    config = vcr.VCR(
        record_mode=record_mode,
        match_on=tuple(match_on),
        before_record_request=scrubber.request,
        before_record_response=scrubber.response,
        decode_compressed_response=True,
    )
    config.register_matcher("json_body", json_body)
    return config


@contextmanager
def recording(
    path: Path,
    *,
    secrets: Sequence[str] = (),
    origin: str | None = None,
    match_on: Sequence[str] = MATCH_ON,
    drop: Sequence[str] = (),
) -> Iterator[Cassette]:
    """Record every request into a new cassette at ``path`` (an old one is replaced).

    ``origin`` replaces the scheme and host of every recorded URL; ``drop`` names response
    headers to leave out (``Date``, so that a cassette recorded again is the same file).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    config = make_vcr(
        record_mode="all", secrets=secrets, origin=origin, match_on=match_on, drop=drop
    )
    with config.use_cassette(str(path)) as cassette:
        yield cassette


@contextmanager
def use_cassette(
    path: Path,
    *,
    record_mode: str = "once",
    secrets: Sequence[str] = (),
    match_on: Sequence[str] = MATCH_ON,
) -> Iterator[Cassette]:
    """Record or replay ``path`` in one of vcrpy's modes (``once``: record when the file is
    missing, replay after), scrubbed as ``recording`` scrubs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    config = make_vcr(record_mode=record_mode, secrets=secrets, match_on=match_on)
    with config.use_cassette(str(path)) as cassette:
        yield cassette


def environment_secrets(environ: Mapping[str, str] | None = None) -> list[str]:
    """Values of ``*_API_KEY``, ``*_TOKEN`` and ``*_SECRET`` variables: scrubbed wherever they
    show up in a recording."""
    env = os.environ if environ is None else environ
    names = ("_API_KEY", "_TOKEN", "_SECRET", "_KEY")
    return [v for k, v in env.items() if k.upper().endswith(names) and len(v) >= 8]


@contextmanager
def replaying(path: Path, *, match_on: Sequence[str] = MATCH_ON) -> Iterator[Cassette]:
    """Play ``path`` back; a request it does not hold raises instead of reaching the network."""
    config = make_vcr(record_mode="none", match_on=match_on)
    with config.use_cassette(str(path)) as cassette:
        yield cassette


@dataclass(frozen=True)
class Interaction:
    """One recorded exchange, as a server would replay it."""

    method: str
    path: str
    status: int
    headers: Mapping[str, str]
    content_type: str | None
    body: bytes


_HOP_HEADERS = frozenset(
    {
        "content-length",
        "transfer-encoding",
        "content-encoding",
        "content-type",
        "connection",
        "date",
        "server",
    }
)


def load(path: Path) -> dict[str, Any]:
    """A cassette's data, as vcrpy wrote it (read with a safe YAML loader)."""
    import yaml  # type: ignore[import-untyped,unused-ignore]

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def interactions(path: Path) -> list[Interaction]:
    """The exchanges of a cassette, in order."""
    data = load(path)
    out: list[Interaction] = []
    for item in data.get("interactions", []):
        request, response = item["request"], item["response"]
        headers = {
            str(k): str(v[0] if isinstance(v, list) else v) for k, v in response["headers"].items()
        }
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
        body = response.get("body", {}).get("string", b"")
        out.append(
            Interaction(
                method=str(request["method"]),
                path=urlsplit(str(request["uri"])).path,
                status=int(response["status"]["code"]),
                headers={k: v for k, v in headers.items() if k.lower() not in _HOP_HEADERS},
                content_type=content_type,
                body=body.encode("utf-8") if isinstance(body, str) else bytes(body),
            )
        )
    return out

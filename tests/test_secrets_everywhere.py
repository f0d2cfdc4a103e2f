"""No secret survives anywhere a server can echo it, for every built-in provider.

A real local server echoes every credential it received (the key, the extra credential headers,
the URL's user, password and ``?key=``) back in one place per test: an in-stream error event, a
malformed frame, a 200 ``text/html`` page, a 4xx or 5xx body, the response headers, the text of
a stream cut short. The keys are random and shaped like no provider's key, so only redaction by
value can remove them. Then every message, repr, log record, exception chain (``__cause__`` and
``__context__``, their args and attributes), chunk, response dump, error body and frame, and the
vcrpy cassette recorded through ``rillet.conformance.cassettes``, must hold none of them.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from pydantic import BaseModel, ValidationError

from rillet import LLMClient, RilletError, StreamChunk, Timeout
from rillet.conformance.cassettes import CONFORMANCE_MATCH_ON, recording
from rillet.emulator._errors import http_error
from rillet.emulator.render import render
from rillet.emulator.reply_server import Reply, ReplyServer
from rillet.emulator.scenario import Scenario, StreamError
from rillet.registry import AdapterConfig
from rillet.transport._errors import map_exception


def _secret(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex}"  # shaped like no provider's key


KEY = _secret("zz")
PORTKEY = _secret("pk")
GATEWAY = _secret("cf")
UPSTREAM = _secret("up") + '"quoted"'  # JSON escapes it: found escaped too
USER = _secret("user")
PASSWORD = _secret("pw")
QUERY_KEY = _secret("qk")
EXTRA_HEADERS = {
    "x-portkey-api-key": PORTKEY,
    "cf-aig-authorization": f"Bearer {GATEWAY}",
    "X-Upstream-Token": UPSTREAM,
    # not named as a credential, but holding one: found by value
    "x-portkey-config": json.dumps({"provider": "openai", "api_key": KEY}),
}
SECRETS = (
    KEY,
    PORTKEY,
    GATEWAY,
    UPSTREAM,
    USER,
    PASSWORD,
    QUERY_KEY,
    base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode(),
)

# label -> (provider, wire the server speaks, adapter options)
TARGETS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "openai": ("openai", "openai", {}),
    "openai-responses": ("openai-responses", "openai-responses", {}),
    "anthropic": ("anthropic", "anthropic", {}),
    "gemini": ("gemini", "gemini", {}),
    "gemini-json": ("gemini", "gemini-json", {"sse": False}),
}
PLACES = (
    "stream-error",
    "dripped-stream-error",
    "malformed-frame",
    "html-page",
    "4xx-json",
    "4xx-text",
    "5xx-json",
    "headers",
    "cut-stream",
)
# The event name a broken frame comes under, where the wire names its events.
_EVENT_NAMES = {
    "anthropic": "content_block_delta",
    "openai-responses": "response.output_text.delta",
}


def _values(headers: Mapping[str, str], query: Mapping[str, str]) -> list[str]:
    """Every value a request carried: all header values (Basic credentials decoded too) and
    all query values."""
    values = [*headers.values(), *query.values()]
    for value in headers.values():
        scheme, _, token = value.partition(" ")
        if scheme.lower() == "basic":
            values.append(base64.b64decode(token).decode())
    return values


def _echo_reply(wire: str, place: str, echo: str) -> Reply:
    echo_headers = {"x-request-id": echo, "request-id": echo, "retry-after-ms": "0"}
    story = Scenario(name="echo", text=("Hello", " there", f" {echo}"))
    if place in ("stream-error", "dripped-stream-error"):
        failing = dataclasses.replace(
            story,
            text=("Hello", " there"),
            error=StreamError("invalid_request", message=f"bad credentials: {echo}"),
        )
        content_type, body = render(wire, failing)
        # Dripped: cut every 5 bytes, each secret arrives over several reads.
        if place.startswith("dripped"):
            return Reply(body=body, content_type=content_type, chunks=range(5, len(body), 5))
        return Reply(body=body, content_type=content_type)
    if place == "malformed-frame":
        content_type, body = render(wire, story)
        if wire == "gemini-json":  # a well-formed array element that is not a response
            first = body.split(b"\n,")[0]
            broken = json.dumps({"candidates": f"bad credentials: {echo}"}).encode()
            return Reply(body=first + b",\n" + broken + b"]", content_type=content_type)
        first = body.split(b"\n\n")[0] + b"\n\n"
        name = _EVENT_NAMES.get(wire)
        event = f"event: {name}\n" if name else ""
        broken = f'{event}data: {{"bad credentials": "{echo}"\n\n'.encode()
        return Reply(body=first + broken, content_type=content_type)
    if place == "html-page":
        page = f"<html><body><h1>Sign in</h1><p>{echo}</p></body></html>"
        return Reply(body=page.encode(), content_type="text/html", headers=echo_headers)
    if place == "4xx-json":
        body = http_error(wire, 401, f"bad credentials: {echo}")
        return Reply(status=401, body=body, content_type="application/json", headers=echo_headers)
    if place == "4xx-text":
        body = f"Unauthorized: {echo}".encode()
        return Reply(status=403, body=body, content_type="text/plain", headers=echo_headers)
    if place == "5xx-json":
        body = http_error(wire, 500, f"upstream failed for {echo}")
        return Reply(status=500, body=body, content_type="application/json", headers=echo_headers)
    content_type, body = render(wire, story)
    if place == "headers":
        return Reply(body=body, content_type=content_type, headers=echo_headers)
    assert place == "cut-stream"
    return Reply(body=body, content_type=content_type, truncate_after=len(body) - 3)


class EchoServer(ReplyServer):
    """Answers every request by sending back what it received, in the place the test names."""

    def __init__(self, wire: str, place: str) -> None:
        super().__init__()
        self.wire = wire
        self.place = place
        self.echo: str | None = None
        """What to send back instead of what was received."""

    def reply_for(self, request: web.Request, body: bytes) -> Reply:
        echo = self.echo or " ".join(_values(request.headers, request.query))
        return _echo_reply(self.wire, self.place, echo)


def _base_url(provider: str, server_url: str) -> str:
    host = server_url.removeprefix("http://")
    if provider.startswith("openai"):
        # Bearer auth cannot go with URL credentials (aiohttp refuses both): the key= only.
        return f"http://{host}/v1?key={QUERY_KEY}"
    return f"http://{USER}:{PASSWORD}@{host}?key={QUERY_KEY}"


def _shown(value: object, seen: set[int] | None = None, depth: int = 0) -> Iterator[str]:
    """Every text ``value`` can show: reprs, messages, args and attributes, recursively; for
    an exception, its whole ``__cause__`` / ``__context__`` chain."""
    seen = set() if seen is None else seen
    if value is None or id(value) in seen or depth > 8:
        return
    seen.add(id(value))
    deeper = depth + 1
    if isinstance(value, str):
        yield value
    elif isinstance(value, (bytes, bytearray)):
        yield bytes(value).decode("utf-8", "replace")
    elif isinstance(value, BaseException):
        yield str(value)
        yield repr(value)
        yield from _shown(value.args, seen, deeper)
        yield from _shown(getattr(value, "__dict__", {}), seen, deeper)
        if isinstance(value, ValidationError):
            yield json.dumps(value.errors(), default=repr)
        yield from _shown(value.__cause__, seen, deeper)
        yield from _shown(value.__context__, seen, deeper)
    elif isinstance(value, BaseModel):
        yield repr(value)
        yield value.model_dump_json()
    elif isinstance(value, Mapping):
        yield repr(value)
        for key, item in value.items():
            yield from _shown(key, seen, deeper)
            yield from _shown(item, seen, deeper)
    elif isinstance(value, (list, tuple, set, frozenset)):
        yield repr(value)
        for item in value:
            yield from _shown(item, seen, deeper)
    else:
        yield repr(value)
        if dataclasses.is_dataclass(value):
            for field in dataclasses.fields(value):
                yield from _shown(getattr(value, field.name), seen, deeper)
        yield from _shown(getattr(value, "__dict__", {}), seen, deeper)


_LOOKED_FOR = {form: secret for secret in SECRETS for form in (secret, json.dumps(secret)[1:-1])}


def _leaks(texts: Iterator[str] | list[str]) -> list[str]:
    """The secrets in ``texts``, as sent or as JSON escapes them."""
    return sorted(
        {secret for text in texts for form, secret in _LOOKED_FOR.items() if form in text}
    )


def _log_texts(records: list[logging.LogRecord]) -> Iterator[str]:
    for record in records:
        yield record.getMessage()
        yield repr(record.args)
        if record.exc_info is not None:
            yield logging.Formatter().formatException(record.exc_info)
        yield from _shown(record.exc_info)


class _Seen:
    """What one call showed: its chunks, its response, its error."""

    def __init__(self) -> None:
        self.chunks: list[StreamChunk] = []
        self.responses: list[object] = []
        self.failures: list[BaseException] = []

    async def call(self, client: LLMClient) -> None:
        stream = client.stream("hello")
        try:
            async with stream:
                async for chunk in stream:
                    self.chunks.append(chunk)
        except RilletError as error:
            self.failures.append(error)
        self.responses.append(stream.response)


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("target", TARGETS)
async def test_no_secret_reaches_any_message_log_repr_chain_or_cassette(
    target: str,
    place: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    no_leaks: None,
) -> None:
    caplog.set_level(logging.DEBUG, logger="rillet")
    provider, wire, options = TARGETS[target]
    cassette = tmp_path / "echo.yaml"
    seen = _Seen()
    async with EchoServer(wire, place) as server:
        client = LLMClient(
            provider=provider,
            model="echo-model",
            api_key=KEY,
            base_url=_base_url(provider, server.url),
            max_retries=1,
            options={"headers": EXTRA_HEADERS, **options},
        )
        async with client:
            await seen.call(client)  # as it streams
            # and as the conformance recording sees it (vcrpy reads each body whole first)
            with recording(
                cassette,
                origin="http://echo.invalid",
                match_on=CONFORMANCE_MATCH_ON,
                drop=("date", "server"),
            ):
                await seen.call(client)
            shown_client = [repr(client), repr(client.adapter), str(client.adapter)]
        echoed = " ".join(v for r in server.requests for v in _values(r.headers, r.query))
    sent = [KEY, PORTKEY, GATEWAY, UPSTREAM, QUERY_KEY]
    if not provider.startswith("openai"):
        sent += [USER, PASSWORD]
    assert all(secret in echoed for secret in sent), "the server echoes every credential"

    expected = 0 if place == "headers" else 2
    assert len(seen.failures) == expected, seen.failures
    if place == "cut-stream":
        assert seen.failures[0].partial is not None  # type: ignore[attr-defined]
    recorded = cassette.read_text(encoding="utf-8") if cassette.exists() else ""
    assert recorded or place == "cut-stream"  # vcrpy records no body that breaks
    leaks = {
        "client reprs": _leaks(shown_client),
        "chunks": _leaks(_shown(seen.chunks)),
        "responses": _leaks(_shown(seen.responses)),
        "error chains": _leaks(_shown(seen.failures)),
        "log records": _leaks(_log_texts(caplog.records)),
        "log text": _leaks([caplog.text]),
        "cassette": _leaks([recorded]),
    }
    assert leaks == {name: [] for name in leaks}


def test_a_foreign_exception_loses_the_secrets_before_it_becomes_a_cause() -> None:
    failure = aiohttp.ClientConnectionError(f"proxy refused {USER}:{PASSWORD} for {KEY}")
    error = map_exception(
        failure, timeout=Timeout(), body_started=False, secrets=(KEY, USER, PASSWORD)
    )
    assert isinstance(error, RilletError)
    error.__cause__ = failure  # as the transport raises it
    assert _leaks(_shown(error)) == []


def test_the_config_an_adapter_is_built_from_shows_no_credential() -> None:
    config = AdapterConfig(
        model="m",
        api_key=KEY,
        base_url=f"https://{USER}:{PASSWORD}@gateway.example/v1?key={QUERY_KEY}",
        options={"headers": EXTRA_HEADERS},
    )
    assert _leaks([repr(config), str(config)]) == []
    assert "gateway.example" in repr(config) and "x-portkey-api-key" in repr(config)


# Someone else's key, shaped like one: not the request's, so only its shape gives it away (in
# messages and error bodies; frames and the parser's own error keep the bytes as they came).
OTHER_KEY = "sk-proj-" + "Zq8" * 10


@pytest.mark.parametrize("wire", ["openai", "openai-responses", "anthropic", "gemini"])
@pytest.mark.parametrize("place", ["stream-error", "malformed-frame"])
async def test_a_key_shaped_string_from_the_stream_is_redacted_like_an_http_error_body(
    wire: str, place: str, no_leaks: None
) -> None:
    async with EchoServer(wire, place) as server:
        server.echo = OTHER_KEY
        async with LLMClient(
            provider=wire, model="m", api_key=KEY, base_url=_base_url(wire, server.url)
        ) as client:
            seen = _Seen()
            await seen.call(client)
    assert seen.failures
    messages = [(str(e), repr(e), getattr(e, "body", None)) for e in seen.failures]
    errors = [chunk for chunk in seen.chunks if chunk.type == "error"]
    assert OTHER_KEY not in "".join(_shown([errors, messages]))

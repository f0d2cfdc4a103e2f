"""``Emulator``: a real aiohttp server that answers as OpenAI, Anthropic, Gemini and Bedrock do.

    async with Emulator([scenario]) as emulator:
        client = LLMClient(provider="anthropic", base_url=emulator.base_url("anthropic"),
                           api_key=emulator.api_key, model=scenario.name)

Every wire format is served at its real path: ``/v1/chat/completions`` (OpenAI Chat),
``/v1/responses`` (OpenAI Responses), ``/v1/messages`` (Anthropic) and
``/v1beta/models/{model}:streamGenerateContent`` (Gemini: SSE with ``?alt=sse``, else the JSON
array), ``/model/{modelId}/converse-stream`` (Bedrock, SigV4 or its API key, with its own
error form: ``rillet.emulator._bedrock_route``), and the cloud platforms' (Vertex AI's Gemini
and Claude, Azure OpenAI's Chat and Responses) at theirs, with their own credentials
(``_cloud_routes``). The request's model (the body's ``model``, or the path's) picks the
scenario; an unknown model gets the provider's own 404 body. Keys are checked as the real APIs
check them (OpenAI: ``Authorization: Bearer``; Anthropic: ``x-api-key`` or ``Authorization: Bearer``;
Gemini: ``x-goog-api-key`` or ``?key=``), and a missing or wrong key gets the provider's own
error body. Every request is checked against its wire's rules (``rillet.emulator.rules``: what
the real API refuses, such as a tool result that answers no call, or ``temperature`` on Claude
Opus 4.7), and the first refusal is answered with the provider's own 400 body. OpenAI Chat sends its usage chunk only when the request asks for it
(``stream_options.include_usage``), as the real API does. A scenario's ``Faults.statuses``
answer its first attempts (then the sequence starts again for the next call); the reply itself
is played by the ``ReplyServer`` base, byte-level faults included. Replies carry the
provider's request id and rate-limit headers (``_headers``). Every request is recorded.
Requests always get a stream (``stream: false`` too).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from aiohttp import web

from rillet.emulator import _errors
from rillet.emulator._bedrock_route import AWS_TEST_CREDENTIALS, PATH_PREFIX, bedrock_reply
from rillet.emulator._cloud_routes import CloudRoute, cloud_route
from rillet.emulator._headers import provider_headers
from rillet.emulator.render import content_offset, render
from rillet.emulator.reply_server import Reply, ReplyServer
from rillet.emulator.rules import BUILTIN_RULES, Rule, first_refusal
from rillet.emulator.scenario import Scenario
from rillet.emulator.scenarios import BUILTIN_SCENARIOS

__all__ = ["PROVIDERS", "Emulator"]

PROVIDERS = (
    "openai",
    "openai-responses",
    "anthropic",
    "gemini",
    "bedrock",
    "vertex",
    "vertex-anthropic",
    "azure",
    "azure-responses",
)
"""The built-in provider names the emulator speaks for (``base_url`` takes each)."""

_PATHS = {
    "/v1/chat/completions": "openai",
    "/v1/responses": "openai-responses",
    "/v1/messages": "anthropic",
}
_GEMINI_PREFIXES = ("/v1beta/models/", "/v1/models/")
_GEMINI_METHOD = "streamGenerateContent"
_JSON = "application/json"
_ERROR_TYPES = {"openai": _JSON, "anthropic": _JSON, "gemini": "application/json; charset=UTF-8"}


class Emulator(ReplyServer):
    """The server; an async context manager (or ``start()`` / ``stop()``).

    It serves ``BUILTIN_SCENARIOS`` (unless ``builtins=False``) and ``scenarios``, a scenario
    replacing any of the same name. ``api_key=None`` accepts any non-empty key (Bedrock takes it
    as its API key, ``Authorization: Bearer``; SigV4 is checked against ``aws_credentials``).
    ``rules``: the rules each wire's requests must pass (default ``BUILTIN_RULES``; ``{}``
    checks nothing).
    """

    def __init__(
        self,
        scenarios: Iterable[Scenario] = (),
        *,
        api_key: str | None = "emulator-key",
        host: str = "127.0.0.1",
        port: int = 0,
        builtins: bool = True,
        rules: Mapping[str, Sequence[Rule]] | None = None,
        aws_credentials: tuple[str, str] = AWS_TEST_CREDENTIALS,
    ) -> None:
        super().__init__(host=host, port=port)
        self.api_key = api_key
        self.aws_credentials = aws_credentials
        """(access key id, secret access key) that Bedrock's SigV4 signatures must use."""
        self.rules: Mapping[str, Sequence[Rule]] = BUILTIN_RULES if rules is None else rules
        self.scenarios: dict[str, Scenario] = {}
        for scenario in (*(BUILTIN_SCENARIOS if builtins else ()), *scenarios):
            self.add(scenario)
        self._attempts: dict[tuple[str, str], int] = {}

    def add(self, scenario: Scenario) -> None:
        """Serve ``scenario`` under its name (replacing one of the same name)."""
        self.scenarios[scenario.name] = scenario

    def reset(self) -> None:
        """Forget the recorded requests and where each status sequence stands."""
        self.requests.clear()
        self._attempts.clear()

    def base_url(self, provider: str) -> str:
        """What to pass as ``LLMClient(base_url=...)``: with ``/v1`` for OpenAI's APIs, as the
        official SDKs expect, and without it for Anthropic, Gemini, Bedrock and the cloud
        platforms (whose adapters put their own paths after the host)."""
        if provider not in (*PROVIDERS, "gemini-json"):
            raise ValueError(f"the emulator does not speak {provider!r}; it speaks {PROVIDERS}")
        return f"{self.url}/v1" if provider.startswith("openai") else self.url

    def reply_for(self, request: web.Request, body: bytes) -> Reply:
        if request.path.startswith(PATH_PREFIX):
            return bedrock_reply(self, request, body)
        wire, path_model = _route(request)
        cloud = cloud_route(request) if wire is None else None  # Vertex AI, Azure OpenAI
        if isinstance(cloud, Reply):
            return cloud
        if cloud is not None:
            wire, path_model = cloud.wire, cloud.model
        if wire is None:
            if request.method == "GET" and request.path in ("", "/"):
                return self._index()
            text = f"the emulator has no endpoint {request.method} {request.path}"
            return Reply(404, json.dumps({"error": text}).encode(), _JSON)
        key_missing, key = cloud.key(request) if cloud else _key(wire, request)
        if key_missing or (self.api_key is not None and key != self.api_key):
            status, error = _auth_error(cloud, wire, None if key_missing else key)
            return self._error_reply(wire, status, error)
        if wire == "anthropic" and not request.headers.get("anthropic-version"):
            return self._error_reply(wire, 400, _errors.version_missing())
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            return self._error_reply(wire, 400, _errors.http_error(wire, 400))
        if cloud is not None:
            refused = cloud.refusal(payload)
            if refused is not None:
                return self._error_reply(wire, 400, refused)
            payload = cloud.as_wire_body(payload)
        model = path_model if path_model is not None else _body_model(payload)
        scenario = self.scenarios.get(model.removeprefix("models/"))
        if scenario is None:
            return self._error_reply(wire, 404, _errors.not_found(wire, model))
        refusal = first_refusal(self.rules.get(wire, ()), payload, model.removeprefix("models/"))
        if refusal is not None:
            return self._error_reply(wire, 400, _errors.refusal_body(wire, refusal))
        error_status = self._next_status(wire, scenario)
        if error_status is not None:
            return self._status_reply(wire, error_status, scenario)
        if wire in ("openai", "azure") and not _wants_usage(payload):
            scenario = replace(scenario, usage=None)  # OpenAI sends usage only when asked
        if wire.startswith("gemini") and _wants_streamed_arguments(payload):
            scenario = replace(scenario, streamed_arguments=True)
        content_type, data = render(wire, scenario)
        faults = scenario.faults
        return Reply(
            body=data,
            content_type=content_type,
            headers=provider_headers(wire, len(self.requests)),
            chunks=faults.chunks,
            chunk_delay=faults.chunk_delay,
            stall_after=_offset(wire, scenario, faults.stall_after, faults.stall_after_events),
            stall_for=faults.stall_for,
            reset_after=_offset(wire, scenario, faults.reset_after, faults.reset_after_events),
            truncate_after=_offset(
                wire, scenario, faults.truncate_after, faults.truncate_after_events
            ),
        )

    def _next_status(self, wire: str, scenario: Scenario) -> int | None:
        """The error status this attempt gets, if any; the sequence restarts after a success."""
        statuses = scenario.faults.statuses
        if not statuses:
            return None
        key = (wire, scenario.name)
        attempt = self._attempts.get(key, 0)
        self._attempts[key] = (attempt + 1) % (len(statuses) + 1)
        return statuses[attempt] if attempt < len(statuses) else None

    def _status_reply(self, wire: str, status: int, scenario: Scenario) -> Reply:
        faults = scenario.faults
        headers = provider_headers(wire, len(self.requests), status)
        if faults.retry_after is not None:
            headers["Retry-After"] = faults.retry_after
        if faults.retry_after_ms is not None:
            headers["retry-after-ms"] = str(faults.retry_after_ms)
        body = _errors.http_error(wire, status)
        return Reply(
            status, body, _ERROR_TYPES[_errors.family(wire)], headers=headers, content_length=True
        )

    def _error_reply(self, wire: str, status: int, body: bytes) -> Reply:
        content_type = _ERROR_TYPES[_errors.family(wire)]
        headers = provider_headers(wire, len(self.requests), status)
        return Reply(status, body, content_type, headers=headers, content_length=True)

    def _index(self) -> Reply:
        listing = {
            "base_urls": {provider: self.base_url(provider) for provider in PROVIDERS},
            "scenarios": sorted(self.scenarios),
        }
        return Reply(200, json.dumps(listing, indent=2).encode(), _JSON, content_length=True)


def _route(request: web.Request) -> tuple[str | None, str | None]:
    """(wire, the model named in the path) of a request; (None, None) when no API lives there."""
    if request.method != "POST":
        return None, None
    path = request.path
    if path in _PATHS:
        return _PATHS[path], None
    for prefix in _GEMINI_PREFIXES:
        if path.startswith(prefix):
            model, _, method = path[len(prefix) :].partition(":")
            if method != _GEMINI_METHOD or not model:
                return None, None
            wire = "gemini" if request.query.get("alt") == "sse" else "gemini-json"
            return wire, model
    return None, None


def _auth_error(cloud: CloudRoute | None, wire: str, key: str | None) -> tuple[int, bytes]:
    return cloud.auth_error(key) if cloud is not None else _errors.auth_error(wire, key)


def _key(wire: str, request: web.Request) -> tuple[bool, str]:
    """(missing, key) as the provider reads it."""
    headers = request.headers
    kind = _errors.family(wire)
    if kind == "openai":
        key = _bearer(headers)
    elif kind == "anthropic":
        # x-api-key, or the bearer token the official SDKs may send instead
        key = headers.get("x-api-key", "").strip() or _bearer(headers)
    else:
        key = headers.get("x-goog-api-key", "").strip() or request.query.get("key", "").strip()
    return not key, key


def _bearer(headers: Mapping[str, str]) -> str:
    scheme, _, token = headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _offset(wire: str, scenario: Scenario, after: int | None, events: int | None) -> int | None:
    """A fault's byte offset: given in bytes, or after this many content events."""
    if after is not None or events is None:
        return after
    return content_offset(wire, scenario, events)


def _wants_usage(payload: object) -> bool:
    """Whether an OpenAI Chat request asked for usage (``stream_options.include_usage``)."""
    options = payload.get("stream_options") if isinstance(payload, dict) else None
    return isinstance(options, dict) and options.get("include_usage") is True


def _wants_streamed_arguments(payload: object) -> bool:
    """Whether a Gemini request asked for ``partialArgs`` (Gemini 3's streamed arguments)."""
    config = payload.get("toolConfig") if isinstance(payload, dict) else None
    calling = config.get("functionCallingConfig") if isinstance(config, dict) else None
    return isinstance(calling, dict) and calling.get("streamFunctionCallArguments") is True


def _body_model(payload: object) -> str:
    model = payload.get("model") if isinstance(payload, dict) else None
    return model if isinstance(model, str) else ""

"""Every HTTP status from 400 to 599 and every error type a provider declares, sent over HTTP
and inside a 200 stream through the real client, transport and mappers (a real server on
127.0.0.1): the same class, ``code`` and ``retryable`` wherever the error arrives."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio

from rillet import APIError, LLMClient, RilletError
from rillet._error_kinds import NO_ERROR_TYPES, ErrorTypes, classify
from rillet.errors import error_from_chunk, error_to_chunk
from rillet.protocol import ErrorCode
from rillet.providers.anthropic._errors import ERROR_TYPES as ANTHROPIC_TYPES
from rillet.providers.gemini._errors import ERROR_TYPES as GEMINI_TYPES
from rillet.providers.openai_chat._errors import ERROR_TYPES as CHAT_TYPES
from rillet.providers.openai_responses._errors import ERROR_TYPES as RESPONSES_TYPES
from rillet.testing import FaultServer, Reply
from rillet.transport._errors import status_error

in_module_loop = pytest.mark.asyncio(loop_scope="module")  # one server and client per provider

# The decided semantics, written out again as the oracle: class -> (its statuses, code,
# retryable). A status named nowhere is InternalServerError from 500 up, else APIError; for a
# code, its class is the first listed with that code.
ORACLE: dict[str, tuple[tuple[int, ...], str, bool]] = {
    "BadRequestError": ((400,), "invalid_request", False),
    "AuthenticationError": ((401,), "authentication", False),
    "PermissionDeniedError": ((403,), "permission", False),
    "NotFoundError": ((404,), "not_found", False),
    "ConflictError": ((409,), "conflict", True),
    "RequestTooLargeError": ((413,), "request_too_large", False),
    "UnprocessableEntityError": ((422,), "invalid_request", False),
    "RateLimitError": ((429,), "rate_limit", True),
    "OverloadedError": ((502, 503, 529), "overloaded", True),
    "InternalServerError": ((), "server", True),
    "ContentBlockedError": ((), "content_filter", False),
    "ProviderStreamError": ((), "provider", False),
    "APIError": ((), "provider", False),
}
STATUSES = range(400, 600)
# Statuses that name no code of their own, and one that names another: a declared type wins.
OTHER_STATUSES = (418, 503)

Kind = tuple[str, str, bool]


def by_status(status: int) -> Kind:
    name = next((n for n, (codes, _, _) in ORACLE.items() if status in codes), None)
    name = name or ("InternalServerError" if status >= 500 else "APIError")
    return name, ORACLE[name][1], ORACLE[name][2]


def by_code(code: ErrorCode, error_type: str, types: ErrorTypes) -> Kind:
    name = next(n for n, (_, c, _) in ORACLE.items() if c == code.value)
    return name, code.value, ORACLE[name][2] and error_type not in types.not_retryable


def kind_of(error: RilletError) -> Kind:
    return type(error).__name__, error.code, error.retryable


# -- each provider's error bodies, over HTTP and inside a 200 stream ------------------------------


def sse(*events: tuple[str | None, dict[str, Any]]) -> bytes:
    """Server-sent events; a None name sends the data alone."""
    lines = [
        (f"event: {name}\n" if name else "") + f"data: {json.dumps(data)}\n\n"
        for name, data in events
    ]
    return "".join(lines).encode()


def openai_http(status: int, error_type: str | None) -> dict[str, Any]:
    return {"error": {"message": "m", "type": error_type, "param": None, "code": None}}


def openai_chat_streams(status: int | None, error_type: str | None) -> list[bytes]:
    first = {"id": "c", "model": "m", "choices": [{"index": 0, "delta": {"content": "a"}}]}
    error: dict[str, Any] = {"message": "m"}
    if error_type is not None:
        error["type"] = error_type
    if status is not None:
        error["code"] = status  # the status as a numeric code, as OpenRouter sends it
    return [sse((None, first), (None, {"error": error}))]


def openai_responses_streams(status: int | None, error_type: str | None) -> list[bytes]:
    created = {"type": "response.created", "response": {"id": "r", "model": "m"}}
    event = {"type": "error", "code": error_type, "message": "m", "param": None}
    response = {"id": "r", "status": "failed", "error": {"code": error_type, "message": "m"}}
    failed = {"type": "response.failed", "response": response}
    return [
        sse(("response.created", created), ("error", event)),
        sse(("response.created", created), ("response.failed", failed)),
    ]


def anthropic_http(status: int, error_type: str | None) -> dict[str, Any]:
    return {"type": "error", "error": {"type": error_type, "message": "m"}}


def anthropic_streams(status: int | None, error_type: str | None) -> list[bytes]:
    start = {"type": "message_start", "message": {"id": "msg", "model": "m"}}
    error = anthropic_http(0, error_type)
    return [sse(("message_start", start), ("error", error))]


def gemini_http(status: int | None, error_type: str | None) -> dict[str, Any]:
    error: dict[str, Any] = {"message": "m"}
    if status is not None:
        error["code"] = status
    if error_type is not None:
        error["status"] = error_type
    return {"error": error}


def gemini_streams(status: int | None, error_type: str | None) -> list[bytes]:
    first = {"candidates": [{"index": 0, "content": {"parts": [{"text": "a"}]}}]}
    return [sse((None, first), (None, gemini_http(status, error_type)))]


@dataclass(frozen=True)
class Wire:
    provider: str
    types: ErrorTypes
    http_body: Callable[[int, str | None], dict[str, Any]]
    streams: Callable[[int | None, str | None], list[bytes]]
    names_status: bool
    """Whether its in-stream errors can name an HTTP status."""

    def __str__(self) -> str:
        return self.provider


CHAT = Wire("openai", CHAT_TYPES, openai_http, openai_chat_streams, names_status=True)
RESPONSES = Wire(
    "openai-responses", RESPONSES_TYPES, openai_http, openai_responses_streams, names_status=False
)
ANTHROPIC = Wire("anthropic", ANTHROPIC_TYPES, anthropic_http, anthropic_streams, False)
GEMINI = Wire("gemini", GEMINI_TYPES, gemini_http, gemini_streams, names_status=True)
WIRES = [CHAT, RESPONSES, ANTHROPIC, GEMINI]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server() -> AsyncIterator[FaultServer]:
    async with FaultServer() as fault_server:
        yield fault_server


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def clients(server: FaultServer) -> AsyncIterator[dict[str, LLMClient]]:
    made = {
        wire.provider: LLMClient(
            provider=wire.provider, base_url=server.url, api_key="k", model="m", max_retries=0
        )
        for wire in WIRES
    }
    yield made
    for client in made.values():
        await client.aclose()


class Send:
    """Sends one reply through a provider's client and returns the error it raised."""

    def __init__(self, server: FaultServer, clients: dict[str, LLMClient]) -> None:
        self._server, self._clients = server, clients

    async def over_http(
        self, wire: Wire, status: int, error_type: str | None, body: object = None
    ) -> APIError:
        data = json.dumps(body or wire.http_body(status, error_type)).encode()
        reply = Reply(status=status, body=data, content_type="application/json")
        error = await self._raised(wire, reply)
        assert isinstance(error, APIError) and error.status_code == status, repr(error)
        return error

    async def in_stream(
        self, wire: Wire, status: int | None, error_type: str | None
    ) -> list[RilletError]:
        return [
            await self._raised(wire, Reply(body=body)) for body in wire.streams(status, error_type)
        ]

    async def _raised(self, wire: Wire, reply: Reply) -> RilletError:
        self._server.script(reply)
        with pytest.raises(RilletError) as caught:
            await self._clients[wire.provider].call("hi")
        return caught.value


@pytest.fixture
def send(server: FaultServer, clients: dict[str, LLMClient]) -> Send:
    return Send(server, clients)


# -- the tests -------------------------------------------------------------------------------------


@in_module_loop
@pytest.mark.parametrize("status", STATUSES)
async def test_every_status(send: Send, status: int) -> None:
    """Over HTTP for every provider, and inside the stream where the error names its status."""
    got: dict[str, Kind] = {}
    for wire in WIRES:
        got[f"{wire} http"] = kind_of(await send.over_http(wire, status, None))
        if wire.names_status:
            for n, error in enumerate(await send.in_stream(wire, status, None)):
                assert getattr(error, "status_code", None) == status
                got[f"{wire} stream {n}"] = kind_of(error)
    assert got == dict.fromkeys(got, by_status(status))


def _declared(broad: bool) -> list[Any]:
    return [
        pytest.param(wire, error_type, code, id=f"{wire}-{error_type}")
        for wire in WIRES
        for error_type, code in (wire.types.broad if broad else wire.types.codes).items()
    ]


@in_module_loop
@pytest.mark.parametrize(("wire", "error_type", "code"), _declared(broad=False))
async def test_every_declared_type_wins_over_the_status(
    send: Send, wire: Wire, error_type: str, code: ErrorCode
) -> None:
    want = by_code(code, error_type, wire.types)
    for status in OTHER_STATUSES:
        http = await send.over_http(wire, status, error_type)
        assert (kind_of(http), http.error_type) == (want, error_type)
    for error in await send.in_stream(wire, None, error_type):
        assert kind_of(error) == want
        assert getattr(error, "error_type", None) == error_type
    if wire.names_status:
        for status in OTHER_STATUSES:
            for error in await send.in_stream(wire, status, error_type):
                assert kind_of(error) == want


@in_module_loop
@pytest.mark.parametrize(("wire", "error_type", "code"), _declared(broad=True))
async def test_a_broad_type_counts_only_without_a_status(
    send: Send, wire: Wire, error_type: str, code: ErrorCode
) -> None:
    for error in await send.in_stream(wire, None, error_type):
        assert kind_of(error) == by_code(code, error_type, wire.types)
    for status in (400, 401, 503):
        assert kind_of(await send.over_http(wire, status, error_type)) == by_status(status)
        if wire.names_status:
            for error in await send.in_stream(wire, status, error_type):
                assert kind_of(error) == by_status(status)


def test_every_provider_declares_types() -> None:
    # The enumerations above are only as good as the tables they walk: none may be empty.
    assert all(len(wire.types.codes) >= 4 for wire in WIRES)
    assert set(CHAT_TYPES.broad) == {"invalid_request_error", "server_error"}


@in_module_loop
@pytest.mark.parametrize(
    ("wire", "status", "error_type", "name", "retryable"),
    [
        (ANTHROPIC, 500, "overloaded_error", "OverloadedError", True),
        (GEMINI, 429, "RESOURCE_EXHAUSTED", "RateLimitError", True),
        (GEMINI, 503, "UNAVAILABLE", "OverloadedError", True),
        (CHAT, 429, "insufficient_quota", "RateLimitError", False),
        (RESPONSES, 429, "insufficient_quota", "RateLimitError", False),
        (CHAT, 429, "requests", "RateLimitError", True),  # OpenAI's type for an RPM limit
        (CHAT, 503, "server_error", "OverloadedError", True),
        (CHAT, 401, "invalid_request_error", "AuthenticationError", False),
        (ANTHROPIC, 422, "invalid_request_error", "UnprocessableEntityError", False),
    ],
    ids=str,
)
async def test_notable_cases(
    send: Send, wire: Wire, status: int, error_type: str, name: str, retryable: bool
) -> None:
    error = await send.over_http(wire, status, error_type)
    assert (type(error).__name__, error.retryable) == (name, retryable)


_UNREGISTERED = "Method doesn't allow unregistered callers"


@in_module_loop
@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, {"status": "INVALID_ARGUMENT", "details": [{"reason": "API_KEY_INVALID"}]}),
        (403, {"status": "PERMISSION_DENIED", "message": _UNREGISTERED}),
    ],
)
async def test_google_key_rejections_are_authentication_errors(
    send: Send, status: int, error: dict[str, Any]
) -> None:
    body = {"error": {"code": status, "message": "m", **error}}
    http = await send.over_http(GEMINI, status, error["status"], body)
    assert kind_of(http) == ("AuthenticationError", "authentication", False)
    for shape in (body, [body]):  # the JSON-array endpoint wraps its error in an array
        assert classify(status, error["status"], GEMINI_TYPES, shape).cls.__name__ == (
            "AuthenticationError"
        )
    # not for a server error, and not for a provider that is not Google
    assert classify(500, None, GEMINI_TYPES, body).cls.__name__ == "InternalServerError"
    not_google = classify(status, error["status"], NO_ERROR_TYPES, body)
    assert not_google.cls.__name__ == by_status(status)[0]


@pytest.mark.parametrize("status", STATUSES)
def test_an_error_chunk_stands_for_the_same_class(status: int) -> None:
    error = status_error(status, None, {}, b"")
    back = error_from_chunk(error_to_chunk(error))
    assert kind_of(back) == kind_of(error) == by_status(status)
    assert getattr(back, "status_code", None) == status


@pytest.mark.parametrize(
    ("declare", "match"),
    [
        (lambda: ErrorTypes({ErrorCode.timeout: ("t",)}), "not the code of an API error"),
        (lambda: ErrorTypes({ErrorCode.server: ("t",), ErrorCode.overloaded: ("t",)}), "twice"),
        (lambda: ErrorTypes({ErrorCode.server: ("t",)}, broad={ErrorCode.server: ("t",)}), "twice"),
        (lambda: ErrorTypes({}, not_retryable=("t",)), "undeclared"),
        (lambda: CHAT_TYPES.extended({ErrorCode.server: ("server_error",)}), "twice"),
    ],
)
def test_a_wrong_declaration_fails_when_it_is_made(
    declare: Callable[[], object], match: str
) -> None:
    with pytest.raises(TypeError, match=match):
        declare()

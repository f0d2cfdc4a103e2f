"""Pure pieces: Timeout, RetryPolicy and Retry-After parsing, redaction, error mapping."""

from __future__ import annotations

import asyncio
import time
from email.utils import formatdate

import aiohttp
import pytest
from aiohttp.http_exceptions import (
    BadStatusLine,
    ContentEncodingError,
    LineTooLong,
    TransferEncodingError,
)

from rillet import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    ConnectTimeoutError,
    HTTPProtocolError,
    IdleTimeoutError,
    InternalServerError,
    MalformedStreamError,
    NotFoundError,
    OverloadedError,
    PermissionDeniedError,
    RateLimitError,
    RequestTooLargeError,
    StreamInterruptedError,
    TotalTimeoutError,
    UnprocessableEntityError,
)
from rillet._error_kinds import NO_ERROR_TYPES, ErrorTypes
from rillet.providers.anthropic._errors import ERROR_TYPES as ANTHROPIC_TYPES
from rillet.providers.gemini._errors import ERROR_TYPES as GEMINI_TYPES
from rillet.providers.openai_chat._errors import ERROR_TYPES as OPENAI_TYPES
from rillet.transport import Frame, RetryPolicy, Timeout, redact_headers, redact_url
from rillet.transport._errors import map_exception, status_error
from rillet.transport._retry import retry_after
from rillet.transport._timeout import client_timeout


def test_timeout_defaults_and_coerce() -> None:
    assert Timeout() == Timeout(connect=5.0, idle=60.0, total=None)
    assert Timeout.coerce(None) == Timeout()
    assert Timeout.coerce(3) == Timeout(idle=3.0)
    assert Timeout.coerce(0.2) == Timeout(idle=0.2)
    custom = Timeout(connect=1.0, idle=None, total=30.0)
    assert Timeout.coerce(custom) is custom
    with pytest.raises(ConfigurationError, match="timeout must be"):
        Timeout.coerce("5")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="idle"):
        Timeout(idle=0)


def test_timeout_maps_to_aiohttp() -> None:
    client = client_timeout(Timeout(connect=1.0, idle=2.0, total=9.0), 4.0)
    assert (client.sock_connect, client.sock_read, client.total) == (1.0, 2.0, 4.0)


def test_backoff_schedule_and_jitter() -> None:
    policy = RetryPolicy(jitter=0.0)
    assert [policy.backoff(n) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    jittered = RetryPolicy()
    for n in range(5):
        nominal = policy.backoff(n)
        assert all(0.75 * nominal <= jittered.backoff(n) <= nominal for _ in range(50))


def test_policy_rejects_a_negative_retry_count_or_jitter_outside_0_to_1() -> None:
    assert RetryPolicy(max_retries=0, jitter=0.0).max_retries == 0
    assert RetryPolicy(jitter=1.0).jitter == 1.0
    with pytest.raises(ConfigurationError, match=r"^max_retries must be a whole number >= 0"):
        RetryPolicy(max_retries=-1)
    for jitter in (-0.01, 1.01):
        with pytest.raises(ConfigurationError, match=r"^jitter must be between 0 and 1, not "):
            RetryPolicy(jitter=jitter)


def test_retry_follows_the_error_unless_the_server_says_otherwise() -> None:
    policy = RetryPolicy()
    busy, bad = OverloadedError("busy"), BadRequestError("bad")
    assert policy.should_retry(busy, {}) and not policy.should_retry(bad, {})
    assert policy.should_retry(bad, {"x-should-retry": "true"})
    assert not policy.should_retry(busy, {"x-should-retry": "false"})
    assert policy.should_retry(busy, {"x-should-retry": "maybe"})  # not an answer: ignored


def test_retry_after_forms() -> None:
    now = time.time()
    assert retry_after({"retry-after-ms": "250"}) == 0.25
    assert retry_after({"retry-after": "3"}) == 3.0
    assert retry_after({"retry-after": "1.5"}) == 1.5
    assert retry_after({"retry-after-ms": "100", "retry-after": "9"}) == 0.1
    date = formatdate(now + 30, usegmt=True)
    assert 28.0 <= (retry_after({"retry-after": date}, now=now) or 0) <= 31.0
    assert retry_after({"retry-after": formatdate(now - 30, usegmt=True)}) == 0.0
    assert retry_after({"retry-after": "soon"}) is None
    assert retry_after({"retry-after": "-1"}) is None
    assert retry_after({}) is None


def test_delay_honours_retry_after_up_to_the_cap() -> None:
    policy = RetryPolicy(jitter=0.0, max_retry_after=60.0)
    assert policy.delay(0, {"retry-after": "7"}) == 7.0
    assert policy.delay(1, {"retry-after": "60"}) == 60.0  # the cap itself is honoured
    assert policy.delay(1, {"retry-after": "61"}) == 1.0  # over the cap: back-off instead
    assert policy.delay(2, {}) == 2.0
    assert policy.delay(0, None) == 0.5


def test_redact_headers() -> None:
    headers = {
        "Authorization": "Bearer sk-123",
        "x-api-key": "k",
        "X-Goog-Api-Key": "g",
        "api-key": "a",
        "Cookie": "c",
        "OpenAI-Organization": "org",
        "openai-project": "p",
        "content-type": "application/json",
    }
    redacted = redact_headers(headers)
    assert redacted["content-type"] == "application/json"
    assert all(v == "[REDACTED]" for k, v in redacted.items() if k != "content-type")
    assert redact_headers([("X-API-KEY", "k")]) == {"X-API-KEY": "[REDACTED]"}


def test_redact_url() -> None:
    url = "https://g.example/v1/m:streamGenerateContent?alt=sse&key=AIzaSECRET#frag"
    assert (
        redact_url(url)
        == "https://g.example/v1/m:streamGenerateContent?alt=sse&key=[REDACTED]#frag"
    )
    assert "SECRET" not in redact_url("https://x.example/?api_key=SECRET&b=1")
    assert redact_url("https://user:pw@x.example/p") == "https://user:[REDACTED]@x.example/p"
    assert redact_url("https://x.example/?monkey=1") == "https://x.example/?monkey=1"


OPENAI = b'{"error": {"message": "Incorrect API key provided", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}'
ANTHROPIC = b'{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}'
GEMINI = b'{"error": {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED"}}'
GEMINI_503 = (
    b'{"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}}'
)
FORBIDDEN = b'{"error": "forbidden", "code": "no_access"}'
GEMINI_ARRAY = (
    b'[{"error": {"code": 400, "message": "Invalid JSON payload", "status": "INVALID_ARGUMENT"}}]'
)


@pytest.mark.parametrize(
    ("status", "body", "types", "cls", "error_type", "message"),
    [
        (401, OPENAI, OPENAI_TYPES, AuthenticationError, "invalid_request_error", "Incorrect"),
        (529, ANTHROPIC, ANTHROPIC_TYPES, OverloadedError, "overloaded_error", "Overloaded"),
        (429, GEMINI, GEMINI_TYPES, RateLimitError, "RESOURCE_EXHAUSTED", "Quota exceeded"),
        (503, GEMINI_503, GEMINI_TYPES, OverloadedError, "UNAVAILABLE", "The model is overloaded."),
        (400, GEMINI_ARRAY, GEMINI_TYPES, BadRequestError, "INVALID_ARGUMENT", "Invalid JSON"),
        (500, ANTHROPIC, ANTHROPIC_TYPES, OverloadedError, "overloaded_error", "Overloaded"),
        (500, ANTHROPIC, NO_ERROR_TYPES, InternalServerError, "overloaded_error", "Overloaded"),
        (404, b'{"detail": "Not Found"}', NO_ERROR_TYPES, NotFoundError, None, "Not Found"),
        (403, FORBIDDEN, NO_ERROR_TYPES, PermissionDeniedError, "no_access", "forbidden"),
    ],
)
def test_status_error_provider_shapes(
    status: int, body: bytes, types: ErrorTypes, cls: type, error_type: str | None, message: str
) -> None:
    headers = {"x-request-id": "req_1"}
    error = status_error(status, "Reason", headers, body, types=types)
    assert type(error) is cls
    assert error.status_code == status
    assert error.error_type == error_type
    assert message in error.message and f"HTTP {status}" in error.message
    assert error.request_id == "req_1"
    assert isinstance(error.body, (dict, list))


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (413, RequestTooLargeError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, InternalServerError),
        (502, OverloadedError),
        (529, OverloadedError),
    ],
)
def test_status_classes(status: int, cls: type) -> None:
    assert type(status_error(status, None, {}, b"")) is cls


def test_status_error_html_and_empty_bodies() -> None:
    page = (
        b"<html><head><title>502 Bad Gateway</title><style>p{}</style></head><body>"
        + b"x" * 5000
        + b"</body></html>"
    )
    error = status_error(502, "Bad Gateway", {"request-id": "r2"}, page)
    assert isinstance(error, InternalServerError)
    assert error.message.startswith("HTTP 502 Bad Gateway: 502 Bad Gateway")
    assert len(error.message) < 300 and error.message.endswith("...")
    assert error.request_id == "r2" and error.retryable
    assert isinstance(error.body, str)
    empty = status_error(500, "Internal Server Error", {}, b"")
    assert empty.message == "HTTP 500 Internal Server Error: empty body"
    assert empty.body is None


def test_status_error_never_shows_the_key() -> None:
    body = b'{"error": {"message": "bad key sk-live-0123456789 for https://x/?key=AIzaSECRET"}}'
    error = status_error(401, None, {}, body, secrets=["sk-live-0123456789"])
    text = f"{error} {error!r} {error.body}"
    assert "sk-live-0123456789" not in text and "AIzaSECRET" not in text


def test_status_error_hides_key_shaped_text_it_was_not_given() -> None:
    google = "AIzaSy" + "D4k8Lm2Nq6Rt0Vx3Zb5" * 2  # not a key we sent: found by its shape
    body = b'{"error": {"message": "API key not valid: %s", "status": "INVALID_ARGUMENT"}}'
    error = status_error(400, None, {}, body % google.encode())
    assert google not in f"{error} {error!r} {error.body}"
    assert "API key not valid: [REDACTED]" in error.message


def test_map_exception_table() -> None:
    timeout = Timeout(connect=1.0, idle=2.0, total=3.0)
    frames = [Frame(data="a")]

    def mapped(exc: BaseException, started: bool) -> object:
        return map_exception(exc, timeout=timeout, body_started=started, frames=frames)

    foreign = aiohttp.ConnectionTimeoutError("Connection timeout to host http://h/?key=SECRET")
    connect = mapped(foreign, False)
    assert isinstance(connect, ConnectTimeoutError) and connect.retryable and connect.timeout == 1.0
    assert "SECRET" not in f"{connect} {foreign}"  # the cause is scrubbed too
    idle = mapped(aiohttp.SocketTimeoutError(), True)
    assert isinstance(idle, IdleTimeoutError) and not idle.retryable and idle.frames == frames
    before = mapped(aiohttp.SocketTimeoutError(), False)
    assert isinstance(before, IdleTimeoutError) and before.retryable and not before.body_started
    total = mapped(asyncio.TimeoutError(), True)
    assert isinstance(total, TotalTimeoutError) and total.frames == frames
    broken = mapped(aiohttp.ClientPayloadError("Response payload is not completed"), True)
    assert isinstance(broken, StreamInterruptedError) and broken.body_started
    assert not broken.retryable and broken.frames == frames
    reset = mapped(ConnectionResetError(104, "reset"), False)
    assert isinstance(reset, APIConnectionError) and reset.retryable
    assert isinstance(mapped(aiohttp.ServerDisconnectedError(), True), StreamInterruptedError)
    utf8 = mapped(UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad"), True)
    assert isinstance(utf8, MalformedStreamError) and utf8.frames == frames
    decoder_error = MalformedStreamError("bad")
    assert mapped(decoder_error, True) is decoder_error and decoder_error.frames == frames
    assert mapped(asyncio.CancelledError(), True) is None
    assert mapped(KeyError("bug"), True) is None


def _caused(exc: BaseException, cause: BaseException) -> BaseException:
    exc.__cause__ = cause
    return exc


@pytest.mark.parametrize(
    ("exc", "detail"),
    [
        (TransferEncodingError("Invalid character in chunk size"), "chunk size"),
        (LineTooLong(b"X-Big: aaaa...", 8190), "8190"),
        (BadStatusLine("HTTP/1.1 two hundred"), "two hundred"),
        (aiohttp.ClientPayloadError("Can not decode content-encoding: gzip"), "gzip"),
        (
            _caused(
                aiohttp.ClientPayloadError("400, message: Can not decode"),
                ContentEncodingError("Can not decode content-encoding: br"),
            ),
            "ContentEncodingError: Can not decode content-encoding: br",
        ),
        (
            _caused(
                aiohttp.ClientResponseError(None, (), status=400, message="Bad status line"),  # type: ignore[arg-type]
                BadStatusLine("HTTP/9 x"),
            ),
            "BadStatusLine",
        ),
    ],
)
@pytest.mark.parametrize("started", [False, True])
def test_map_exception_protocol_faults(exc: BaseException, detail: str, started: bool) -> None:
    frames = [Frame(data="a")]
    error = map_exception(exc, timeout=Timeout(), body_started=started, frames=frames)
    assert isinstance(error, HTTPProtocolError) and not error.retryable
    assert error.frames == frames and detail in error.message


def test_a_body_cut_short_is_a_broken_connection_not_a_protocol_fault() -> None:
    # aiohttp's word for a connection closed mid-body, whatever parser error it wraps.
    cut = _caused(
        aiohttp.ClientPayloadError("Response payload is not completed: <TransferEncodingError>"),
        TransferEncodingError("Not enough data to satisfy transfer length header."),
    )
    error = map_exception(cut, timeout=Timeout(), body_started=True, frames=[])
    assert isinstance(error, StreamInterruptedError) and not isinstance(error, HTTPProtocolError)
    response = aiohttp.ClientResponseError(None, (), status=407, message="Proxy")  # type: ignore[arg-type]
    assert isinstance(
        map_exception(response, timeout=Timeout(), body_started=False), APIConnectionError
    )

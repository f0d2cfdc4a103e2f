"""Retries against a real server: status sequences, Retry-After forms, connect failures,
timeouts before the body, and never a retry once the body has begun."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Iterator
from email.utils import formatdate

import pytest

from rillet import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    BadRequestError,
    ConnectTimeoutError,
    IdleTimeoutError,
    InternalServerError,
    OverloadedError,
    RateLimitError,
    StreamInterruptedError,
    TotalTimeoutError,
)
from rillet.providers.anthropic._errors import ERROR_TYPES as ANTHROPIC_TYPES
from rillet.providers.openai_chat._errors import ERROR_TYPES as OPENAI_TYPES
from rillet.testing import FaultServer, Reply
from rillet.transport import HTTPTransport, RetryPolicy, Timeout

from ._support import SleepRecorder, collect, datas, sse

OK = Reply(body=sse("a", "b"))
JSON = "application/json"


async def test_529_then_200(
    server: FaultServer, transport: HTTPTransport, sleeps: SleepRecorder
) -> None:
    server.script(
        Reply(
            status=529,
            body=b'{"type":"error","error":{"type":"overloaded_error"}}',
            content_type=JSON,
        ),
        OK,
    )
    async with transport.stream("POST", server.url, headers={}, body=b"{}") as stream:
        assert [e.data async for e in stream] == ["a", "b"]
    assert stream.retries == 1
    assert len(server.requests) == 2
    assert sleeps.delays == [0.5]
    assert [r.body for r in server.requests] == [b"{}", b"{}"]  # the body is sent again


@pytest.mark.parametrize("status", [409, 429, 500, 501, 502, 503, 504, 529])
async def test_each_retryable_status(
    server: FaultServer, transport: HTTPTransport, sleeps: SleepRecorder, status: int
) -> None:
    server.script(Reply(status=status), Reply(status=status), OK)
    assert await collect(transport, server.url) == ["a", "b"]
    assert len(server.requests) == 3
    assert sleeps.delays == [0.5, 1.0]


@pytest.mark.parametrize(
    ("status", "cls"),
    [(400, BadRequestError), (401, AuthenticationError), (408, APIError), (418, APIError)],
)
async def test_non_retryable_status(
    server: FaultServer, transport: HTTPTransport, status: int, cls: type[APIError]
) -> None:
    server.script(Reply(status=status), OK)
    with pytest.raises(cls) as caught:
        await collect(transport, server.url)
    assert type(caught.value) is cls and not caught.value.retryable
    assert caught.value.status_code == status
    assert len(server.requests) == 1


async def test_retries_exhausted_raise_the_last_error(
    server: FaultServer, transport: HTTPTransport, sleeps: SleepRecorder
) -> None:
    body = b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'
    server.script(
        *[Reply(status=529, body=body, content_type=JSON, headers={"request-id": "req_9"})] * 4
    )
    with pytest.raises(OverloadedError) as caught:
        await collect(transport, server.url)
    assert len(server.requests) == 3  # the first attempt and max_retries=2
    assert sleeps.delays == [0.5, 1.0]
    assert caught.value.request_id == "req_9" and caught.value.error_type == "overloaded_error"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "3"}, 3.0),
        ({"retry-after-ms": "250"}, 0.25),
        ({"Retry-After": "120"}, 0.5),  # over the 60 s cap: back-off instead
        ({"Retry-After": "soon"}, 0.5),
    ],
)
async def test_retry_after_forms(
    server: FaultServer,
    transport: HTTPTransport,
    sleeps: SleepRecorder,
    headers: dict[str, str],
    expected: float,
) -> None:
    server.script(Reply(status=429, headers=headers), OK)
    assert await collect(transport, server.url) == ["a", "b"]
    assert sleeps.delays == [expected]
    assert len(server.requests) == 2


async def test_retry_after_http_date(
    server: FaultServer, transport: HTTPTransport, sleeps: SleepRecorder
) -> None:
    server.script(
        Reply(status=503, headers={"Retry-After": formatdate(time.time() + 30, usegmt=True)}), OK
    )
    assert await collect(transport, server.url) == ["a", "b"]
    assert len(sleeps.delays) == 1 and 28.0 <= sleeps.delays[0] <= 31.0


async def test_real_sleep_with_tiny_retry_after(server: FaultServer, no_leaks: None) -> None:
    server.script(
        Reply(status=429, headers={"retry-after-ms": "30"}),
        Reply(status=529, headers={"Retry-After": "0.03"}),
        OK,
    )
    async with HTTPTransport(timeout=2.0) as http:
        started = time.monotonic()
        assert await collect(http, server.url) == ["a", "b"]
        elapsed = time.monotonic() - started
    assert 0.06 <= elapsed < 1.0
    assert len(server.requests) == 3


async def test_should_retry_header_overrides(server: FaultServer, transport: HTTPTransport) -> None:
    server.script(Reply(status=503, headers={"x-should-retry": "false"}))
    with pytest.raises(InternalServerError) as caught:
        await collect(transport, server.url)
    assert not caught.value.retryable
    assert len(server.requests) == 1
    server.script(Reply(status=400, headers={"x-should-retry": "true"}), OK)
    assert await collect(transport, server.url) == ["a", "b"]
    assert len(server.requests) == 3


async def test_the_provider_error_types_decide_the_retry(
    server: FaultServer, transport: HTTPTransport, sleeps: SleepRecorder
) -> None:
    quota = b'{"error": {"type": "insufficient_quota", "message": "out of credit"}}'
    busy = b'{"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}'
    server.script(Reply(status=429, body=quota, content_type=JSON))
    with pytest.raises(RateLimitError) as caught:
        async with transport.stream(
            "POST", server.url, headers={}, body=b"{}", error_types=OPENAI_TYPES
        ):
            pass
    assert not caught.value.retryable and len(server.requests) == 1  # waiting does not help
    server.script(Reply(status=400, body=busy, content_type=JSON), OK)
    async with transport.stream(
        "POST", server.url, headers={}, body=b"{}", error_types=ANTHROPIC_TYPES
    ) as stream:
        assert [e.data async for e in stream] == ["a", "b"]
    assert stream.retries == 1 and sleeps.delays == [0.5]


async def test_max_retries_per_call_and_per_transport(
    server: FaultServer, no_leaks: None, sleeps: SleepRecorder
) -> None:
    policy = RetryPolicy(jitter=0.0, sleep=sleeps)
    async with HTTPTransport(max_retries=0, retry_policy=policy) as http:
        server.script(Reply(status=429))
        with pytest.raises(RateLimitError):
            await collect(http, server.url)
        assert len(server.requests) == 1
        server.script(Reply(status=429), Reply(status=429), Reply(status=429), OK)
        assert await collect(http, server.url, max_retries=3) == ["a", "b"]
        assert len(server.requests) == 5


@pytest.fixture
def closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    sock.close()  # nothing listens there now: connecting is refused at once
    return port


async def test_connect_error_is_retried_then_typed(
    transport: HTTPTransport, sleeps: SleepRecorder, closed_port: int
) -> None:
    with pytest.raises(APIConnectionError) as caught:
        await collect(transport, f"http://127.0.0.1:{closed_port}/v1?key=AIzaSECRET")
    error = caught.value
    assert error.retryable and not error.body_started
    assert sleeps.delays == [0.5, 1.0]
    assert "AIzaSECRET" not in f"{error} {error!r} {error.__cause__}"


@pytest.fixture
def full_backlog() -> Iterator[str]:
    """A listener that never accepts, its queue full: a new connection attempt just hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    host, port = listener.getsockname()[:2]
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect((host, port))
        fillers.append(filler)
    yield f"http://{host}:{port}/"
    for filler in fillers:
        filler.close()
    listener.close()


async def test_connect_timeout(no_leaks: None, full_backlog: str, sleeps: SleepRecorder) -> None:
    policy = RetryPolicy(jitter=0.0, sleep=sleeps)
    async with HTTPTransport(timeout=Timeout(connect=0.2, idle=5.0), retry_policy=policy) as http:
        started = time.monotonic()
        with pytest.raises(ConnectTimeoutError) as caught:
            await collect(http, full_backlog, max_retries=1)
        elapsed = time.monotonic() - started
    assert caught.value.timeout == 0.2 and caught.value.retryable
    assert sleeps.delays == [0.5]  # retried once
    assert 0.35 <= elapsed < 1.5


async def test_stall_before_headers_is_retried(
    server: FaultServer, transport: HTTPTransport, sleeps: SleepRecorder
) -> None:
    server.script(Reply(headers_delay=5.0), OK)
    started = time.monotonic()
    assert await collect(transport, server.url, timeout=0.2) == ["a", "b"]
    assert 0.18 <= time.monotonic() - started < 1.0
    await server.wait_finished()  # the server notices the disconnect on its next poll
    assert len(server.requests) == 2 and server.requests[0].disconnected


async def test_stall_before_headers_exhausts_retries(
    server: FaultServer, transport: HTTPTransport
) -> None:
    server.script(*[Reply(headers_delay=5.0)] * 2)
    started = time.monotonic()
    with pytest.raises(IdleTimeoutError) as caught:
        await collect(transport, server.url, timeout=0.2, max_retries=1)
    elapsed = time.monotonic() - started
    assert 0.38 <= elapsed < 1.2  # two attempts of 0.2 s, back-off recorded not slept
    error = caught.value
    assert error.retryable and not error.body_started and error.frames == []
    assert error.timeout == 0.2


async def test_stall_after_headers_before_first_byte_is_retried(
    server: FaultServer, transport: HTTPTransport
) -> None:
    server.script(Reply(body=sse("x"), stall_after=0), OK)
    async with transport.stream("POST", server.url, headers={}, timeout=0.2) as stream:
        assert [e.data async for e in stream] == ["a", "b"]
    assert stream.retries == 1
    assert len(server.requests) == 2


async def test_no_retry_once_the_body_started(
    server: FaultServer, transport: HTTPTransport, sleeps: SleepRecorder
) -> None:
    body = sse("one", "two", "three")
    server.script(Reply(body=body, reset_after=len(sse("one")) + 3), OK)
    with pytest.raises(StreamInterruptedError) as caught:
        await collect(transport, server.url)
    assert datas(caught.value.frames) == ["one"]
    assert caught.value.body_started and not caught.value.retryable
    assert len(server.requests) == 1 and sleeps.delays == []


async def test_total_timeout_before_headers(server: FaultServer, transport: HTTPTransport) -> None:
    server.script(Reply(headers_delay=5.0), OK)
    started = time.monotonic()
    with pytest.raises(TotalTimeoutError) as caught:
        await collect(transport, server.url, timeout=Timeout(idle=5.0, total=0.3))
    assert 0.28 <= time.monotonic() - started < 1.0
    assert caught.value.timeout == 0.3
    assert len(server.requests) == 1  # the deadline is spent: nothing to retry with


async def test_total_timeout_mid_stream_keeps_frames(
    server: FaultServer, transport: HTTPTransport
) -> None:
    body = sse("a", "b", "c")
    server.script(Reply(body=body, stall_after=len(sse("a", "b"))))
    started = time.monotonic()
    received: list[str] = []
    with pytest.raises(TotalTimeoutError) as caught:
        async with transport.stream(
            "POST", server.url, headers={}, timeout=Timeout(idle=5.0, total=0.3)
        ) as stream:
            async for event in stream:
                received.append(event.data)
    assert 0.28 <= time.monotonic() - started < 1.0
    assert received == ["a", "b"]
    assert datas(caught.value.frames) == ["a", "b"]
    assert caught.value.body_started and not caught.value.retryable


async def test_backoff_longer_than_the_deadline_gives_up(
    server: FaultServer, transport: HTTPTransport, sleeps: SleepRecorder
) -> None:
    server.script(Reply(status=429, headers={"Retry-After": "30"}), OK)
    with pytest.raises(RateLimitError):
        await collect(transport, server.url, timeout=Timeout(total=5.0))
    assert sleeps.delays == [] and len(server.requests) == 1


async def test_retries_are_logged_with_request_ids(
    server: FaultServer, transport: HTTPTransport, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="rillet")
    server.script(Reply(status=529, headers={"x-request-id": "req_abc"}), OK)
    url = server.url + "/v1beta/models/m:streamGenerateContent?key=AIzaSECRET"
    async with transport.stream(
        "POST",
        url,
        headers={"x-goog-api-key": "AIzaSECRET", "Authorization": "Bearer sk-SECRET-123"},
    ) as stream:
        assert [e.data async for e in stream] == ["a", "b"]
    retry_logs = [r for r in caplog.records if r.levelno == logging.INFO]
    assert len(retry_logs) == 1
    assert "req_abc" in retry_logs[0].getMessage() and "retry 1 of 2" in retry_logs[0].getMessage()
    assert all(r.name == "rillet.transport" for r in caplog.records)
    assert "SECRET" not in caplog.text
    assert server.requests[0].headers["x-goog-api-key"] == "AIzaSECRET"  # sent, never shown


async def test_idle_timeout_is_logged(
    server: FaultServer, transport: HTTPTransport, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="rillet")
    server.script(
        Reply(body=sse("a", "b"), stall_after=len(sse("a")), headers={"request-id": "req_t"})
    )
    with pytest.raises(IdleTimeoutError):
        await collect(transport, server.url, timeout=0.1)
    assert any(
        "req_t" in r.getMessage() and "no data for 0.1 s" in r.getMessage() for r in caplog.records
    )


async def test_concurrent_streams_share_the_pool(
    server: FaultServer, transport: HTTPTransport
) -> None:
    server.script(*[Reply(body=sse(str(i)), chunks="drip") for i in range(10)])
    results = await asyncio.gather(*(collect(transport, server.url) for _ in range(10)))
    assert sorted(r[0] for r in results) == [str(i) for i in range(10)]

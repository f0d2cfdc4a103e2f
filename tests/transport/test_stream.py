"""Streaming against a real server: faults during the body, framing of what arrives, and the
release of every connection however the consumer stops."""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import time

import aiohttp
import pytest

from rillet import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    EventTooLargeError,
    IdleTimeoutError,
    InternalServerError,
    MalformedStreamError,
    OverloadedError,
    RateLimitError,
    StreamInterruptedError,
)
from rillet.testing import FaultServer, Reply
from rillet.transport import Frame, FrameStream, HTTPTransport

from ._support import assert_no_connection_in_use, collect, datas, pairs, sse

# Every fault, over every way of reading and waiting for bytes (see every_read_path).
pytestmark = pytest.mark.usefixtures("every_read_path")

EVENTS = [("message_start", '{"type":"message_start"}'), ("ping", '{"type": "ping"}')] + [
    ("content_block_delta", json.dumps({"type": "content_block_delta", "text": f"chunk {i}"}))
    for i in range(8)
]
BODY = sse(*EVENTS)
FIRST_FOUR = len(sse(*EVENTS[:4]))


async def frames_of(http: HTTPTransport, url: str, **kwargs: object) -> FrameStream:
    async with http.stream("POST", url, headers={}, body=b"{}") as stream:
        async for _ in stream:
            pass
    return stream


async def test_whole_body(server: FaultServer, transport: HTTPTransport) -> None:
    server.script(Reply(body=BODY, headers={"x-request-id": "req_1"}))
    stream = await frames_of(transport, server.url)
    assert [(f.event, f.data) for f in stream.frames] == EVENTS
    assert stream.status == 200 and stream.request_id == "req_1"
    assert stream.content_type == "text/event-stream"
    assert stream.bytes_received == len(BODY) and stream.retries == 0
    assert stream.headers["x-request-id"] == "req_1"


async def test_an_open_stream_does_not_keep_the_request_body(
    server: FaultServer, transport: HTTPTransport
) -> None:
    server.script(Reply(body=BODY))
    body = json.dumps({"messages": ["x" * 100_000]}).encode()  # a long conversation
    held = sys.getrefcount(body)
    async with transport.stream("POST", server.url, headers={}, body=body) as stream:
        await stream.__anext__()  # the request went out, the body is being read
        gc.collect()
        assert sys.getrefcount(body) == held  # nothing of the stream's holds it any more
        async for _ in stream:
            pass


@pytest.mark.parametrize("content_length", [False, True])
async def test_one_byte_drip(
    server: FaultServer, transport: HTTPTransport, content_length: bool
) -> None:
    server.script(Reply(body=BODY, chunks="drip", content_length=content_length))
    stream = await frames_of(transport, server.url)
    assert [(f.event, f.data) for f in stream.frames] == EVENTS


@pytest.mark.parametrize("eol", ["\n", "\r", "\r\n"])
async def test_line_ends(server: FaultServer, transport: HTTPTransport, eol: str) -> None:
    body = sse(*EVENTS, eol=eol)
    server.script(Reply(body=body, chunks=list(range(1, len(body), 7))))
    stream = await frames_of(transport, server.url)
    assert [(f.event, f.data) for f in stream.frames] == EVENTS


async def test_split_utf8_at_every_position(server: FaultServer, transport: HTTPTransport) -> None:
    text = "é€𝄞日本 🙂"
    body = sse(text, ("delta", text))
    server.script(*[Reply(body=body, chunks=[cut]) for cut in range(1, len(body))])
    for _ in range(1, len(body)):
        assert await collect(transport, server.url) == [text, text]


@pytest.mark.parametrize("chunks", ["whole", "drip"])
async def test_gzip(server: FaultServer, transport: HTTPTransport, chunks: str) -> None:
    server.script(Reply(body=BODY, gzip=True, chunks=chunks))  # type: ignore[arg-type]
    stream = await frames_of(transport, server.url)
    assert [(f.event, f.data) for f in stream.frames] == EVENTS
    assert stream.bytes_received == len(BODY)  # counted after decompression


async def test_stall_mid_stream_raises_idle_timeout(
    server: FaultServer, transport: HTTPTransport
) -> None:
    server.script(Reply(body=BODY, stall_after=FIRST_FOUR + 5))
    received: list[Frame] = []
    started = time.monotonic()
    with pytest.raises(IdleTimeoutError) as caught:
        async with transport.stream("POST", server.url, headers={}, timeout=0.2) as stream:
            async for event in stream:
                received.append(event)
    elapsed = time.monotonic() - started
    assert 0.18 <= elapsed < 0.8
    error = caught.value
    assert error.body_started and not error.retryable and error.timeout == 0.2
    assert error.frames == received == stream.frames
    assert pairs(error.frames) == EVENTS[:4]
    await server.wait_finished()
    assert len(server.requests) == 1 and server.requests[0].disconnected


async def test_reset_mid_event(server: FaultServer, transport: HTTPTransport) -> None:
    server.script(Reply(body=BODY, reset_after=FIRST_FOUR + 10))
    with pytest.raises(StreamInterruptedError) as caught:
        await collect(transport, server.url)
    error = caught.value
    assert error.body_started and not error.retryable
    assert pairs(error.frames) == EVENTS[:4]
    assert isinstance(error.__cause__, (aiohttp.ClientPayloadError, aiohttp.ClientOSError))
    assert len(server.requests) == 1


async def test_truncated_chunked_body(server: FaultServer, transport: HTTPTransport) -> None:
    server.script(Reply(body=BODY, truncate_after=FIRST_FOUR + 10))
    with pytest.raises(StreamInterruptedError) as caught:
        await collect(transport, server.url)
    assert pairs(caught.value.frames) == EVENTS[:4]
    assert isinstance(caught.value.__cause__, aiohttp.ClientPayloadError)


async def test_truncated_content_length_body(server: FaultServer, transport: HTTPTransport) -> None:
    server.script(Reply(body=BODY, content_length=True, truncate_after=FIRST_FOUR))
    with pytest.raises(StreamInterruptedError) as caught:
        await collect(transport, server.url)
    assert pairs(caught.value.frames) == EVENTS[:4]


async def test_clean_eof_without_terminal_event_just_ends(
    server: FaultServer, transport: HTTPTransport
) -> None:
    # Whether the provider's terminal event came is the adapter's question, not ours.
    server.script(Reply(body=sse(*EVENTS[:3]) + b'data: {"partial"'))
    stream = await frames_of(transport, server.url)
    assert [f.data for f in stream.frames][-1] == '{"partial"'


async def test_twenty_megabyte_event(server: FaultServer, no_leaks: None) -> None:
    big = "x" * (20 * 1000 * 1000)
    body = sse("small", big, "after")
    server.script(
        Reply(body=body, chunks=list(range(0, len(body), 1 << 20))),
        Reply(body=body),
        Reply(body=sse("small", "y" * 100_000, "after")),
    )
    async with HTTPTransport(max_event_bytes=32 * 1024 * 1024) as http:
        data = await collect(http, server.url)
        assert data[0] == "small" and data[1] == big and data[2] == "after"
    # The default limit, 16 MiB, is below 20 MB: the event is refused, the frame before kept.
    async with HTTPTransport() as http:
        with pytest.raises(EventTooLargeError) as caught:
            await collect(http, server.url)
        assert datas(caught.value.frames) == ["small"]
    async with HTTPTransport(max_event_bytes=64 * 1024) as http:
        with pytest.raises(EventTooLargeError):
            await collect(http, server.url)


async def test_twelve_megabyte_event_within_the_default_limit(
    server: FaultServer, transport: HTTPTransport
) -> None:
    big = "z" * (12 * 1024 * 1024)  # far past aiohttp's 64 KiB readline limit
    server.script(Reply(body=sse(big, "end")))
    assert await collect(transport, server.url) == [big, "end"]


async def test_html_502_page(server: FaultServer, transport: HTTPTransport) -> None:
    page = (
        b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway"
        b"</h1></center><hr><center>nginx</center>" + b"<p>filler</p>" * 500 + b"</body></html>"
    )
    server.script(*[Reply(status=502, body=page, content_type="text/html")] * 3)
    with pytest.raises(InternalServerError) as caught:
        await collect(transport, server.url)
    error = caught.value
    assert error.status_code == 502 and error.retryable
    assert error.message.startswith("HTTP 502") and "502 Bad Gateway" in error.message
    assert len(error.message) < 300
    assert len(server.requests) == 3


async def test_empty_500_body(server: FaultServer, transport: HTTPTransport) -> None:
    server.script(Reply(status=500, content_type=None))
    with pytest.raises(InternalServerError) as caught:
        await collect(transport, server.url, max_retries=0)
    assert caught.value.message == "HTTP 500 Internal Server Error: empty body"


@pytest.mark.parametrize(
    ("status", "body", "cls", "error_type"),
    [
        (
            401,
            {
                "error": {
                    "message": "Incorrect API key",
                    "type": "invalid_request_error",
                    "code": "invalid_api_key",
                    "param": None,
                }
            },
            AuthenticationError,
            "invalid_request_error",
        ),
        (
            529,
            {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
            OverloadedError,
            "overloaded_error",
        ),
        (
            429,
            {"error": {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED"}},
            RateLimitError,
            "RESOURCE_EXHAUSTED",
        ),
        (
            503,
            {
                "error": {
                    "code": 503,
                    "message": "The model is overloaded.",
                    "status": "UNAVAILABLE",
                }
            },
            OverloadedError,
            "UNAVAILABLE",
        ),
    ],
)
async def test_provider_error_bodies(
    server: FaultServer,
    transport: HTTPTransport,
    status: int,
    body: dict[str, object],
    cls: type[APIError],
    error_type: str,
) -> None:
    server.script(
        Reply(
            status=status,
            body=json.dumps(body).encode(),
            content_type="application/json",
            headers={"request-id": "req_x"},
        )
    )
    with pytest.raises(cls) as caught:
        await collect(transport, server.url, max_retries=0)
    error = caught.value
    assert error.status_code == status and error.error_type == error_type
    assert error.body == body and error.request_id == "req_x"


async def test_error_body_read_is_bounded(server: FaultServer, transport: HTTPTransport) -> None:
    server.script(Reply(status=400, body=b"e" * (3 << 20), content_type="text/plain"))
    with pytest.raises(BadRequestError) as caught:
        await collect(transport, server.url)
    assert isinstance(caught.value.body, str) and len(caught.value.body) == 1 << 20


async def test_error_echoing_the_key_is_redacted(
    server: FaultServer, transport: HTTPTransport
) -> None:
    key = "sk-ant-api03-SECRETSECRET"
    body = json.dumps(
        {
            "type": "error",
            "error": {"type": "authentication_error", "message": f"invalid x-api-key {key}"},
        }
    )
    server.script(Reply(status=401, body=body.encode(), content_type="application/json"))
    with pytest.raises(AuthenticationError) as caught:
        async with transport.stream("POST", server.url, headers={"x-api-key": key}):
            pass
    error = caught.value
    assert key not in f"{error} {error!r} {error.body}"
    assert server.requests[0].headers["x-api-key"] == key


async def test_gemini_json_array(server: FaultServer, transport: HTTPTransport) -> None:
    elements = [
        {"candidates": [{"content": {"parts": [{"text": f"t{i} ], {{"}]}}]} for i in range(5)
    ]
    body = json.dumps(elements, indent=2).encode().replace(b"\n", b"\r\n")
    server.script(Reply(body=body, content_type="application/json; charset=UTF-8", chunks="drip"))
    stream = await frames_of(transport, server.url)
    assert [json.loads(f.data) for f in stream.frames] == elements
    assert stream.content_type == "application/json"


async def test_json_object_body_is_one_frame(server: FaultServer, transport: HTTPTransport) -> None:
    server.script(Reply(body=b'{"candidates": []}', content_type="application/json"))
    assert await collect(transport, server.url) == ['{"candidates": []}']


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/octet-stream"])
async def test_other_content_types_are_read_as_sse(
    server: FaultServer, transport: HTTPTransport, content_type: str | None
) -> None:
    server.script(Reply(body=sse("a"), content_type=content_type))
    assert await collect(transport, server.url) == ["a"]


async def test_html_200_is_malformed(server: FaultServer, transport: HTTPTransport) -> None:
    server.script(
        Reply(body=b"<html><title>Sign in to the Wi-Fi</title></html>", content_type="text/html")
    )
    with pytest.raises(MalformedStreamError, match="Sign in to the Wi-Fi"):
        await collect(transport, server.url)
    assert len(server.requests) == 1


async def test_empty_200_body_has_no_frames(server: FaultServer, transport: HTTPTransport) -> None:
    server.script(Reply(body=b""))
    assert await collect(transport, server.url) == []


async def test_cancel_mid_stream_closes_the_connection(
    server: FaultServer, transport: HTTPTransport
) -> None:
    server.script(Reply(body=BODY, stall_after=FIRST_FOUR))
    received: list[str] = []
    four = asyncio.Event()

    async def consume() -> None:
        async with transport.stream("POST", server.url, headers={}) as stream:
            async for event in stream:
                received.append(event.data)
                if len(received) == 4:
                    four.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(four.wait(), 2.0)
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await server.wait_finished(timeout=1.0)
    assert time.monotonic() - started < 0.5
    assert server.requests[0].disconnected
    assert_no_connection_in_use(transport)


async def test_cancel_while_waiting_for_headers(
    server: FaultServer, transport: HTTPTransport
) -> None:
    server.script(Reply(body=BODY, headers_delay=5.0))
    task = asyncio.create_task(collect(transport, server.url))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await server.wait_finished(timeout=1.0)
    assert server.requests[0].disconnected


async def test_break_out_of_the_loop(server: FaultServer, transport: HTTPTransport) -> None:
    server.script(Reply(body=BODY, stall_after=FIRST_FOUR))
    started = time.monotonic()
    async with transport.stream("POST", server.url, headers={}) as stream:
        async for _ in stream:
            break
    await server.wait_finished(timeout=1.0)
    assert time.monotonic() - started < 0.5
    assert server.requests[0].disconnected and len(stream.frames) == 1
    assert_no_connection_in_use(transport)
    assert [f async for f in stream] == []  # closed: iteration just ends


async def test_exception_in_the_consumer_closes(
    server: FaultServer, transport: HTTPTransport
) -> None:
    server.script(Reply(body=BODY, stall_after=FIRST_FOUR))
    with pytest.raises(ZeroDivisionError):
        async with transport.stream("POST", server.url, headers={}) as stream:
            async for _ in stream:
                _ = 1 / 0
    await server.wait_finished(timeout=1.0)
    assert server.requests[0].disconnected


async def test_complete_body_returns_the_connection_to_the_pool(
    server: FaultServer, no_leaks: None
) -> None:
    server.script(*[Reply(body=BODY)] * 3)
    connector = aiohttp.TCPConnector(limit=1)
    async with aiohttp.ClientSession(connector=connector) as session:
        http = HTTPTransport(session=session)
        for _ in range(3):
            assert len(await collect(http, server.url)) == len(EVENTS)
        await http.aclose()
    # One connection served all three: it went back to the pool each time.
    assert len({r.client_port for r in server.requests}) == 1


async def test_stopping_at_the_last_event_keeps_the_connection(
    server: FaultServer, transport: HTTPTransport
) -> None:
    server.script(Reply(body=sse("a", "[DONE]")), Reply(body=sse("b")))
    async with transport.stream("POST", server.url, headers={}) as stream:
        async for event in stream:
            if event.data == "[DONE]":
                await asyncio.sleep(0.02)  # the chunked terminator arrives meanwhile
                break
    assert await collect(transport, server.url) == ["b"]
    assert server.requests[0].client_port == server.requests[1].client_port


async def test_abandoned_stream_does_not_reuse_the_connection(
    server: FaultServer, transport: HTTPTransport
) -> None:
    server.script(Reply(body=BODY, stall_after=FIRST_FOUR), Reply(body=sse("b")))
    async with transport.stream("POST", server.url, headers={}) as stream:
        async for _ in stream:
            break
    assert await collect(transport, server.url) == ["b"]
    assert server.requests[0].client_port != server.requests[1].client_port


async def test_backpressure_slow_consumer_stops_the_sender(
    server: FaultServer, transport: HTTPTransport
) -> None:
    event = sse("x" * 4000)
    body = event * 8000  # 32 MB, far more than any socket buffer
    server.script(Reply(body=body, chunks=list(range(0, len(body), 1 << 16))))
    async with transport.stream("POST", server.url, headers={}) as stream:
        async for _ in stream:
            break  # one event read, then a pause
        # The sender fills the socket buffers, then blocks: wait (bounded) until it stops, so a
        # loaded machine is not mistaken for a sender that never stops.
        sent, deadline = -1, asyncio.get_running_loop().time() + 5
        while (
            server.requests[0].bytes_sent != sent and asyncio.get_running_loop().time() < deadline
        ):
            sent = server.requests[0].bytes_sent
            await asyncio.sleep(0.15)
        await asyncio.sleep(0.15)
        # The sender is blocked: nothing more went out while we did not read.
        assert server.requests[0].bytes_sent == sent < len(body) // 2
        count = 1 + sum([1 async for _ in stream])
    assert count == 8000


async def test_slow_consumer_gets_everything(server: FaultServer, transport: HTTPTransport) -> None:
    body = sse(*[f"{i:06d}" + "x" * 1000 for i in range(300)])  # ~300 KB, past aiohttp's buffer
    server.script(Reply(body=body))
    seen = 0
    async with transport.stream("POST", server.url, headers={}) as stream:
        async for event in stream:
            assert event.data.startswith(f"{seen:06d}")
            seen += 1
            if seen % 50 == 0:
                await asyncio.sleep(0.01)
    assert seen == 300


async def test_user_session_is_never_closed(server: FaultServer, no_leaks: None) -> None:
    server.script(Reply(body=sse("a")))
    async with aiohttp.ClientSession() as session:
        async with HTTPTransport(session=session) as http:
            assert await collect(http, server.url) == ["a"]
        assert http.closed and not session.closed
        with pytest.raises(ConfigurationError):
            await collect(http, server.url)


async def test_closed_user_session_is_a_configuration_error(no_leaks: None) -> None:
    session = aiohttp.ClientSession()
    await session.close()
    with pytest.raises(ConfigurationError):
        await collect(HTTPTransport(session=session), "http://127.0.0.1:9/")


async def test_owned_session_is_created_lazily_and_closed(
    server: FaultServer, no_leaks: None
) -> None:
    http = HTTPTransport(pool_limit=5, pool_limit_per_host=2)
    assert http._session is None
    server.script(Reply(body=sse("a")))
    assert await collect(http, server.url) == ["a"]
    session = http._session
    assert session is not None and session.connector is not None
    assert session.connector.limit == 5 and session.connector.limit_per_host == 2
    await http.aclose()
    await http.aclose()
    assert session.closed


async def test_large_request_body(server: FaultServer, transport: HTTPTransport) -> None:
    body = b"{" + b" " * (3 << 20) + b"}"  # aiohttp warns on raw bytes over 1 MiB: not here
    server.script(Reply(body=sse("ok")), Reply(status=503), Reply(body=sse("ok")))
    assert await collect(transport, server.url) == ["ok"]
    async with transport.stream("POST", server.url, headers={}, body=body) as stream:
        assert [e.data async for e in stream] == ["ok"]
    assert [len(r.body) for r in server.requests[1:]] == [len(body)] * 2


async def test_reprs_hold_no_key(server: FaultServer, transport: HTTPTransport) -> None:
    server.script(Reply(body=sse("a")))
    url = server.url + "/v1/models/m:streamGenerateContent?alt=sse&key=AIzaSECRET"
    async with transport.stream("POST", url, headers={"x-goog-api-key": "AIzaSECRET"}) as stream:
        text = f"{stream!r} {transport!r} {[e async for e in stream]!r}"
    assert "AIzaSECRET" not in text and "key=[REDACTED]" in text


@pytest.mark.parametrize("content_length", [False, True])
async def test_a_slow_reader_gets_every_frame_that_came_before_the_break(
    server: FaultServer, transport: HTTPTransport, content_length: bool
) -> None:
    # The server sends the first event, then three more and breaks the connection, all while
    # the consumer is busy: aiohttp has those three buffered when it learns of the break, and
    # its reader raises the break first. They arrived, so the consumer must still get them.
    first = len(sse(*EVENTS[:1]))
    server.script(
        Reply(
            body=BODY,
            chunks=[first],
            chunk_delay=0.05,
            content_length=content_length,
            truncate_after=FIRST_FOUR,
        )
    )
    received: list[Frame] = []
    with pytest.raises(StreamInterruptedError) as caught:
        async with transport.stream("POST", server.url, headers={}) as stream:
            async for frame in stream:
                received.append(frame)
                if len(received) == 1:
                    await asyncio.sleep(0.3)  # everything else arrives meanwhile
    assert pairs(received) == pairs(caught.value.frames) == EVENTS[:4]
    assert not caught.value.retryable and len(server.requests) == 1


async def test_a_break_right_after_the_headers_keeps_the_body_that_came(
    server: FaultServer, transport: HTTPTransport
) -> None:
    # Headers, four events and the break in one write: the body began, so nothing is retried
    # and the four events reach the consumer before the error.
    server.script(Reply(body=BODY, truncate_after=FIRST_FOUR), Reply(body=BODY))
    received: list[Frame] = []
    with pytest.raises(StreamInterruptedError) as caught:
        async with transport.stream("POST", server.url, headers={}) as stream:
            async for frame in stream:
                received.append(frame)
    assert pairs(received) == EVENTS[:4]
    assert caught.value.body_started and not caught.value.retryable
    assert len(server.requests) == 1


async def test_a_burst_of_parsed_elements_comes_out_before_more_bytes_arrive(
    server: FaultServer, transport: HTTPTransport
) -> None:
    # With parse_element the JSON-array decoder hands a read's elements out a few at a time
    # (JSONArrayDecoder.pending): the rest come at the consumer's next take, without waiting
    # for the body's next bytes (here 0.5 s later), each parsed once.
    elements = [json.dumps({"candidates": [{"index": i}]}, indent=2) for i in range(100)]
    head = ("[" + "\n,\r\n".join(elements)).encode()
    server.script(
        Reply(
            body=head + b"\n]",
            content_type="application/json",
            chunks=[len(head)],
            chunk_delay=0.5,
        )
    )
    calls: list[bytes] = []

    def parse(data: bytes | bytearray) -> object:
        calls.append(bytes(data))
        return json.loads(data)

    batches: list[list[Frame]] = []
    async with transport.stream(
        "POST", server.url, headers={}, body=b"{}", parse_element=parse
    ) as stream:
        started = time.perf_counter()
        while len(frames := [f for batch in batches for f in batch]) < len(elements):
            batches.append(await stream.read_batch())
        before_the_rest = time.perf_counter() - started
        assert await stream.read_batch() == []
    assert before_the_rest < 0.4
    assert [f.data for f in frames] == elements
    assert [f.parsed for f in frames] == [json.loads(e) for e in elements]
    assert len(calls) == len(elements)
    assert max(len(batch) for batch in batches) <= 32 < len(elements)

"""Response metadata end to end, over real local servers: the request id, the typed rate limits
and the credential-free headers reach the stream with its first chunk, the final response, the
errors of an error status and the errors inside a stream."""

from __future__ import annotations

import json
import time
from email.utils import formatdate
from pathlib import Path

import pytest
from test_rate_limit import OPENAI, OPENAI_LIMITS

from rillet import (
    AuthenticationError,
    LLMClient,
    MockAdapter,
    MockResponse,
    OverloadedError,
    RateLimit,
    RateLimitError,
    RateLimitQuota,
    StartChunk,
)
from rillet._response_metadata import kept_headers
from rillet.accumulator import ResponseAccumulator
from rillet.emulator import Emulator, Faults, Scenario, StreamError, render
from rillet.testing.fault_server import FaultServer, Reply

KEY = "plain-secret-value-42"
"""Not key-shaped: only knowing the key that was sent can find it in what a server echoes."""

OPENAI_HEADERS = {"x-request-id": "req_0123456789abcdef", **OPENAI}
ANTHROPIC_HEADERS = {
    "request-id": "req_011CSLsW7mFqvHHnzrKdKjAE",
    "anthropic-ratelimit-requests-limit": "1000",
    "anthropic-ratelimit-requests-remaining": "999",
    "anthropic-ratelimit-requests-reset": "2020-01-01T00:00:01Z",
    "anthropic-ratelimit-tokens-limit": "96000",
    "anthropic-ratelimit-tokens-remaining": "95000",
    "anthropic-ratelimit-tokens-reset": "2020-01-01T00:00:02Z",
    "anthropic-ratelimit-input-tokens-limit": "80000",
    "anthropic-ratelimit-input-tokens-remaining": "79000",
    "anthropic-ratelimit-input-tokens-reset": "2020-01-01T00:00:03Z",
    "anthropic-ratelimit-output-tokens-limit": "16000",
    "anthropic-ratelimit-output-tokens-remaining": "15000",
    "anthropic-ratelimit-output-tokens-reset": "2020-01-01T00:00:04Z",
}


def _anthropic_quota(limit: int, remaining: int, second: int) -> RateLimitQuota:
    """A quota whose reset time has long passed: 0 seconds from now."""
    return RateLimitQuota(
        limit=limit, remaining=remaining, reset_seconds=0.0, reset=f"2020-01-01T00:00:0{second}Z"
    )


ANTHROPIC_LIMITS = RateLimit(
    requests=_anthropic_quota(1000, 999, 1),
    tokens=_anthropic_quota(96000, 95000, 2),
    input_tokens=_anthropic_quota(80000, 79000, 3),
    output_tokens=_anthropic_quota(16000, 15000, 4),
)
SCENARIO = Scenario("m", text=("Hello", ", world"))


def _client(provider: str, server: FaultServer | Emulator, **options: object) -> LLMClient:
    url = f"{server.url}/v1" if provider.startswith("openai") else server.url
    return LLMClient(provider=provider, model="m", api_key=KEY, base_url=url, max_retries=0)


async def test_the_stream_knows_its_metadata_with_the_first_chunk(no_leaks: None) -> None:
    """The server holds the rest of the body back: the metadata came with the headers."""
    content_type, body = render("openai", SCENARIO)
    first_event = body.index(b"\n\n") + 2
    reply = Reply(
        body=body,
        content_type=content_type,
        headers=OPENAI_HEADERS,
        stall_after=first_event,
        stall_for=30.0,
    )
    async with FaultServer() as server:
        server.script(reply)
        async with _client("openai", server) as client, client.stream("hi") as stream:
            assert stream.request_id is None and stream.rate_limit is None
            first = await anext(stream)
            assert isinstance(first, StartChunk)
            assert not server.requests[0].finished.is_set()  # the body is still held back
            assert stream.request_id == "req_0123456789abcdef" == first.request_id
            assert stream.rate_limit == OPENAI_LIMITS == first.rate_limit
            assert stream.headers["x-ratelimit-reset-tokens"] == "6m0s"
            assert stream.headers["content-type"] == content_type
            assert stream.response.request_id == "req_0123456789abcdef"


async def test_the_final_response_carries_anthropic_metadata(no_leaks: None) -> None:
    content_type, body = render("anthropic", SCENARIO)
    # names as a server may spell them: rillet gives them in lower case
    sent = {name.title(): value for name, value in ANTHROPIC_HEADERS.items()}
    async with FaultServer() as server:
        server.script(Reply(body=body, content_type=content_type, headers=sent, chunks="drip"))
        async with _client("anthropic", server) as client:
            response = await client.call("hi")
    assert response.text == "Hello, world"
    assert response.request_id == "req_011CSLsW7mFqvHHnzrKdKjAE"
    assert response.rate_limit == ANTHROPIC_LIMITS
    assert {k: v for k, v in response.headers.items() if k in ANTHROPIC_HEADERS} == (
        ANTHROPIC_HEADERS
    )


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": "<now + 30 s>"}, 30.0),
        ({"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "20s"}, 20.0),
        ({"x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "1m30s"}, 90.0),
        ({}, None),
    ],
    ids=["retry-after-ms", "seconds", "http-date", "requests-reset", "tokens-reset", "none"],
)
async def test_a_429_carries_status_request_id_rate_limit_and_retry_after(
    no_leaks: None, headers: dict[str, str], wait: float | None
) -> None:
    if headers.get("retry-after") == "<now + 30 s>":  # an HTTP date, made when the test runs
        headers = {"retry-after": formatdate(time.time() + 30, usegmt=True)}
    body = json.dumps({"error": {"message": "Rate limit reached", "type": "requests"}}).encode()
    sent = {"x-request-id": "req_limited", **headers}
    async with FaultServer() as server:
        server.script(Reply(429, body, "application/json", headers=sent, content_length=True))
        async with _client("openai", server) as client:
            with pytest.raises(RateLimitError) as caught:
                await client.call("hi")
    error = caught.value
    assert error.status == error.status_code == 429
    assert error.request_id == "req_limited"
    assert error.headers["x-request-id"] == "req_limited"
    assert {k: v for k, v in error.headers.items() if k in headers} == headers
    if wait is None:
        assert error.rate_limit is None and error.retry_after is None
    else:
        assert error.rate_limit is not None
        assert error.retry_after == pytest.approx(wait, abs=1.1)


async def test_an_error_inside_the_stream_carries_the_streams_metadata(no_leaks: None) -> None:
    scenario = Scenario(
        "m", text=("Hello", ", world"), error=StreamError("overloaded", after_events=1)
    )
    content_type, body = render("anthropic", scenario)
    async with FaultServer() as server:
        server.script(Reply(body=body, content_type=content_type, headers=ANTHROPIC_HEADERS))
        async with _client("anthropic", server) as client:
            with pytest.raises(OverloadedError) as caught:
                await client.call("hi")
    error = caught.value
    assert error.partial is not None and error.partial.text == "Hello"
    assert error.request_id == "req_011CSLsW7mFqvHHnzrKdKjAE" == error.partial.request_id
    assert error.rate_limit == ANTHROPIC_LIMITS
    assert error.headers["anthropic-ratelimit-tokens-limit"] == "96000"


async def test_an_api_error_raised_inside_the_stream_gets_the_streams_metadata() -> None:
    own = RateLimitError("limited, with its own id", request_id="req_own")
    script = [
        MockResponse(
            text="abcdefgh" * 3, headers=OPENAI_HEADERS, error=RateLimitError("x"), error_after=2
        ),
        MockResponse(text="abcdefgh" * 3, headers=OPENAI_HEADERS, error=own, error_after=2),
    ]
    async with LLMClient(MockAdapter(script)) as client:
        for want in ("req_0123456789abcdef", "req_own"):
            with pytest.raises(RateLimitError) as caught:
                await client.call("hi")
            assert caught.value.request_id == want
            assert caught.value.rate_limit == OPENAI_LIMITS
            assert (
                caught.value.retry_after == 1.0
            )  # the soonest reset: which limit was hit is unknown


def _echoing(status: int) -> dict[str, str]:
    """Headers of a server that hands back the key and sets cookies and account headers."""
    return {
        **OPENAI_HEADERS,
        "set-cookie": "__cf_bm=abc123; path=/; HttpOnly",
        "openai-organization": "acme-corp",
        "anthropic-organization-id": "36562039-1ae4-48e6-ae28-1e517e3d2d12",
        "x-echo": f"you sent Bearer {KEY}",
        "x-debug": f"auth={KEY}; status={status}",
    }


_DROPPED = {"set-cookie", "openai-organization", "anthropic-organization-id"}


async def test_credentials_never_reach_the_headers_or_a_repr(no_leaks: None) -> None:
    content_type, body = render("openai", SCENARIO)
    async with FaultServer() as server:
        server.script(Reply(body=body, content_type=content_type, headers=_echoing(200)))
        async with _client("openai", server) as client, client.stream("hi") as stream:
            chunks = [chunk async for chunk in stream]
            response = stream.response
    assert response.headers["x-echo"] == "you sent [REDACTED]"
    assert response.headers["x-debug"] == "auth=[REDACTED]; status=200"
    assert not _DROPPED & set(response.headers) and not _DROPPED & set(stream.headers)
    assert response.rate_limit == OPENAI_LIMITS  # the rest is kept
    seen = repr(response) + response.model_dump_json() + repr(chunks) + repr(stream.headers)
    assert KEY not in seen and "__cf_bm" not in seen and "acme-corp" not in seen


async def test_credentials_never_reach_an_errors_headers(no_leaks: None) -> None:
    body = json.dumps({"error": {"message": "Incorrect API key", "type": "auth"}}).encode()
    async with FaultServer() as server:
        server.script(Reply(401, body, "application/json", headers=_echoing(401)))
        async with _client("openai", server) as client:
            with pytest.raises(AuthenticationError) as caught:
                await client.call("hi")
    error = caught.value
    assert error.headers["x-echo"] == "you sent [REDACTED]"
    assert not _DROPPED & set(error.headers)
    assert error.request_id == "req_0123456789abcdef"
    assert KEY not in repr(error) + str(error) + repr(error.headers) + repr(error.rate_limit)


async def test_the_mock_adapter_reads_scripted_headers() -> None:
    reply = MockResponse(text="Hi", headers={**ANTHROPIC_HEADERS, "Set-Cookie": "session=1"})
    async with LLMClient(MockAdapter([reply, "no headers"])) as client:
        response = await client.call("hi")
        bare = await client.call("hi")
    assert response.request_id == "req_011CSLsW7mFqvHHnzrKdKjAE"
    assert response.rate_limit == ANTHROPIC_LIMITS
    assert "set-cookie" not in response.headers and response.headers["request-id"]
    assert (bare.request_id, bare.rate_limit, bare.headers) == (None, None, {})


@pytest.mark.parametrize(
    ("provider", "limit"), [("openai", 5000), ("openai-responses", 5000), ("anthropic", 1000)]
)
async def test_the_emulator_sends_each_providers_metadata(
    no_leaks: None, provider: str, limit: int
) -> None:
    async with Emulator([SCENARIO], api_key=KEY) as emulator:
        async with _client(provider, emulator) as client:
            response = await client.call("hi")
        sent = emulator.requests[0].reply.headers
    assert response.request_id is not None
    assert response.request_id == (sent.get("x-request-id") or sent.get("request-id"))
    assert response.rate_limit is not None and response.rate_limit.requests is not None
    assert response.rate_limit.requests.limit == limit
    assert response.rate_limit.requests.remaining == limit - 1


async def test_the_emulator_sends_gemini_no_metadata(no_leaks: None) -> None:
    async with Emulator([SCENARIO], api_key=KEY) as emulator, _client("gemini", emulator) as client:
        response = await client.call("hi")
    assert (response.request_id, response.rate_limit) == (None, None)
    assert response.headers["content-type"].startswith("text/event-stream")


async def test_an_emulated_429_says_when_the_request_limit_resets(no_leaks: None) -> None:
    limited = Scenario("m", text=("Hi",), faults=Faults(statuses=(429,)))
    async with Emulator([limited], api_key=KEY) as emulator, _client("openai", emulator) as client:
        with pytest.raises(RateLimitError) as caught:
            await client.call("hi")
    error = caught.value
    assert error.rate_limit is not None and error.rate_limit.requests is not None
    assert error.rate_limit.requests.remaining == 0
    assert error.retry_after == 20.0  # as the 429 body's "Please try again in 20s" says


def test_a_later_start_chunk_without_metadata_keeps_the_first_ones() -> None:
    accumulator = ResponseAccumulator()
    accumulator.add(
        StartChunk(provider="p", request_id="req_1", rate_limit=OPENAI_LIMITS, headers={"a": "b"})
    )
    accumulator.add(StartChunk(id="resp_2", provider="p"))
    response = accumulator.snapshot()
    assert (response.id, response.request_id, response.rate_limit, response.headers) == (
        "resp_2",
        "req_1",
        OPENAI_LIMITS,
        {"a": "b"},
    )


def test_the_readme_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Response metadata\n", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(code, "README.md", "exec"), {})
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("req_") and len(lines[0]) == 36
    assert lines[1:3] == ["4999 of 5000 requests left", "tokens reset in 0.009 s (sent as '9ms')"]
    assert lines[3].startswith("429 req_") and lines[3].endswith(" retry after 2.0 s")


def test_kept_headers_join_repeats_and_never_shift_values() -> None:
    sent = [("X-Trace", "a"), ("Set-Cookie", "s=1"), ("x-trace", "b"), ("X-Key-Id", "k1")]
    assert kept_headers(sent) == {"x-trace": "a, b"}
    # all values are redacted in one pass over their lines; a secret spanning two of them
    # must neither merge nor shift them
    assert kept_headers([("x-a", "one"), ("x-b", "two")], ["one\ntwo"]) == {
        "x-a": "one",
        "x-b": "two",
    }
    assert kept_headers([("x-a", f"Bearer {KEY}"), ("x-b", "sk-ant-abcdefghij")], [KEY]) == {
        "x-a": "Bearer [REDACTED]",
        "x-b": "[REDACTED]",
    }

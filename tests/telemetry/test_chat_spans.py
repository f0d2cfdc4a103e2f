"""The ``chat`` span and the client metrics of calls through ``MockAdapter``."""

from __future__ import annotations

import asyncio

import pytest
from opentelemetry.trace import SpanKind, StatusCode

from rillet import (
    LLMClient,
    MockAdapter,
    MockResponse,
    RateLimitError,
    StreamingLLMResponse,
    StreamInterruptedError,
    SyncLLMClient,
    Usage,
)
from rillet.protocol import FinishReason

from .conftest import Recorded, attrs

SECONDS_BUCKETS = (
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92
)  # fmt: skip
TOKEN_BUCKETS = (
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864
)  # fmt: skip
TTFC = "gen_ai.response.time_to_first_chunk"
DURATION = "gen_ai.client.operation.duration"
TOKENS = "gen_ai.client.token.usage"
FIRST_CHUNK = "gen_ai.client.operation.time_to_first_chunk"

_BASE = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "mock",
    "gen_ai.request.model": "gpt-test",
    "gen_ai.request.stream": True,
}
_METRIC_BASE = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "mock",
    "gen_ai.request.model": "gpt-test",
}


def _client(*script: MockResponse | str, provider: str = "mock", delay: float = 0.0) -> LLMClient:
    return LLMClient(MockAdapter(list(script), provider=provider, delay=delay), model="gpt-test")


async def test_a_call_is_one_client_span_with_every_attribute(recorded: Recorded) -> None:
    reply = MockResponse(text="Hello!", id="resp-42", usage=Usage(input_tokens=7, output_tokens=3))
    async with _client(reply) as client:
        await client.call("Hi", max_tokens=64, temperature=0.25, top_p=0.5, stop=["END"])

    (span,) = recorded.spans
    assert span.name == "chat gpt-test"
    assert span.kind is SpanKind.CLIENT
    assert span.parent is None
    assert span.status.status_code is StatusCode.UNSET
    attributes = attrs(span)
    ttfc = attributes.pop(TTFC)
    assert attributes == {
        **_BASE,
        "gen_ai.request.max_tokens": 64,
        "gen_ai.request.temperature": 0.25,
        "gen_ai.request.top_p": 0.5,
        "gen_ai.request.stop_sequences": ("END",),
        "gen_ai.response.id": "resp-42",
        "gen_ai.response.model": "gpt-test",
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 7,
        "gen_ai.usage.output_tokens": 3,
    }
    assert isinstance(ttfc, float)
    assert span.start_time is not None and span.end_time is not None
    assert 0 < ttfc * 1e9 <= span.end_time - span.start_time


async def test_the_span_is_a_child_of_the_current_span(recorded: Recorded) -> None:
    with recorded.tracer.start_as_current_span("app") as app:
        async with _client("Hi") as client:
            await client.call("Hi")
    chat = recorded.span("chat gpt-test")
    assert chat.parent is not None
    assert chat.parent.span_id == app.get_span_context().span_id
    assert chat.context is not None
    assert chat.context.trace_id == app.get_span_context().trace_id


async def test_a_call_without_a_model_is_named_chat(recorded: Recorded) -> None:
    async with LLMClient(MockAdapter("Hi", model="own-model")) as client:
        await client.call("Hi")
    span = recorded.span("chat")
    attributes = attrs(span)
    assert "gen_ai.request.model" not in attributes
    assert attributes["gen_ai.response.model"] == "own-model"


async def test_the_span_ends_at_the_terminal_chunk(recorded: Recorded) -> None:
    async with _client("Hello there") as client, client.stream("Hi") as stream:
        types = []
        async for chunk in stream:
            types.append(chunk.type)
            ended = [s.name for s in recorded.spans]
            assert ended == (["chat gpt-test"] if chunk.type == "stop" else []), chunk.type
        assert types[-1] == "stop"
    assert len(recorded.spans) == 1


@pytest.mark.parametrize(
    ("reply", "provider", "usage"),
    [
        (  # Anthropic leaves cache reads and writes out of input_tokens: they are added
            MockResponse(
                text="x",
                usage=Usage(
                    input_tokens=100,
                    output_tokens=9,
                    cached_input_tokens=40,
                    cache_creation_input_tokens=5,
                ),
            ),
            "anthropic",
            {
                "gen_ai.usage.input_tokens": 145,
                "gen_ai.usage.output_tokens": 9,
                "gen_ai.usage.cache_read.input_tokens": 40,
                "gen_ai.usage.cache_creation.input_tokens": 5,
            },
        ),
        (  # Gemini leaves thoughts out of candidatesTokenCount: they are added
            MockResponse(
                text="x", usage=Usage(input_tokens=10, output_tokens=20, reasoning_tokens=30)
            ),
            "gemini",
            {
                "gen_ai.usage.input_tokens": 10,
                "gen_ai.usage.output_tokens": 50,
                "gen_ai.usage.reasoning.output_tokens": 30,
            },
        ),
        (  # OpenAI's counts already include cached and reasoning tokens
            MockResponse(
                text="x",
                usage=Usage(
                    input_tokens=100,
                    output_tokens=20,
                    cached_input_tokens=40,
                    reasoning_tokens=8,
                ),
            ),
            "openai",
            {
                "gen_ai.usage.input_tokens": 100,
                "gen_ai.usage.output_tokens": 20,
                "gen_ai.usage.cache_read.input_tokens": 40,
                "gen_ai.usage.reasoning.output_tokens": 8,
            },
        ),
    ],
    ids=["anthropic", "gemini", "openai"],
)
async def test_usage_follows_each_providers_counting(
    recorded: Recorded, reply: MockResponse, provider: str, usage: dict[str, int]
) -> None:
    async with _client(reply, provider=provider) as client:
        await client.call("Hi")
    attributes = attrs(recorded.span("chat gpt-test"))
    assert {k: v for k, v in attributes.items() if k.startswith("gen_ai.usage.")} == usage
    points = {p.attributes["gen_ai.token.type"]: p.sum for p in recorded.points(TOKENS)}
    assert points == {
        "input": usage["gen_ai.usage.input_tokens"],
        "output": usage["gen_ai.usage.output_tokens"],
    }


@pytest.mark.parametrize(
    ("reply", "reasons"),
    [
        (MockResponse(tool_calls=[{"id": "c1", "name": "f", "arguments": {}}]), ("tool_call",)),
        (MockResponse(text="x", finish_reason=FinishReason.length), ("length",)),
        (MockResponse(text="x", finish_reason=FinishReason.content_filter), ("content_filter",)),
        (
            MockResponse(
                text="x", finish_reason=FinishReason.other, provider_finish_reason="RECITATION"
            ),
            ("RECITATION",),
        ),
    ],
    ids=["tool_calls", "length", "content_filter", "other"],
)
async def test_finish_reasons_in_the_conventions_words(
    recorded: Recorded, reply: MockResponse, reasons: tuple[str, ...]
) -> None:
    async with _client(reply) as client:
        await client.call("Hi")
    attributes = attrs(recorded.span("chat gpt-test"))
    assert attributes["gen_ai.response.finish_reasons"] == reasons


async def test_an_error_before_any_chunk(recorded: Recorded) -> None:
    error = RateLimitError("slow down", status_code=429)
    async with _client(MockResponse(text="x", error=error, error_after=0)) as client:
        with pytest.raises(RateLimitError):
            await client.call("Hi")

    span = recorded.span("chat gpt-test")
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == str(error)
    assert attrs(span) == {**_BASE, "error.type": "RateLimitError"}
    (duration,) = recorded.points(DURATION)
    assert duration.attributes == {**_METRIC_BASE, "error.type": "RateLimitError"}
    assert recorded.points(FIRST_CHUNK) == []
    assert recorded.points(TOKENS) == []


async def test_an_error_in_the_middle_of_the_stream(recorded: Recorded) -> None:
    error = StreamInterruptedError("connection reset", body_started=True)
    reply = MockResponse(text="Hello world", chunk_size=4, error=error, error_after=2, id="r-9")
    async with _client(reply) as client, client.stream("Hi") as stream:
        chunks = []
        with pytest.raises(StreamInterruptedError):
            async for chunk in stream:
                chunks.append(chunk.type)
    assert chunks == ["start", "content", "error"]

    span = recorded.span("chat gpt-test")
    assert span.status.status_code is StatusCode.ERROR
    attributes = attrs(span)
    assert isinstance(attributes.pop(TTFC), float)
    assert attributes == {
        **_BASE,
        "gen_ai.response.id": "r-9",
        "gen_ai.response.model": "gpt-test",
        "error.type": "StreamInterruptedError",
    }
    (duration,) = recorded.points(DURATION)
    assert duration.attributes["error.type"] == "StreamInterruptedError"
    (first,) = recorded.points(FIRST_CHUNK)
    assert "error.type" not in first.attributes


async def test_closing_the_stream_early_marks_it_cancelled(recorded: Recorded) -> None:
    async with _client("Hello world, a long answer") as client:
        async with client.stream("Hi") as stream:
            async for chunk in stream:
                if chunk.type == "content":
                    break
        assert stream.response.text == "Hello wo"

    span = recorded.span("chat gpt-test")
    assert span.status.status_code is StatusCode.ERROR
    assert attrs(span)["error.type"] == "cancelled"
    assert "gen_ai.response.finish_reasons" not in attrs(span)
    (duration,) = recorded.points(DURATION)
    assert duration.attributes["error.type"] == "cancelled"


async def test_a_cancelled_task_ends_its_span(recorded: Recorded) -> None:
    async with _client("Hello world, a long answer", delay=0.02) as client:

        async def read() -> None:
            async with client.stream("Hi") as stream:
                async for _ in stream:
                    pass

        task = asyncio.create_task(read())
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert attrs(recorded.span("chat gpt-test"))["error.type"] == "cancelled"


async def test_time_to_first_chunk_runs_from_the_request(recorded: Recorded) -> None:
    async with _client("Hi", delay=0.05) as client:
        stream = client.stream("Hi")
        await asyncio.sleep(0.5)  # the request goes out at the first read, not before
        async with stream:
            await stream.get_response()
    ttfc = attrs(recorded.span("chat gpt-test"))[TTFC]
    assert isinstance(ttfc, float)
    assert 0.05 <= ttfc < 0.5
    (first,) = recorded.points(FIRST_CHUNK)
    assert first.count == 1
    assert first.sum == pytest.approx(ttfc)


async def test_the_metrics_of_two_calls(recorded: Recorded) -> None:
    error = RateLimitError("slow down", status_code=429)
    script = [
        MockResponse(text="ok", usage=Usage(input_tokens=5, output_tokens=300)),
        MockResponse(text="x", error=error, error_after=0),
    ]
    async with _client(*script) as client:
        await client.call("Hi")
        with pytest.raises(RateLimitError):
            await client.call("Hi")

    ok = {**_METRIC_BASE, "gen_ai.response.model": "gpt-test"}
    durations = {tuple(sorted(p.attributes.items())): p for p in recorded.points(DURATION)}
    assert set(durations) == {
        tuple(sorted(ok.items())),
        tuple(sorted({**_METRIC_BASE, "error.type": "RateLimitError"}.items())),
    }
    for point in durations.values():
        assert point.count == 1
        assert point.bounds == SECONDS_BUCKETS
    tokens = {p.attributes["gen_ai.token.type"]: p for p in recorded.points(TOKENS)}
    assert {kind: (p.count, p.sum) for kind, p in tokens.items()} == {
        "input": (1, 5),
        "output": (1, 300),
    }
    assert tokens["input"].attributes == {**ok, "gen_ai.token.type": "input"}
    assert tokens["output"].bounds == TOKEN_BUCKETS
    (first,) = recorded.points(FIRST_CHUNK)
    assert first.attributes == ok
    assert first.bounds == SECONDS_BUCKETS
    assert first.count == 1

    units = {name: recorded.unit(name) for name in (DURATION, TOKENS, FIRST_CHUNK)}
    assert units == {DURATION: "s", TOKENS: "{token}", FIRST_CHUNK: "s"}


async def test_a_stream_is_still_a_streaming_response(recorded: Recorded) -> None:
    async with _client("Hi") as client, client.stream("Hi") as stream:
        assert isinstance(stream, StreamingLLMResponse)
        assert (await stream.get_response()).text == "Hi"


def test_the_sync_client_is_traced_too(recorded: Recorded) -> None:
    with SyncLLMClient(MockAdapter("Hi"), model="gpt-test") as client:
        assert client.call("Hi").text == "Hi"
    assert [s.name for s in recorded.spans] == ["chat gpt-test"]

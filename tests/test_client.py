"""LLMClient and StreamingLLMResponse over MockAdapter and small hand-written adapters."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from rillet import (
    APIConnectionError,
    CallSettings,
    ChunkAdapter,
    ContentChunk,
    FinishReason,
    LLMClient,
    LLMRequest,
    MockAdapter,
    MockResponse,
    OverloadedError,
    RilletError,
    StartChunk,
    StopChunk,
    StreamChunk,
    StreamInterruptedError,
    Timeout,
    ToolCall,
    UserMessage,
)


async def test_stream_is_a_context_manager_and_an_iterator() -> None:
    client = LLMClient(MockAdapter(MockResponse(text="Hello, world!", chunk_size=3)))
    async with client.stream([{"role": "user", "content": "hi"}]) as stream:
        chunks = [chunk async for chunk in stream]
    assert chunks[0].type == "start"
    assert chunks[-1].type == "stop"
    assert "".join(c.text for c in chunks if c.type == "content") == "Hello, world!"
    assert stream.response.text == "Hello, world!"
    assert stream.response.finish_reason is FinishReason.stop
    assert stream.response.usage is not None


async def test_stream_without_context_manager() -> None:
    client = LLMClient(MockAdapter("abc"))
    stream = client.stream("hi")
    types = [chunk.type async for chunk in stream]
    assert types[0] == "start" and types[-1] == "stop"
    assert stream.response.text == "abc"


async def test_call_returns_the_response_with_tool_calls() -> None:
    adapter = MockAdapter(
        MockResponse(
            tool_calls=[ToolCall(id="c1", name="add", arguments={"a": 1, "b": 2})], chunk_size=2
        )
    )
    response = await LLMClient(adapter, model="m-1").call("add 1 and 2", temperature=0.5)
    assert response.finish_reason is FinishReason.tool_calls
    assert [(c.id, c.name, c.arguments) for c in response.tool_calls] == [
        ("c1", "add", {"a": 1, "b": 2})
    ]
    request = adapter.requests[0]
    assert request.model == "m-1"
    assert request.temperature == 0.5
    assert isinstance(request.messages[0], UserMessage)


async def test_messages_as_models_or_dicts_build_the_same_request() -> None:
    client = LLMClient(MockAdapter("x"))
    from_dicts = client.build_request(
        [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]
    )
    from_models = client.build_request(from_dicts.messages)
    assert from_dicts == from_models


async def test_bad_messages_are_a_typed_error() -> None:
    client = LLMClient(MockAdapter("x"))
    with pytest.raises(Exception) as caught:
        client.build_request([{"role": "robot", "content": "u"}])
    assert "role" in str(caught.value)


async def test_error_mid_stream_gives_an_error_chunk_then_the_typed_error_with_partial() -> None:
    failure = OverloadedError("Overloaded", error_type="overloaded_error")
    client = LLMClient(
        MockAdapter(MockResponse(text="partial answer", chunk_size=4, error=failure, error_after=3))
    )
    seen: list[StreamChunk] = []
    with pytest.raises(OverloadedError) as caught:
        async with client.stream("hi") as stream:
            async for chunk in stream:
                seen.append(chunk)
    assert [c.type for c in seen] == ["start", "content", "content", "error"]
    assert caught.value.retryable
    assert caught.value.partial is not None
    assert caught.value.partial.text == "partial "
    assert caught.value.partial.text == "".join(c.text for c in seen if isinstance(c, ContentChunk))
    assert stream.response.text == caught.value.partial.text


async def test_error_before_any_chunk_is_raised_without_chunks() -> None:
    client = LLMClient(
        MockAdapter(MockResponse(text="x", error=APIConnectionError("refused"), error_after=0))
    )
    with pytest.raises(APIConnectionError) as caught:
        await client.call("hi")
    assert caught.value.partial is not None and caught.value.partial.text == ""


class _EndlessAdapter(ChunkAdapter):
    """Streams until closed; records that it was closed."""

    provider = "endless"

    def __init__(self) -> None:
        self.closed = False
        self.sent = 0

    async def stream(
        self, request: LLMRequest, settings: CallSettings
    ) -> AsyncIterator[StreamChunk]:
        try:
            yield StartChunk(provider=self.provider)
            while True:
                self.sent += 1
                yield ContentChunk(text="x")
        finally:
            self.closed = True

    async def aclose(self) -> None:
        return None


async def test_leaving_the_context_early_closes_the_adapter_stream() -> None:
    adapter = _EndlessAdapter()
    async with LLMClient(adapter).stream("hi") as stream:
        async for chunk in stream:
            if chunk.type == "content":
                break
    assert adapter.closed
    assert adapter.sent == 1
    assert stream.response.text == "x"


class _ScriptedAdapter(ChunkAdapter):
    provider = "scripted"

    def __init__(self, chunks: list[StreamChunk], then: BaseException | None = None) -> None:
        self._chunks = chunks
        self._then = then

    async def stream(
        self, request: LLMRequest, settings: CallSettings
    ) -> AsyncIterator[StreamChunk]:
        for chunk in self._chunks:
            yield chunk
        if self._then is not None:
            raise self._then

    async def aclose(self) -> None:
        return None


async def test_adapter_ending_without_terminal_is_an_interrupted_stream() -> None:
    adapter = _ScriptedAdapter([StartChunk(provider="s"), ContentChunk(text="cut")])
    with pytest.raises(StreamInterruptedError) as caught:
        await LLMClient(adapter).call("hi")
    assert caught.value.partial is not None and caught.value.partial.text == "cut"


async def test_a_bug_in_an_adapter_still_ends_as_a_rillet_error() -> None:
    adapter = _ScriptedAdapter([StartChunk(provider="s")], then=KeyError("choices"))
    with pytest.raises(RilletError) as caught:
        await LLMClient(adapter).call("hi")
    assert isinstance(caught.value.__cause__, KeyError)


async def test_chunks_after_the_terminal_chunk_are_never_delivered() -> None:
    adapter = _ScriptedAdapter(
        [
            StartChunk(provider="s"),
            StopChunk(finish_reason=FinishReason.stop),
            ContentChunk(text="late"),
        ]
    )
    async with LLMClient(adapter).stream("hi") as stream:
        types = [c.type async for c in stream]
    assert types == ["start", "stop"]


async def test_per_call_settings_reach_the_adapter() -> None:
    seen: list[CallSettings] = []

    class Recording(_ScriptedAdapter):
        async def stream(
            self, request: LLMRequest, settings: CallSettings
        ) -> AsyncIterator[StreamChunk]:
            seen.append(settings)
            async for chunk in super().stream(request, settings):
                yield chunk

    adapter = Recording([StartChunk(provider="s"), StopChunk(finish_reason=FinishReason.stop)])
    client = LLMClient(adapter, timeout=30, max_retries=5)
    await client.call("a")
    await client.call("b", timeout=Timeout(connect=1, idle=2), max_retries=0)
    assert seen[0] == CallSettings(timeout=Timeout(idle=30), max_retries=5)
    assert seen[1] == CallSettings(timeout=Timeout(connect=1, idle=2), max_retries=0)


async def test_client_by_provider_name_mock() -> None:
    async with LLMClient(provider="mock") as client:
        response = await client.call("hi")
    assert response.text
    assert response.provider == "mock"

"""The adapter interface: ``LLMClient`` calls ``stream_batches`` and nothing else; an adapter
written one chunk at a time gets it from ``ChunkAdapter``; the shapes of before still work, with
a ``DeprecationWarning``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import pytest

import rillet
from rillet import (
    CallSettings,
    ChunkAdapter,
    ConfigurationError,
    ContentChunk,
    FinishReason,
    LLMClient,
    LLMRequest,
    ProviderAdapter,
    StartChunk,
    StopChunk,
    StreamChunk,
    Timeout,
)
from rillet.registry import AdapterConfig, create_adapter

_REPLY: list[StreamChunk] = [
    StartChunk(provider="batched"),
    ContentChunk(text="Hello, "),
    ContentChunk(text="world"),
    StopChunk(finish_reason=FinishReason.stop),
]


class _Batched:
    """A structural ``ProviderAdapter`` (no base class): batches only, no ``stream`` at all."""

    provider = "batched"

    def __init__(self) -> None:
        self.settings: list[CallSettings] = []
        self.closed = 0

    async def stream_batches(
        self, request: LLMRequest, settings: CallSettings
    ) -> AsyncIterator[Sequence[StreamChunk]]:
        self.settings.append(settings)
        try:
            yield _REPLY[:2]
            yield _REPLY[2:]
        finally:
            self.closed += 1

    async def aclose(self) -> None:
        return None


async def test_llmclient_streams_through_stream_batches() -> None:
    adapter = _Batched()
    client = LLMClient(adapter, timeout=7, max_retries=1)
    async with client.stream("hi", keep_frames=False) as stream:
        seen = [chunk async for chunk in stream]
    assert seen == _REPLY
    assert stream.response.text == "Hello, world"
    assert adapter.settings == [
        CallSettings(timeout=Timeout(idle=7), max_retries=1, keep_frames=False)
    ]
    assert adapter.closed == 1


class _OneByOne(ChunkAdapter):
    """Writes ``stream`` only."""

    provider = "one-by-one"

    def __init__(self) -> None:
        self.closed = False

    async def stream(
        self, request: LLMRequest, settings: CallSettings
    ) -> AsyncIterator[StreamChunk]:
        try:
            for chunk in _REPLY:
                yield chunk
        finally:
            self.closed = True


async def test_chunk_adapter_hands_out_each_chunk_alone_and_closes_the_stream() -> None:
    adapter = _OneByOne()
    assert isinstance(adapter, ProviderAdapter)
    batches = adapter.stream_batches(LLMRequest(messages=[]), CallSettings())
    assert [list(batch) async for batch in batches] == [[chunk] for chunk in _REPLY]
    early = adapter.stream_batches(LLMRequest(messages=[]), CallSettings())
    adapter.closed = False
    assert list(await early.__anext__()) == [_REPLY[0]]
    await early.aclose()  # type: ignore[attr-defined]
    assert adapter.closed
    assert (await LLMClient(adapter).call("hi")).text == "Hello, world"


class _StreamOnly:
    """An adapter as written before ``stream_batches``: no base class, ``stream`` alone."""

    provider = "stream-only"

    def __init__(self) -> None:
        self.requests: list[LLMRequest] = []

    async def stream(
        self, request: LLMRequest, settings: CallSettings
    ) -> AsyncIterator[StreamChunk]:
        self.requests.append(request)
        for chunk in _REPLY:
            yield chunk

    async def aclose(self) -> None:
        return None


async def test_an_adapter_with_stream_only_still_works_with_a_warning() -> None:
    with pytest.warns(DeprecationWarning, match="subclass rillet.ChunkAdapter"):
        client = LLMClient(_StreamOnly())  # type: ignore[arg-type]
    assert (await client.call("hi")).text == "Hello, world"
    assert client.provider == "stream-only"
    assert len(client.adapter.requests) == 1  # type: ignore[attr-defined]


def built_stream_only(config: AdapterConfig) -> _StreamOnly:
    return _StreamOnly()


def built_nothing(config: AdapterConfig) -> object:
    return object()


def test_create_adapter_checks_what_the_factory_built() -> None:
    with pytest.warns(DeprecationWarning, match="_StreamOnly has no stream_batches"):
        adapter = create_adapter(f"{__name__}:built_stream_only", AdapterConfig())
    assert isinstance(adapter, ProviderAdapter)
    with pytest.raises(ConfigurationError, match="built_nothing' did not build an adapter"):
        create_adapter(f"{__name__}:built_nothing", AdapterConfig())


def test_anything_else_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="object is not a ProviderAdapter"):
        LLMClient(object())  # type: ignore[arg-type]


def test_call_options_is_call_settings_under_its_old_name() -> None:
    with pytest.warns(DeprecationWarning, match="CallOptions is deprecated: use .*CallSettings"):
        assert rillet.CallOptions is CallSettings
    with pytest.warns(DeprecationWarning, match="CallOptions is deprecated: use .*CallSettings"):
        from rillet.adapter import CallOptions
    assert CallOptions is CallSettings
    assert "CallOptions" not in rillet.__all__
    with pytest.raises(AttributeError):
        getattr(rillet, "NoSuchName")  # noqa: B009

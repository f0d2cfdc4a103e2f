"""Adapters that each break exactly one catalogue rule (named by ``breaks``).

Each wraps the built-in OpenAI Chat adapter and spoils its stream in one way, so the suite run
against it must fail that rule and no other: proof that every rule is able to fail.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from typing import ClassVar

import aiohttp

from rillet import (
    AdapterConfig,
    CallSettings,
    ChunkAdapter,
    ContentChunk,
    FinishReason,
    LLMRequest,
    MalformedStreamError,
    StopChunk,
    StreamChunk,
    StreamInterruptedError,
    Timeout,
)
from rillet.providers.openai_chat import OpenAIChatAdapter
from rillet.providers.openai_chat._mapper import ChatMapper
from rillet.transport import Frame

__all__ = ["BROKEN", "AssumesWholeEvents", "BatchesDropStart", "Broken", "StreamUnused"]

Chunks = AsyncIterator[StreamChunk]


async def aclose(chunks: AsyncIterator[object]) -> None:
    """Close an adapter's stream (an async generator), which releases its connection."""
    close = getattr(chunks, "aclose", None)
    if close is not None:
        await close()


class Broken(ChunkAdapter):
    """Base: streams the built-in adapter's chunks through ``transform``."""

    conformance_wire: ClassVar[str] = "openai"
    breaks: ClassVar[str] = ""

    def __init__(self, inner: OpenAIChatAdapter) -> None:
        self.inner = inner

    @classmethod
    def from_config(cls, config: AdapterConfig) -> Broken:
        return cls(
            OpenAIChatAdapter(
                model=config.model,
                api_key=config.api_key,
                base_url=config.base_url,
                timeout=cls.timeout(config),
                max_retries=config.max_retries,
            )
        )

    @classmethod
    def timeout(cls, config: AdapterConfig) -> Timeout:
        return config.timeout

    @property
    def provider(self) -> str:
        return "openai"

    async def stream(self, request: LLMRequest, settings: CallSettings) -> Chunks:
        source = self.open(request, settings)
        try:
            async for chunk in self.transform(source, request, settings):
                yield chunk
        finally:
            await aclose(source)

    def open(self, request: LLMRequest, settings: CallSettings) -> Chunks:
        return self.inner.stream(request, settings)

    async def transform(
        self, chunks: Chunks, request: LLMRequest, settings: CallSettings
    ) -> Chunks:
        async for chunk in chunks:
            yield chunk

    async def aclose(self) -> None:
        await self.inner.aclose()


class NoStartChunk(Broken):
    breaks = "start_first"

    async def transform(
        self, chunks: Chunks, request: LLMRequest, settings: CallSettings
    ) -> Chunks:
        async for chunk in chunks:
            if chunk.type != "start":
                yield chunk


class TwoTerminalChunks(Broken):
    breaks = "one_terminal"

    async def transform(
        self, chunks: Chunks, request: LLMRequest, settings: CallSettings
    ) -> Chunks:
        async for chunk in chunks:
            yield chunk
            if chunk.type == "stop":
                yield chunk


class ChunkAfterTerminal(Broken):
    breaks = "one_terminal"

    async def transform(
        self, chunks: Chunks, request: LLMRequest, settings: CallSettings
    ) -> Chunks:
        async for chunk in chunks:
            yield chunk
            if chunk.type == "stop":
                yield ContentChunk(text="late")


class UnbalancedToolCalls(Broken):
    breaks = "tool_calls_balanced"

    async def transform(
        self, chunks: Chunks, request: LLMRequest, settings: CallSettings
    ) -> Chunks:
        async for chunk in chunks:
            if chunk.type != "tool_call_end":
                yield chunk


class WrongArguments(Broken):
    """Shifts every digit of the argument text: still JSON, other values."""

    breaks = "tool_arguments"
    _SHIFT = str.maketrans("0123456789", "1234567890")

    async def transform(
        self, chunks: Chunks, request: LLMRequest, settings: CallSettings
    ) -> Chunks:
        async for chunk in chunks:
            if chunk.type == "tool_call_chunk":
                yield chunk.model_copy(
                    update={"arguments_delta": chunk.arguments_delta.translate(self._SHIFT)}
                )
            elif chunk.type == "tool_call_end":
                yield chunk.model_copy(update={"arguments": None})
            else:
                yield chunk


class TextMismatch(Broken):
    """Drops every text delta after the second."""

    breaks = "text"

    async def transform(
        self, chunks: Chunks, request: LLMRequest, settings: CallSettings
    ) -> Chunks:
        seen = 0
        async for chunk in chunks:
            if chunk.type == "content":
                seen += 1
                if seen > 2:
                    continue
            yield chunk


class MissingUsage(Broken):
    breaks = "usage"

    async def transform(
        self, chunks: Chunks, request: LLMRequest, settings: CallSettings
    ) -> Chunks:
        async for chunk in chunks:
            yield chunk.model_copy(update={"usage": None}) if chunk.type == "stop" else chunk


class WrongFinishReason(Broken):
    breaks = "response"

    async def transform(
        self, chunks: Chunks, request: LLMRequest, settings: CallSettings
    ) -> Chunks:
        async for chunk in chunks:
            if chunk.type == "stop":
                yield chunk.model_copy(update={"finish_reason": FinishReason.other})
            else:
                yield chunk


class RetriesAfterFirstChunk(Broken):
    """When the stream breaks, sends the request again and resumes where it was."""

    breaks = "retries"

    async def transform(
        self, chunks: Chunks, request: LLMRequest, settings: CallSettings
    ) -> Chunks:
        sent = 0
        try:
            async for chunk in chunks:
                sent += 1
                yield chunk
        except StreamInterruptedError:
            if not sent:
                raise
            again = self.open(request, settings)
            try:
                skipped = 0
                async for chunk in again:
                    skipped += 1
                    if skipped > sent:
                        yield chunk
            finally:
                await aclose(again)


class SwallowsErrors(Broken):
    """Ends a broken stream, or one the provider failed, as if it had stopped normally."""

    breaks = "error"

    async def transform(
        self, chunks: Chunks, request: LLMRequest, settings: CallSettings
    ) -> Chunks:
        try:
            async for chunk in chunks:
                if chunk.type == "error":
                    yield StopChunk(finish_reason=FinishReason.stop)
                    return
                yield chunk
        except StreamInterruptedError:
            yield StopChunk(finish_reason=FinishReason.stop)


class LosesPartial(Broken):
    """Holds text back until the stream ends well, and drops it when it does not."""

    breaks = "partial"

    async def transform(
        self, chunks: Chunks, request: LLMRequest, settings: CallSettings
    ) -> Chunks:
        held: list[StreamChunk] = []
        async for chunk in chunks:
            if chunk.type == "content":
                held.append(chunk)
                continue
            if chunk.type == "stop":
                for kept in held:
                    yield kept
            yield chunk


class DropsMetadata(Broken):
    """Leaves the response's request id, rate limits and headers off the start chunk."""

    breaks = "metadata"

    async def transform(
        self, chunks: Chunks, request: LLMRequest, settings: CallSettings
    ) -> Chunks:
        async for chunk in chunks:
            if chunk.type == "start":
                chunk = chunk.model_copy(
                    update={"request_id": None, "rate_limit": None, "headers": None}
                )
            yield chunk


class NoIdleTimeout(Broken):
    """Ignores the idle timeout it is given: a stall hangs."""

    breaks = "idle_timeout"
    _NO_IDLE = Timeout(connect=2.0, idle=None)

    @classmethod
    def timeout(cls, config: AdapterConfig) -> Timeout:
        return cls._NO_IDLE

    def open(self, request: LLMRequest, settings: CallSettings) -> Chunks:
        return super().open(request, dataclasses.replace(settings, timeout=self._NO_IDLE))


_END = object()


class IgnoresCancellation(Broken):
    """Reads the stream in a task of its own, which goes on after the consumer leaves."""

    breaks = "cancellation"

    def __init__(self, inner: OpenAIChatAdapter) -> None:
        super().__init__(inner)
        self._tasks: set[asyncio.Task[None]] = set()

    def open(self, request: LLMRequest, settings: CallSettings) -> Chunks:
        queue: asyncio.Queue[object] = asyncio.Queue()

        source = super().open(request, settings)

        async def pump() -> None:
            try:
                async for chunk in source:
                    await queue.put(chunk)
            except Exception as error:
                await queue.put(error)
            finally:
                await aclose(source)
            await queue.put(_END)

        self._tasks.add(asyncio.create_task(pump()))
        return self._read(queue)

    @staticmethod
    async def _read(queue: asyncio.Queue[object]) -> Chunks:
        while (item := await queue.get()) is not _END:
            if isinstance(item, Exception):
                raise item
            yield item  # type: ignore[misc]

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await super().aclose()


class ArgumentsOnlyAtTheEnd(Broken):
    """Sends each call's arguments on its ``tool_call_end`` only, no argument deltas: a tool
    call still reads right, but an output asked for in tool mode arrives empty."""

    breaks = "output"

    async def transform(
        self, chunks: Chunks, request: LLMRequest, settings: CallSettings
    ) -> Chunks:
        texts: dict[int | None, str] = {}
        async for chunk in chunks:
            if chunk.type == "tool_call_chunk":
                texts[chunk.index] = texts.get(chunk.index, "") + chunk.arguments_delta
            elif chunk.type == "tool_call_end":
                text = texts.get(chunk.index, "")
                yield chunk.model_copy(update={"arguments": json.loads(text) if text else {}})
            else:
                yield chunk


BROKEN: tuple[type[Broken], ...] = (
    NoStartChunk,
    TwoTerminalChunks,
    ChunkAfterTerminal,
    UnbalancedToolCalls,
    WrongArguments,
    TextMismatch,
    MissingUsage,
    WrongFinishReason,
    RetriesAfterFirstChunk,
    SwallowsErrors,
    LosesPartial,
    DropsMetadata,
    NoIdleTimeout,
    IgnoresCancellation,
    ArgumentsOnlyAtTheEnd,
)


class BatchesDropStart(Broken):
    """Right one chunk at a time, wrong where ``LLMClient`` reads: its ``stream_batches`` drops
    the start chunk. A suite that judged ``stream`` would pass it."""

    breaks = "start_first"

    async def stream_batches(
        self, request: LLMRequest, settings: CallSettings
    ) -> AsyncGenerator[Sequence[StreamChunk], None]:
        batches = super().stream_batches(request, settings)
        try:
            async for batch in batches:
                kept = [chunk for chunk in batch if chunk.type != "start"]
                if kept:
                    yield kept
        finally:
            await aclose(batches)


class StreamUnused(Broken):
    """Its ``stream`` fails at once; ``stream_batches``, all ``LLMClient`` calls, is the
    built-in adapter's own. A suite that judged ``stream`` would fail it."""

    breaks = ""

    def stream(self, request: LLMRequest, settings: CallSettings) -> Chunks:
        raise AssertionError("LLMClient never calls stream")

    def stream_batches(
        self, request: LLMRequest, settings: CallSettings
    ) -> AsyncIterator[Sequence[StreamChunk]]:
        return self.inner.stream_batches(request, settings)


class AssumesWholeEvents(ChunkAdapter):
    """Reads the body itself and takes each network read for whole SSE events: right when the
    body arrives in one piece (as vcrpy replays it), wrong once it is split. Only the split
    replays of a cassette can catch it."""

    conformance_wire: ClassVar[str] = "openai"
    breaks: ClassVar[str] = "replay_identical"
    provider: ClassVar[str] = "openai"

    def __init__(self, config: AdapterConfig) -> None:
        self.config = config
        self.session: aiohttp.ClientSession | None = None

    @classmethod
    def from_config(cls, config: AdapterConfig) -> AssumesWholeEvents:
        return cls(config)

    async def stream(self, request: LLMRequest, settings: CallSettings) -> Chunks:
        self.session = self.session or aiohttp.ClientSession()
        body: dict[str, object] = {
            "model": request.model or self.config.model,
            "messages": [],
            "stream": True,
        }
        headers = {"authorization": f"Bearer {self.config.api_key}"}
        url = f"{self.config.base_url}/chat/completions"
        mapper = ChatMapper(self.provider)
        async with self.session.post(url, json=body, headers=headers) as response:
            async for data in response.content.iter_any():
                for line in data.decode("utf-8", "replace").splitlines():
                    if not line.startswith("data: "):
                        continue
                    try:
                        chunks = mapper.feed(Frame(data=line.removeprefix("data: ")))
                    except MalformedStreamError:
                        continue  # the bug: half an event is dropped, not kept for the next read
                    for chunk in chunks:
                        yield chunk

    async def aclose(self) -> None:
        if self.session is not None:
            await self.session.close()

"""``MockAdapter``: a scripted provider for tests, examples and offline runs."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rillet._exceptions import ConfigurationError, RilletError
from rillet._ids import new_tool_call_id
from rillet._response_metadata import read_metadata
from rillet.adapter import CallSettings, ChunkAdapter
from rillet.protocol import (
    ContentChunk,
    FinishReason,
    LLMRequest,
    ReasoningChunk,
    StartChunk,
    StopChunk,
    StreamChunk,
    ToolCall,
    ToolCallChunk,
    ToolCallEndChunk,
    ToolCallStartChunk,
    Usage,
)
from rillet.registry import AdapterConfig

__all__ = ["MockAdapter", "MockResponse"]


@dataclass
class MockResponse:
    """One scripted model turn, split into chunks by ``MockAdapter``.

    ``error`` is raised after ``error_after`` chunks (default: after all of them, in place of
    the stop chunk), as a transport failure would be. ``headers`` are the response headers the
    turn pretends to have come with: the start chunk carries its request id, rate limits and
    headers (credentials removed) read from them as the HTTP adapters read a real response's.
    """

    text: str = ""
    reasoning: str = ""
    reasoning_signature: str | None = None
    tool_calls: Sequence[ToolCall | Mapping[str, Any]] = ()
    finish_reason: FinishReason | None = None
    provider_finish_reason: str | None = None
    usage: Usage | None = field(default_factory=lambda: Usage(input_tokens=10, output_tokens=20))
    chunk_size: int = 8
    error: RilletError | None = None
    error_after: int | None = None
    id: str = "mock-response"
    headers: Mapping[str, str] = field(default_factory=dict)

    def chunks(self, provider: str, model: str) -> Iterator[StreamChunk]:
        """The chunks of this turn, without the injected error."""
        first = StartChunk(id=self.id, model=model, provider=provider)
        if self.headers:
            first = first.model_copy(update=read_metadata(self.headers).fields())
        yield first
        size = max(1, self.chunk_size)
        if self.reasoning or self.reasoning_signature:
            for start in range(0, len(self.reasoning), size):
                yield ReasoningChunk(text=self.reasoning[start : start + size])
            if self.reasoning_signature:
                yield ReasoningChunk(signature=self.reasoning_signature)
        for start in range(0, len(self.text), size):
            yield ContentChunk(text=self.text[start : start + size])
        calls = [
            c if isinstance(c, ToolCall) else ToolCall.model_validate(c) for c in self.tool_calls
        ]
        for index, call in enumerate(calls):
            call_id = call.id or new_tool_call_id()
            yield ToolCallStartChunk(index=index, id=call_id, name=call.name)
            raw = call.raw_arguments or _json_text(call.arguments)
            for start in range(0, len(raw), size):
                yield ToolCallChunk(index=index, arguments_delta=raw[start : start + size])
            yield ToolCallEndChunk(index=index, id=call_id, name=call.name)
        reason = self.finish_reason or (FinishReason.tool_calls if calls else FinishReason.stop)
        yield StopChunk(
            finish_reason=reason,
            provider_finish_reason=self.provider_finish_reason or reason.value,
            usage=self.usage,
        )


def _json_text(arguments: Mapping[str, Any]) -> str:
    return json.dumps(arguments, ensure_ascii=False)


class MockAdapter(ChunkAdapter):
    """Streams a script: one entry per call of ``stream``, in order.

    Each entry is a ``MockResponse``, a plain string (the assistant's text), or a list of
    ``StreamChunk`` values sent as they are. ``delay`` seconds pass before each chunk.
    ``requests`` records every request received, so tests can check what was sent.
    """

    def __init__(
        self,
        script: Sequence[MockResponse | str | Sequence[StreamChunk]] | MockResponse | str = "",
        *,
        delay: float = 0.0,
        provider: str = "mock",
        model: str = "mock-model",
        repeat: bool = False,
    ) -> None:
        if isinstance(script, (MockResponse, str)):
            script = [script]
        self._script = list(script)
        self._delay = delay
        self._provider = provider
        self._model = model
        self._repeat = repeat
        self._position = 0
        self.requests: list[LLMRequest] = []

    @property
    def provider(self) -> str:
        return self._provider

    def _next_entry(self) -> MockResponse | Sequence[StreamChunk]:
        if self._position >= len(self._script):
            if not self._repeat or not self._script:
                raise ConfigurationError(
                    f"MockAdapter script exhausted after {len(self._script)} response(s)"
                )
            self._position = len(self._script) - 1
        entry = self._script[self._position]
        self._position += 1
        return MockResponse(text=entry) if isinstance(entry, str) else entry

    async def stream(
        self, request: LLMRequest, settings: CallSettings
    ) -> AsyncIterator[StreamChunk]:
        self.requests.append(request)
        entry = self._next_entry()
        model = request.model or self._model
        if not isinstance(entry, MockResponse):
            for chunk in entry:
                await self._pause()
                yield chunk
            return
        error_after = entry.error_after
        for position, chunk in enumerate(entry.chunks(self._provider, model)):
            if entry.error is not None:
                if error_after is not None and position >= error_after:
                    raise entry.error
                if error_after is None and chunk.type == "stop":
                    raise entry.error
            await self._pause()
            yield chunk

    async def _pause(self) -> None:
        # Always yield to the loop, so consumers and cancellation interleave as with a network.
        await asyncio.sleep(self._delay)

    @classmethod
    def from_config(cls, config: AdapterConfig) -> MockAdapter:
        """Built by ``LLMClient(provider="mock")``: echoes the last user message, forever."""
        return cls(
            MockResponse(text="Hello from rillet's mock provider."),
            model=config.model or "mock-model",
            repeat=True,
        )

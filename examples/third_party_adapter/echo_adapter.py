"""A third-party rillet adapter for "Echo", an imaginary provider speaking the OpenAI Chat wire.

It uses rillet's public API only: ``ChunkAdapter`` as its base (it writes ``stream``, one
chunk at a time; ``LLMClient`` reads the ``stream_batches`` the base derives from it),
``rillet.transport.HTTPTransport`` for the HTTP part (retries before the first byte, timeouts,
typed errors, SSE frames) and the ``StreamChunk`` models. Check it with the conformance suite:

    rillet conformance --adapter examples.third_party_adapter.echo_adapter:EchoAdapter

(``conformance_wire`` below tells the suite which wire format to emulate; ``--wire`` overrides
it.) Once installed, its ``pyproject.toml`` entry point makes ``LLMClient(provider="echo")``
and ``rillet conformance --provider echo`` find it.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from typing import Any, ClassVar

from rillet import (
    AdapterConfig,
    CallSettings,
    ChunkAdapter,
    ContentChunk,
    ErrorChunk,
    ErrorCode,
    FinishReason,
    LLMRequest,
    MissingAPIKeyError,
    StartChunk,
    StopChunk,
    StreamChunk,
    StreamInterruptedError,
    ToolCallChunk,
    ToolCallEndChunk,
    ToolCallStartChunk,
    Usage,
)
from rillet.transport import Frame, HTTPTransport, ResponseMetadata

__all__ = ["EchoAdapter"]

_FINISH = {
    "stop": FinishReason.stop,
    "length": FinishReason.length,
    "tool_calls": FinishReason.tool_calls,
    "content_filter": FinishReason.content_filter,
}


class EchoAdapter(ChunkAdapter):
    """``POST {base_url}/chat/completions``, streamed; the key from ``ECHO_API_KEY``."""

    conformance_wire: ClassVar[str] = "openai"
    provider: ClassVar[str] = "echo"

    def __init__(self, config: AdapterConfig) -> None:
        key = config.api_key or os.environ.get("ECHO_API_KEY")
        if not key:
            raise MissingAPIKeyError("echo", ["ECHO_API_KEY"])
        self._key = key
        self._model = config.model
        self._base_url = (config.base_url or "https://api.echo.example/v1").rstrip("/")
        self._transport = HTTPTransport(timeout=config.timeout, max_retries=config.max_retries)

    @classmethod
    def from_config(cls, config: AdapterConfig) -> EchoAdapter:
        """What ``create_adapter`` (and so ``LLMClient(provider="echo")``) calls."""
        return cls(config)

    async def stream(
        self, request: LLMRequest, settings: CallSettings
    ) -> AsyncIterator[StreamChunk]:
        # Leaving this generator early (the consumer's ``break``) leaves ``async with``,
        # which closes the connection at once: the cancellation rule.
        async with self._transport.stream(
            "POST",
            f"{self._base_url}/chat/completions",
            headers={"authorization": f"Bearer {self._key}", "content-type": "application/json"},
            body=json.dumps(self._body(request)).encode(),
            timeout=settings.timeout,
            max_retries=settings.max_retries,
        ) as frames:
            state = _Stream(self.provider, frames.metadata)
            async for frame in frames:
                for chunk in state.feed(frame):
                    yield chunk
                if state.done:
                    return
        # The body ended without [DONE]: a broken stream, never a silent success.
        raise StreamInterruptedError("the stream ended before [DONE]", body_started=True)

    def _body(self, request: LLMRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": request.model or self._model,
            "messages": [_message(m.model_dump()) for m in request.messages],
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if request.tools:
            body["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": t.name,
                        "description": t.description or "",
                        "parameters": t.parameters,
                    },
                }
                for t in request.tools
            ]
        if request.max_tokens is not None:
            body["max_tokens"] = request.max_tokens
        if request.stop:
            body["stop"] = list(request.stop)
        if request.tool_choice is not None:
            body["tool_choice"] = _tool_choice(request.tool_choice)
        return body

    async def aclose(self) -> None:
        await self._transport.aclose()


def _message(message: dict[str, Any]) -> dict[str, Any]:
    """One conversation message in the OpenAI Chat form: the model's earlier tool calls and
    the results answering them go back with their ids (the multi-turn conformance cases)."""
    role = message["role"]
    if role == "tool":
        return {
            "role": "tool",
            "tool_call_id": message["tool_call_id"],
            "content": message["content"],
        }
    content = message.get("content", "")
    if isinstance(content, list):
        content = [_part(part) for part in content]
    out: dict[str, Any] = {"role": role, "content": content}
    if role == "assistant" and message.get("tool_calls"):
        out["content"] = content or None
        out["tool_calls"] = [
            {
                "id": call["id"],
                "type": "function",
                "function": {
                    "name": call["name"],
                    "arguments": call.get("raw_arguments") or json.dumps(call["arguments"]),
                },
            }
            for call in message["tool_calls"]
        ]
    return out


def _part(part: dict[str, Any]) -> dict[str, Any]:
    media_type = part.get("media_type")
    if part["type"] == "image":
        url = part.get("url") or f"data:{media_type or 'image/png'};base64,{part.get('data')}"
        return {"type": "image_url", "image_url": {"url": url}}
    if part["type"] == "document":
        data = f"data:{media_type};base64,{part.get('data')}"
        return {
            "type": "file",
            "file": {"file_data": data, "filename": part.get("filename") or "file"},
        }
    return {"type": "text", "text": part["text"]}


def _tool_choice(choice: str) -> Any:
    if choice in ("auto", "none", "required"):
        return choice
    return {"type": "function", "function": {"name": choice}}


class _Stream:
    """One response: OpenAI Chat events in, chunks out."""

    def __init__(self, provider: str, metadata: ResponseMetadata) -> None:
        self.provider = provider
        self.metadata = metadata
        self.done = False
        self.started = False
        self.open_calls: dict[int, str] = {}
        self.finish: str | None = None
        self.usage: Usage | None = None

    def feed(self, frame: Frame) -> list[StreamChunk]:
        if frame.data == "[DONE]":
            self.done = True
            return [*self._end_calls(), self._stop()]
        event = json.loads(frame.data)
        out: list[StreamChunk] = []
        if not self.started:
            self.started = True
            meta = self.metadata  # the response's request id, rate limits and clean headers
            out.append(
                StartChunk(
                    id=event.get("id"),
                    model=event.get("model"),
                    provider=self.provider,
                    request_id=meta.request_id,
                    rate_limit=meta.rate_limit,
                    headers=meta.headers,
                )
            )
        if "error" in event:
            self.done = True
            out.append(_error(event["error"]))
            return out
        for choice in event.get("choices") or ():
            delta = choice.get("delta") or {}
            if delta.get("content"):
                out.append(ContentChunk(text=delta["content"]))
            if delta.get("refusal"):  # the model's refusal: kept apart from the text
                out.append(ContentChunk(text=delta["refusal"], refusal=True))
            for call in delta.get("tool_calls") or ():
                out += self._tool_delta(call)
            if choice.get("finish_reason"):
                self.finish = choice["finish_reason"]
                out += self._end_calls()
        if event.get("usage"):
            usage = event["usage"]
            self.usage = Usage(
                input_tokens=usage.get("prompt_tokens", 0),
                output_tokens=usage.get("completion_tokens", 0),
            )
        return out

    def _tool_delta(self, call: dict[str, Any]) -> list[StreamChunk]:
        index = call.get("index", 0)
        function = call.get("function") or {}
        out: list[StreamChunk] = []
        if call.get("id") and index not in self.open_calls:
            self.open_calls[index] = call["id"]
            out.append(
                ToolCallStartChunk(index=index, id=call["id"], name=function.get("name", ""))
            )
        if function.get("arguments"):
            out.append(ToolCallChunk(index=index, arguments_delta=function["arguments"]))
        return out

    def _end_calls(self) -> list[StreamChunk]:
        ended: list[StreamChunk] = [
            ToolCallEndChunk(index=index, id=call_id) for index, call_id in self.open_calls.items()
        ]
        self.open_calls.clear()
        return ended

    def _stop(self) -> StopChunk:
        reason = _FINISH.get(self.finish or "stop", FinishReason.other)
        return StopChunk(finish_reason=reason, provider_finish_reason=self.finish, usage=self.usage)


def _error(error: dict[str, Any]) -> ErrorChunk:
    """An error inside the stream: a numeric ``code`` is the HTTP status it stands for."""
    status = error.get("code") if isinstance(error.get("code"), int) else None
    if status == 429:
        code, retryable = ErrorCode.rate_limit, True
    elif status in (502, 503, 529):
        code, retryable = ErrorCode.overloaded, True
    elif status is not None and status >= 500:
        code, retryable = ErrorCode.server, True
    else:
        code, retryable = ErrorCode.provider, False
    return ErrorChunk(
        code=code,
        message=error.get("message") or "Echo reported an error",
        retryable=retryable,
        status_code=status,
        error_type=error.get("type"),
        provider_error={"error": error},
    )

"""OpenAI Chat Completions stream events -> ``StreamChunk`` (pure, no I/O).

Ready for what compatible servers really send: a usage-only last chunk with empty ``choices``,
tool-call deltas without ``index`` (or with one index for several calls), the name repeated in
later deltas, ``content`` as a list of parts, ``reasoning_content`` / ``reasoning`` fields, an
in-stream ``{"error": ...}`` line, a missing ``[DONE]``, no ``finish_reason`` at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rillet._exceptions import StreamInterruptedError, error_class_for_status
from rillet._generated.providers.openai_chat_schema import (
    ChatCompletionChunk,
    ChoiceDelta,
    CompletionUsage,
    StreamErrorDetail,
    TextContentPart,
    ThinkingContentPart,
    ToolCallDelta,
)
from rillet._ids import new_tool_call_id
from rillet.protocol import (
    ContentChunk,
    ErrorChunk,
    ErrorCode,
    ReasoningChunk,
    StartChunk,
    StopChunk,
    StreamChunk,
    ToolCallEndChunk,
    ToolCallStartChunk,
    Usage,
    content_chunk,
    tool_call_chunk,
)
from rillet.providers._mapper import NO_CHUNKS, decode
from rillet.providers.openai_chat._finish import unified_finish_reason
from rillet.transport import SSEEvent

__all__ = ["ChatMapper", "usage_from_openai"]

_DONE = "[DONE]"
_CONTENT_ONLY = frozenset({"content"})


def usage_from_openai(usage: CompletionUsage) -> Usage:
    prompt_details = usage.prompt_tokens_details
    completion_details = usage.completion_tokens_details
    return Usage(
        input_tokens=usage.prompt_tokens or 0,
        output_tokens=usage.completion_tokens or 0,
        cached_input_tokens=prompt_details.cached_tokens if prompt_details else None,
        reasoning_tokens=completion_details.reasoning_tokens if completion_details else None,
        total_tokens=usage.total_tokens,
    )


# OpenAI's own string error types, when no numeric code says more
_TYPE_KINDS: dict[str, tuple[ErrorCode, bool]] = {
    "invalid_request_error": (ErrorCode.invalid_request, False),
    "authentication_error": (ErrorCode.authentication, False),
    "permission_error": (ErrorCode.permission, False),
    "rate_limit_error": (ErrorCode.rate_limit, True),
    "server_error": (ErrorCode.server, True),
}


def error_chunk_from_openai(detail: StreamErrorDetail, raw: Any) -> ErrorChunk:
    """An in-stream error line: numeric codes read as HTTP statuses (OpenRouter does)."""
    code = detail.code
    status = code if isinstance(code, int) else None
    if status in (502, 503, 529):
        kind, retryable = ErrorCode.overloaded, True
    elif status is not None and status >= 400:
        error_class = error_class_for_status(status)  # the same classes as an HTTP error
        kind, retryable = ErrorCode(error_class.code), error_class.default_retryable
    else:
        kind, retryable = _TYPE_KINDS.get(detail.type or "", (ErrorCode.provider, False))
    error_type = detail.type or (code if isinstance(code, str) else None)
    return ErrorChunk(
        code=kind,
        message=detail.message or "the provider reported an error inside the stream",
        retryable=retryable,
        status_code=status,
        error_type=error_type,
        provider_error=raw,
    )


class ChatMapper:
    """One response's state: which tool calls are open, the finish reason, the usage."""

    def __init__(self, provider: str) -> None:
        self._provider = provider
        self._started = False
        self._done = False
        self._finish_reason: str | None = None
        self._saw_finish = False
        self._usage: Usage | None = None
        self._open: dict[int, str] = {}  # our index -> call id, for calls not yet ended
        self._by_id: dict[str, int] = {}
        self._by_wire_index: dict[int, int] = {}  # the provider's index -> our latest index
        self._names: dict[int, str] = {}  # our index -> tool name, for every call started
        self._last_index: int | None = None

    def feed(self, frame: SSEEvent) -> Sequence[StreamChunk]:
        if self._done:
            return NO_CHUNKS
        data = frame.data
        if data == _DONE:
            self._done = True
            return self._stop()
        event = decode(ChatCompletionChunk, data)
        out: list[StreamChunk] = []
        if not self._started:
            self._started = True
            out.append(StartChunk(id=event.id, model=event.model, provider=self._provider))
        extra = event.__pydantic_extra__  # model_extra, without the property call
        if extra and "error" in extra:
            self._done = True
            raw_error = extra["error"]
            detail = StreamErrorDetail.model_validate(
                raw_error if isinstance(raw_error, dict) else {"message": str(raw_error)}
            )
            out.append(error_chunk_from_openai(detail, {"error": raw_error}))
            return out
        for choice in event.choices or ():
            if choice.index:  # only the first choice is streamed (n > 1 is not supported)
                continue
            delta = choice.delta
            if delta is not None:
                content = delta.content
                if delta.__pydantic_fields_set__ == _CONTENT_ONLY and content.__class__ is str:
                    # Nearly every frame: a text delta and nothing else to look at.
                    if content:
                        out.append(content_chunk(content))
                else:
                    self._on_delta(delta, out)
            if choice.finish_reason is not None:
                self._saw_finish = True
                self._finish_reason = choice.finish_reason
                self._end_calls(out)
        if event.usage is not None:
            self._usage = usage_from_openai(event.usage)
        return out

    def finish(self) -> Sequence[StreamChunk]:
        if self._done:
            return NO_CHUNKS
        if not self._saw_finish and self._usage is None:
            raise StreamInterruptedError(
                "the OpenAI stream ended before a finish_reason, usage or [DONE]",
                body_started=True,
            )
        self._done = True  # tolerated: compatible servers that never send [DONE]
        return self._stop()

    # -- handlers ------------------------------------------------------------------------------

    def _on_delta(self, delta: ChoiceDelta, out: list[StreamChunk]) -> None:
        content = delta.content
        if isinstance(content, str):
            if content:
                out.append(content_chunk(content))
        elif content:
            self._on_content_parts(content, out)
        reasoning = delta.reasoning_content or delta.reasoning
        if reasoning:
            out.append(ReasoningChunk(text=reasoning))
        for detail in delta.reasoning_details or ():
            if detail.signature or detail.data:
                out.append(
                    ReasoningChunk(signature=detail.signature, encrypted_content=detail.data)
                )
        if delta.refusal:
            out.append(ContentChunk(text=delta.refusal))
        for call in delta.tool_calls or ():
            self._on_tool_call(call, out)

    def _on_content_parts(self, parts: Sequence[object], out: list[StreamChunk]) -> None:
        for part in parts:
            if isinstance(part, TextContentPart):
                if part.text:
                    out.append(ContentChunk(text=part.text))
            elif isinstance(part, ThinkingContentPart):
                text = "".join(p.text or "" for p in part.thinking or ())
                if text:
                    out.append(ReasoningChunk(text=text))

    def _on_tool_call(self, call: ToolCallDelta, out: list[StreamChunk]) -> None:
        function = call.function
        name = function.name if function else None
        arguments = function.arguments if function else None
        index = self._resolve_index(call, name)
        if index not in self._names:
            call_id = call.id or new_tool_call_id()
            self._open[index] = call_id
            self._by_id[call_id] = index
            self._names[index] = name or ""
            out.append(ToolCallStartChunk(index=index, id=call_id, name=name or ""))
        self._last_index = index
        if arguments:
            out.append(tool_call_chunk(index, arguments))

    def _resolve_index(self, call: ToolCallDelta, name: str | None) -> int:
        """Our index for a delta: by id, then by the wire index, then the latest call.

        A new id is a new call even at a wire index already used; without id and index, a
        name other than the latest call's starts a new call (a repeated name does not).
        """
        last = self._last_index
        if call.id is not None and call.id in self._by_id:
            index = self._by_id[call.id]
        elif call.id is not None:
            index = len(self._names)
        elif call.index is not None:
            known = self._by_wire_index.get(call.index)
            index = len(self._names) if known is None else known
        elif last is None or (name and name != self._names[last]):
            index = len(self._names)
        else:
            index = last
        if call.index is not None:
            self._by_wire_index[call.index] = index
        return index

    def _end_calls(self, out: list[StreamChunk]) -> None:
        for index, call_id in self._open.items():
            out.append(ToolCallEndChunk(index=index, id=call_id))
        self._open.clear()

    def _stop(self) -> Sequence[StreamChunk]:
        out: list[StreamChunk] = []
        if not self._started:
            self._started = True
            out.append(StartChunk(provider=self._provider))
        self._end_calls(out)
        out.append(
            StopChunk(
                finish_reason=unified_finish_reason(
                    self._finish_reason, has_tool_calls=bool(self._names)
                ),
                provider_finish_reason=self._finish_reason,
                usage=self._usage,
            )
        )
        return out

"""Gemini ``streamGenerateContent`` frames -> ``StreamChunk`` (pure, no I/O).

Each frame (an SSE ``data:`` event with ``alt=sse``, or one element of the JSON array without
it) is one ``GenerateContentResponse``. Gemini has no terminal event: the stream ends at EOF
after the frame with a ``finishReason``, and usage may come in a later frame, so the ``stop``
chunk is held until ``finish()``. Function calls arrive whole. ``thoughtSignature`` may sit on
any part: on a ``functionCall`` it becomes that call's ``signature``; on a text or thought part
it closes the current reasoning block (one signature per block, never concatenated).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from rillet._exceptions import StreamInterruptedError
from rillet._generated.providers.gemini_schema import (
    FunctionCall,
    GeminiError,
    GenerateContentResponse,
    Part,
    PromptFeedback,
    UsageMetadata,
)
from rillet._ids import new_tool_call_id
from rillet.protocol import (
    ErrorChunk,
    ErrorCode,
    ReasoningChunk,
    StartChunk,
    StopChunk,
    StreamChunk,
    ToolCallChunk,
    ToolCallEndChunk,
    ToolCallStartChunk,
    Usage,
    content_chunk,
    reasoning_text_chunk,
)
from rillet.providers._mapper import NO_CHUNKS, decode, skip_unknown
from rillet.providers.gemini._finish import unified_finish_reason
from rillet.transport import SSEEvent

__all__ = ["GeminiMapper", "error_chunk_from_gemini", "usage_from_gemini"]

# Google RPC status -> (code, retryable); https://ai.google.dev/gemini-api/docs/troubleshooting
_STATUS_ERRORS: dict[str, tuple[ErrorCode, bool]] = {
    "RESOURCE_EXHAUSTED": (ErrorCode.rate_limit, True),
    "UNAVAILABLE": (ErrorCode.overloaded, True),
    "INTERNAL": (ErrorCode.server, True),
    "DEADLINE_EXCEEDED": (ErrorCode.server, True),
    "INVALID_ARGUMENT": (ErrorCode.invalid_request, False),
    "FAILED_PRECONDITION": (ErrorCode.invalid_request, False),
    "OUT_OF_RANGE": (ErrorCode.invalid_request, False),
    "UNAUTHENTICATED": (ErrorCode.authentication, False),
    "PERMISSION_DENIED": (ErrorCode.permission, False),
    "NOT_FOUND": (ErrorCode.not_found, False),
}
_HTTP_ERRORS: dict[int, tuple[ErrorCode, bool]] = {
    429: (ErrorCode.rate_limit, True),
    503: (ErrorCode.overloaded, True),
    400: (ErrorCode.invalid_request, False),
    401: (ErrorCode.authentication, False),
    403: (ErrorCode.permission, False),
    404: (ErrorCode.not_found, False),
}


def usage_from_gemini(usage: UsageMetadata) -> Usage:
    """``candidatesTokenCount`` excludes thinking, which is ``thoughtsTokenCount``."""
    return Usage(
        input_tokens=usage.promptTokenCount or 0,
        output_tokens=usage.candidatesTokenCount or 0,
        cached_input_tokens=usage.cachedContentTokenCount,
        reasoning_tokens=usage.thoughtsTokenCount,
        total_tokens=usage.totalTokenCount,
    )


def error_chunk_from_gemini(raw_error: Any) -> ErrorChunk:
    """An ``{"error": {code, message, status}}`` element or line inside a 200 stream."""
    try:
        detail = GeminiError.model_validate(raw_error)
    except ValidationError:
        detail = GeminiError(message=str(raw_error))
    status = detail.code
    known = _STATUS_ERRORS.get(detail.status or "") or _HTTP_ERRORS.get(status or 0)
    if known is None:
        server_side = status is not None and status >= 500
        known = (ErrorCode.server, True) if server_side else (ErrorCode.provider, False)
    kind, retryable = known
    return ErrorChunk(
        code=kind,
        message=detail.message or "Gemini reported an error inside the stream",
        retryable=retryable,
        status_code=status,
        error_type=detail.status,
        provider_error={"error": raw_error},
    )


def _blocked_chunk(feedback: PromptFeedback, data: str) -> ErrorChunk:
    reason = feedback.blockReason
    message = feedback.blockReasonMessage or f"Gemini blocked the prompt ({reason})"
    return ErrorChunk(
        code=ErrorCode.content_filter,
        message=message,
        retryable=False,
        error_type=reason,
        provider_error=json.loads(data),
    )


_TEXT_ONLY = frozenset({"text"})


class GeminiMapper:
    """One response's state: the reasoning block being filled, calls so far, finish, usage."""

    def __init__(self, provider: str) -> None:
        self._provider = provider
        self._started = False
        self._done = False
        self._finish_reason: str | None = None
        self._usage: UsageMetadata | None = None
        self._calls = 0
        self._block = 0  # the reasoning block that thought text and signatures go to
        self._block_signed = False  # that block holds its signature: the next one opens a new block

    def feed(self, frame: SSEEvent) -> Sequence[StreamChunk]:
        if self._done:
            return NO_CHUNKS
        data = frame.data
        if not data or data.isspace():
            return NO_CHUNKS
        event = decode(GenerateContentResponse, data)
        out: list[StreamChunk] = []
        if not self._started:
            self._started = True
            out.append(
                StartChunk(id=event.responseId, model=event.modelVersion, provider=self._provider)
            )
        rare = event.__pydantic_extra__ or event.promptFeedback is not None  # model_extra, cheaply
        if rare and self._ends_in_error(event, data, out):
            return out
        for candidate in event.candidates or ():
            if candidate.index:  # only the first candidate is streamed (candidateCount > 1 is not)
                continue
            content = candidate.content
            parts = content.parts if content is not None else None
            if parts:
                for part in parts:
                    text = part.text
                    if text and part.__pydantic_fields_set__ == _TEXT_ONLY:
                        out.append(content_chunk(text))  # nearly every part: answer text alone
                    else:
                        self._on_part(part, out)
            if candidate.finishReason is not None:
                self._finish_reason = candidate.finishReason
        if event.usageMetadata is not None:
            self._usage = event.usageMetadata
        return out

    def _ends_in_error(
        self, event: GenerateContentResponse, data: str, out: list[StreamChunk]
    ) -> bool:
        """An ``error`` element or a blocked prompt: its error chunk ends the stream."""
        extra = event.__pydantic_extra__
        if extra and "error" in extra:
            self._done = True
            out.append(error_chunk_from_gemini(extra["error"]))
            return True
        feedback = event.promptFeedback
        if feedback is not None and feedback.blockReason:
            self._done = True
            out.append(_blocked_chunk(feedback, data))
            return True
        return False

    def finish(self) -> Sequence[StreamChunk]:
        if self._done:
            return NO_CHUNKS
        if self._finish_reason is None:
            raise StreamInterruptedError(
                "the Gemini stream ended before a finishReason", body_started=True
            )
        self._done = True
        usage = self._usage
        return (
            StopChunk(
                finish_reason=unified_finish_reason(
                    self._finish_reason, has_tool_calls=self._calls > 0
                ),
                provider_finish_reason=self._finish_reason,
                usage=usage_from_gemini(usage) if usage is not None else None,
            ),
        )

    # -- handlers ------------------------------------------------------------------------------

    def _on_part(self, part: Part, out: list[StreamChunk]) -> None:
        call = part.functionCall
        if call is not None:
            self._on_function_call(call, part.thoughtSignature, out)
            return
        text = part.text
        signature = part.thoughtSignature
        if text:
            if part.thought:
                if self._block_signed:
                    self._next_block()
                out.append(reasoning_text_chunk(text, self._block))
            else:
                out.append(content_chunk(text))
        if signature:
            self._on_signature(signature, out)
        elif text is None:
            # code execution, inline media, ...: not part of the neutral stream (yet)
            skip_unknown("Gemini part", next(iter(part.model_fields_set), "empty"))

    def _on_signature(self, signature: str, out: list[StreamChunk]) -> None:
        if self._block_signed:
            self._next_block()
        out.append(ReasoningChunk(signature=signature, index=self._block))
        self._block_signed = True

    def _next_block(self) -> None:
        self._block += 1
        self._block_signed = False

    def _on_function_call(
        self, call: FunctionCall, signature: str | None, out: list[StreamChunk]
    ) -> None:
        index = self._calls
        self._calls += 1
        call_id = call.id or new_tool_call_id()
        args = call.args or {}
        out.append(
            ToolCallStartChunk(index=index, id=call_id, name=call.name or "", signature=signature)
        )
        out.append(
            ToolCallChunk(
                index=index,
                arguments_delta=json.dumps(args, ensure_ascii=False, separators=(",", ":")),
            )
        )
        out.append(ToolCallEndChunk(index=index, id=call_id, arguments=args))

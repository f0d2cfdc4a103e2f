"""Gemini ``streamGenerateContent`` frames -> ``StreamChunk`` (pure, no I/O).

Each frame (an SSE ``data:`` event with ``alt=sse``, or one element of the JSON array without
it) is one ``GenerateContentResponse``. Gemini has no terminal event: the stream ends at EOF
after the frame with a ``finishReason``, and usage may come in a later frame, so the ``stop``
chunk is held until ``finish()``. Function calls arrive whole. ``thoughtSignature`` may sit on
any part: on a ``functionCall`` it becomes that call's ``signature``; on a text or thought part
it closes the current reasoning block (one signature per block, never concatenated). The
non-streamed answer (``generateContent``, or a server that does not stream) is one such frame
alone, read the same way.

Frames are validated into the generated TypedDicts (``rillet._generated.wire_dicts``), not the
generated models: the same schema and the same checks, but a Gemini frame nests six objects,
and building a model instance for each costs more than parsing the frame's JSON.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from pydantic import TypeAdapter

from rillet._exceptions import StreamInterruptedError
from rillet._generated.wire_dicts.gemini_schema import (
    FunctionCall,
    GenerateContentResponse,
    Part,
    UsageMetadata,
)
from rillet._ids import new_tool_call_id
from rillet.protocol import (
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
from rillet.providers._mapper import NO_CHUNKS, decode_dict, not_a_response, skip_unknown
from rillet.providers.gemini._errors import blocked_chunk, error_chunk_from_gemini
from rillet.providers.gemini._finish import unified_finish_reason
from rillet.transport import Frame

__all__ = ["GeminiMapper", "usage_from_gemini"]

_FRAME = TypeAdapter(GenerateContentResponse)
_READ = ("candidates", "usageMetadata", "promptFeedback", "error")  # what a first frame holds


def usage_from_gemini(usage: UsageMetadata) -> Usage:
    """``candidatesTokenCount`` excludes thinking, which is ``thoughtsTokenCount``."""
    return Usage(
        input_tokens=usage.get("promptTokenCount") or 0,
        output_tokens=usage.get("candidatesTokenCount") or 0,
        cached_input_tokens=usage.get("cachedContentTokenCount"),
        reasoning_tokens=usage.get("thoughtsTokenCount"),
        total_tokens=usage.get("totalTokenCount"),
    )


class GeminiMapper:
    """One response's state: the reasoning block being filled, calls so far, finish, usage."""

    def __init__(self, provider: str) -> None:
        self._provider = provider
        self._started = False
        self._done = False
        self._stray: str | None = None  # the first frame, when it held nothing of a response
        self._finish_reason: str | None = None
        self._usage: UsageMetadata | None = None
        self._calls = 0
        self._block = 0  # the reasoning block that thought text and signatures go to
        self._block_signed = False  # that block holds its signature: the next one opens a new block

    def feed(self, frame: Frame) -> Sequence[StreamChunk]:
        if self._done:
            return NO_CHUNKS
        data = frame.data
        if not data or data.isspace():
            return NO_CHUNKS
        event = decode_dict(_FRAME, data)
        out: list[StreamChunk] = []
        if not self._started:
            self._started = True
            if all(event.get(name) is None for name in _READ):
                self._stray = data  # {} or {"foo": 1}: an error unless a stream follows
            out.append(
                StartChunk(
                    id=event.get("responseId"),
                    model=event.get("modelVersion"),
                    provider=self._provider,
                )
            )
        if ("error" in event or "promptFeedback" in event) and self._ends_in_error(
            event, data, out
        ):
            return out
        for candidate in event.get("candidates") or ():
            # Only the first candidate is streamed (candidateCount > 1 is not).
            if candidate.get("index"):
                continue
            content = candidate.get("content")
            parts = content.get("parts") if content is not None else None
            if parts:
                for part in parts:
                    text = part.get("text")
                    if text and len(part) == 1:
                        out.append(content_chunk(text))  # nearly every part: answer text alone
                    else:
                        self._on_part(part, out)
            finish_reason = candidate.get("finishReason")
            if finish_reason is not None:
                self._finish_reason = finish_reason
        usage = event.get("usageMetadata")
        if usage is not None:
            self._usage = usage
        return out

    def _ends_in_error(
        self, event: GenerateContentResponse, data: str, out: list[StreamChunk]
    ) -> bool:
        """An ``error`` element or a blocked prompt: its error chunk ends the stream."""
        error = event.get("error")
        if error is not None:
            self._done = True
            out.append(error_chunk_from_gemini(error, data))
            return True
        feedback = event.get("promptFeedback")
        if feedback is not None and feedback.get("blockReason"):
            self._done = True
            out.append(blocked_chunk(feedback, data))
            return True
        return False

    def finish(self) -> Sequence[StreamChunk]:
        if self._done:
            return NO_CHUNKS
        if self._finish_reason is None:
            if self._stray is not None:
                raise not_a_response("a Gemini stream or GenerateContentResponse", self._stray)
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
        call = part.get("functionCall")
        signature = part.get("thoughtSignature")
        if call is not None:
            self._on_function_call(call, signature, out)
            return
        text = part.get("text")
        if text:
            if part.get("thought"):
                if self._block_signed:
                    self._next_block()
                out.append(reasoning_text_chunk(text, self._block))
            else:
                out.append(content_chunk(text))
        if signature:
            self._on_signature(signature, out)
        elif text is None:
            # code execution, inline media, ...: not part of the neutral stream (yet)
            skip_unknown("Gemini part", next(iter(part), "empty"))

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
        call_id = call.get("id") or new_tool_call_id()
        args = call.get("args") or {}
        out.append(
            ToolCallStartChunk(
                index=index, id=call_id, name=call.get("name") or "", signature=signature
            )
        )
        out.append(
            ToolCallChunk(
                index=index,
                arguments_delta=json.dumps(args, ensure_ascii=False, separators=(",", ":")),
            )
        )
        out.append(ToolCallEndChunk(index=index, id=call_id, arguments=args))

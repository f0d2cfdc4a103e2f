"""OpenAI Chat Completions stream events -> ``StreamChunk`` (pure, no I/O).

Ready for what compatible servers really send: a usage-only last chunk with empty ``choices``,
tool-call deltas without ``index`` (or with one index for several calls), the name repeated in
later deltas, ``content`` as a list of parts, ``reasoning_content`` / ``reasoning`` fields, an
in-stream ``{"error": ...}`` line, a missing ``[DONE]``, no ``finish_reason`` at all.

Frames are validated into the generated TypedDicts (``rillet._generated.wire_dicts``, see
``_wire``), not the generated models: the same schema and the same checks, without a model
instance per object.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import cast

from rillet._exceptions import StreamInterruptedError
from rillet._generated.wire_dicts.openai_chat_schema import (
    ChoiceDelta,
    CompletionUsage,
    StreamErrorDetail,
    TextContentPart,
    ThinkingContentPart,
    ToolCallDelta,
    UnknownContentPart,
)
from rillet._ids import new_tool_call_id
from rillet.protocol import (
    ContentChunk,
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
from rillet.providers._mapper import NO_CHUNKS, decode_dict
from rillet.providers.openai_chat._errors import error_chunk_from_openai
from rillet.providers.openai_chat._finish import unified_finish_reason
from rillet.providers.openai_chat._wire import CHUNK
from rillet.transport import Frame

__all__ = ["ChatMapper", "usage_from_openai"]

_DONE = "[DONE]"


def usage_from_openai(usage: CompletionUsage) -> Usage:
    prompt_details = usage.get("prompt_tokens_details")
    completion_details = usage.get("completion_tokens_details")
    return Usage(
        input_tokens=usage.get("prompt_tokens") or 0,
        output_tokens=usage.get("completion_tokens") or 0,
        cached_input_tokens=prompt_details.get("cached_tokens") if prompt_details else None,
        reasoning_tokens=(
            completion_details.get("reasoning_tokens") if completion_details else None
        ),
        total_tokens=usage.get("total_tokens"),
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

    def feed(self, frame: Frame) -> Sequence[StreamChunk]:
        if self._done:
            return NO_CHUNKS
        data = frame.data
        if data == _DONE:
            self._done = True
            return self._stop()
        event = decode_dict(CHUNK, data)
        out: list[StreamChunk] = []
        if not self._started:
            self._started = True
            out.append(
                StartChunk(id=event.get("id"), model=event.get("model"), provider=self._provider)
            )
        error = event.get("error")
        if error is not None:  # "error": null is no error
            self._done = True
            if isinstance(error, str):  # a bare message (some servers)
                error = StreamErrorDetail(message=error)
            raw_error = json.loads(data)["error"]  # as sent: validation drops unnamed fields
            out.append(error_chunk_from_openai(error, {"error": raw_error}))
            return out
        for choice in event.get("choices") or ():
            if choice.get("index"):  # only the first choice is streamed (n > 1 is not supported)
                continue
            delta = choice.get("delta")
            if delta is not None:
                content = delta.get("content")
                if content.__class__ is str and len(delta) == 1:
                    # Nearly every frame: a text delta and nothing else to look at.
                    if content:
                        out.append(content_chunk(content))
                else:
                    self._on_delta(delta, out)
            finish_reason = choice.get("finish_reason")
            if finish_reason is not None:
                self._saw_finish = True
                self._finish_reason = finish_reason
                self._end_calls(out)
        usage = event.get("usage")
        if usage is not None:
            self._usage = usage_from_openai(usage)
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
        content = delta.get("content")
        if isinstance(content, str):
            if content:
                out.append(content_chunk(content))
        elif content:
            self._on_content_parts(content, out)
        reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        if reasoning:
            out.append(ReasoningChunk(text=reasoning))
        for detail in delta.get("reasoning_details") or ():
            signature, encrypted = detail.get("signature"), detail.get("data")
            if signature or encrypted:
                out.append(ReasoningChunk(signature=signature, encrypted_content=encrypted))
        refusal = delta.get("refusal")
        if refusal:
            out.append(ContentChunk(text=refusal))
        for call in delta.get("tool_calls") or ():
            self._on_tool_call(call, out)

    def _on_content_parts(
        self,
        parts: Sequence[TextContentPart | ThinkingContentPart | UnknownContentPart],
        out: list[StreamChunk],
    ) -> None:
        """Parts of a known ``type`` (see ``_wire``); other types are skipped."""
        for part in parts:
            kind = part.get("type")
            if kind == "text":
                text = cast(TextContentPart, part).get("text")
                if text:
                    out.append(ContentChunk(text=text))
            elif kind == "thinking":
                thinking = cast(ThinkingContentPart, part).get("thinking")
                text = "".join(p.get("text") or "" for p in thinking or ())
                if text:
                    out.append(ReasoningChunk(text=text))

    def _on_tool_call(self, call: ToolCallDelta, out: list[StreamChunk]) -> None:
        function = call.get("function")
        name = function.get("name") if function else None
        arguments = function.get("arguments") if function else None
        index = self._resolve_index(call, name)
        if index in self._names and index not in self._open:
            return  # a delta for a call the finish reason already ended: nothing can follow
        if index not in self._names:
            call_id = call.get("id") or new_tool_call_id()
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
        call_id, wire_index = call.get("id"), call.get("index")
        if call_id is not None and call_id in self._by_id:
            index = self._by_id[call_id]
        elif call_id is not None:
            index = len(self._names)
        elif wire_index is not None:
            known = self._by_wire_index.get(wire_index)
            index = len(self._names) if known is None else known
        elif last is None or (name and name != self._names[last]):
            index = len(self._names)
        else:
            index = last
        if wire_index is not None:
            self._by_wire_index[wire_index] = index
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

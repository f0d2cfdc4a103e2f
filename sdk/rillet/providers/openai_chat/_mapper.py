"""OpenAI Chat Completions stream events -> ``StreamChunk`` (pure, no I/O).

Ready for what compatible servers really send: a usage-only last chunk with empty ``choices``,
tool-call deltas without ``index`` (or with one index for several calls, or one id for several
indexes), an ``id`` of ``""`` in later deltas, the name repeated in later deltas, ``content`` as a
list of parts, ``reasoning_content`` / ``reasoning`` fields, an in-stream ``{"error": ...}``
line, a missing ``[DONE]``, no ``finish_reason`` at all, and the whole ``chat.completion`` object
instead of a stream (a server that ignores ``stream: true``).

A tool call's index is the wire ``index`` when no earlier call has it, so calls come out in the
order the server numbered them, whatever order their deltas arrive in.

Frames are validated into the generated TypedDicts (``rillet._generated.wire_dicts``, see
``_wire``), not the generated models: the same schema and the same checks, without a model
instance per object.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from rillet._exceptions import StreamInterruptedError
from rillet._generated.wire_dicts.openai_chat_schema import (
    ChatCompletion,
    ChatCompletionChunk,
    ChoiceDelta,
    CompletionMessage,
    CompletionUsage,
    MessageToolCall,
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
    start_chunk,
    tool_call_chunk,
)
from rillet.providers._mapper import NO_CHUNKS, decode_dict, not_a_response
from rillet.providers.openai_chat._errors import error_chunk_from_openai
from rillet.providers.openai_chat._finish import unified_finish_reason
from rillet.providers.openai_chat._wire import CHUNK, COMPLETION, LATER_CHUNK
from rillet.transport import Frame

__all__ = ["ChatMapper", "usage_from_openai"]

_DONE = "[DONE]"
_EXPECTED = "an OpenAI Chat stream or a chat.completion"


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


@dataclass(slots=True)
class _Call:
    """A tool call started in this response."""

    id: str
    name: str
    wire_index: int | None  # the index the server gave it (None: it gave none)
    open: bool = True


class ChatMapper:
    """One response's state: the tool calls, the finish reason, the usage."""

    __slots__ = (
        "_by_id",
        "_by_wire_index",
        "_calls",
        "_done",
        "_finish_reason",
        "_last_index",
        "_provider",
        "_saw_finish",
        "_started",
        "_stray",
        "_usage",
    )

    def __init__(self, provider: str) -> None:
        self._provider = provider
        self._started = False
        self._done = False
        self._stray: str | None = None  # the first frame, when it held nothing of a stream
        self._finish_reason: str | None = None
        self._saw_finish = False
        self._usage: Usage | None = None
        self._calls: dict[int, _Call] = {}  # our index -> call
        self._by_id: dict[str, int] = {}  # call id -> our latest index with that id
        self._by_wire_index: dict[int, int] = {}  # the provider's index -> our latest index
        self._last_index: int | None = None

    def feed(self, frame: Frame) -> Sequence[StreamChunk]:
        if self._done:
            return NO_CHUNKS
        data = frame.data
        if data == _DONE:
            if not self._read_any() and (not self._started or self._stray is not None):
                raise not_a_response(_EXPECTED, self._stray or data)
            self._done = True
            return self._stop()
        event = decode_dict(LATER_CHUNK if self._started else CHUNK, data)
        out: list[StreamChunk] = []
        if not self._started:
            if _is_whole(event, data):
                return self._on_whole(decode_dict(COMPLETION, data))
            self._started = True
            if event.get("choices") is None:
                # {} or {"foo": 1}: an error unless a stream follows (usage counts as one)
                self._stray = data
            out.append(start_chunk(event.get("id"), event.get("model"), self._provider))
        elif self._stray is not None and event.get("choices") is not None:
            self._stray = None  # a stream followed after all
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
        if not self._read_any():
            if self._stray is not None:
                raise not_a_response(_EXPECTED, self._stray)
            raise StreamInterruptedError(
                "the OpenAI stream ended before a finish_reason, usage or [DONE]",
                body_started=True,
            )
        self._done = True  # tolerated: compatible servers that never send [DONE]
        return self._stop()

    def _read_any(self) -> bool:
        """Whether a finish reason or usage arrived: enough to end without ``[DONE]``."""
        return self._saw_finish or self._usage is not None

    # -- handlers ------------------------------------------------------------------------------

    def _on_whole(self, completion: ChatCompletion) -> Sequence[StreamChunk]:
        """A whole ``chat.completion``: the chunks a stream of it would have given."""
        self._started = self._done = True
        out: list[StreamChunk] = [
            StartChunk(
                id=completion.get("id"), model=completion.get("model"), provider=self._provider
            )
        ]
        for choice in completion.get("choices") or ():
            if choice.get("index"):
                continue
            message = choice.get("message")
            if message is not None:
                self._on_text(message, out)
                for position, call in enumerate(message.get("tool_calls") or ()):
                    self._on_whole_call(position, call, out)
            self._finish_reason = choice.get("finish_reason")
        usage = completion.get("usage")
        if usage is not None:
            self._usage = usage_from_openai(usage)
        out += self._stop()
        return out

    def _on_whole_call(self, position: int, call: MessageToolCall, out: list[StreamChunk]) -> None:
        function = call.get("function")
        name = (function.get("name") if function else None) or ""
        arguments = function.get("arguments") if function else None
        if isinstance(arguments, dict):  # a few servers send the object itself
            arguments = json.dumps(arguments, ensure_ascii=False, separators=(",", ":"))
        call_id = call.get("id") or new_tool_call_id()
        self._calls[position] = _Call(id=call_id, name=name, wire_index=position)
        out.append(ToolCallStartChunk(index=position, id=call_id, name=name))
        if arguments:
            out.append(tool_call_chunk(position, arguments))

    def _on_delta(self, delta: ChoiceDelta, out: list[StreamChunk]) -> None:
        self._on_text(delta, out)
        for call in delta.get("tool_calls") or ():
            self._on_tool_call(call, out)

    def _on_text(self, fields: ChoiceDelta | CompletionMessage, out: list[StreamChunk]) -> None:
        """Reasoning, answer and refusal text, in that order: the same fields in a delta and
        in a whole message."""
        reasoning = fields.get("reasoning_content") or fields.get("reasoning")
        if reasoning:
            out.append(ReasoningChunk(text=reasoning))
        for detail in fields.get("reasoning_details") or ():
            signature, encrypted = detail.get("signature"), detail.get("data")
            if signature or encrypted:
                out.append(ReasoningChunk(signature=signature, encrypted_content=encrypted))
        content = fields.get("content")
        if isinstance(content, str):
            if content:
                out.append(content_chunk(content))
        elif content:
            self._on_content_parts(content, out)
        refusal = fields.get("refusal")
        if refusal:
            out.append(ContentChunk(text=refusal, refusal=True))

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

    def _on_tool_call(self, delta: ToolCallDelta, out: list[StreamChunk]) -> None:
        function = delta.get("function")
        name = function.get("name") if function else None
        arguments = function.get("arguments") if function else None
        call_id = delta.get("id") or None  # "" is no id (Qwen repeats the call with one)
        wire_index = delta.get("index")
        index = self._find_call(call_id, wire_index, name)
        if index is not None and not self._calls[index].open:
            return  # a delta for a call the finish reason already ended: nothing can follow
        if index is None:
            index = self._new_index(wire_index)
            call_id = call_id or new_tool_call_id()
            name = name or ""
            self._calls[index] = _Call(id=call_id, name=name, wire_index=wire_index)
            self._by_id[call_id] = index
            out.append(ToolCallStartChunk(index=index, id=call_id, name=name))
        if wire_index is not None:
            self._by_wire_index[wire_index] = index
        self._last_index = index
        if arguments:
            out.append(tool_call_chunk(index, arguments))

    def _find_call(
        self, call_id: str | None, wire_index: int | None, name: str | None
    ) -> int | None:
        """Our index of the call a delta continues, or None when it starts a new call.

        By the wire index first: there, an id other than the call's is a new call. An id met
        before continues its call only if that call came without a wire index (one id at two
        indexes is two calls). Without id and index, the delta continues the latest call,
        unless it names another tool (a repeated name is not a new call).
        """
        if wire_index is not None:
            index = self._by_wire_index.get(wire_index)
            if index is not None:
                return index if call_id is None or call_id == self._calls[index].id else None
            index = self._by_id.get(call_id) if call_id is not None else None
            if index is not None and self._calls[index].wire_index is None:
                return index
            return None
        if call_id is not None:
            return self._by_id.get(call_id)
        last = self._last_index
        if last is None or (name and name != self._calls[last].name):
            return None
        return last

    def _new_index(self, wire_index: int | None) -> int:
        """The wire index while no call has it, so calls keep the server's numbering whatever
        order their deltas arrive in; else the one after the highest so far."""
        if wire_index is not None and wire_index not in self._calls:
            return wire_index
        return max(self._calls, default=-1) + 1

    def _end_calls(self, out: list[StreamChunk]) -> None:
        for index in sorted(self._calls):
            call = self._calls[index]
            if call.open:
                call.open = False
                out.append(ToolCallEndChunk(index=index, id=call.id))

    def _stop(self) -> Sequence[StreamChunk]:
        out: list[StreamChunk] = []  # no StartChunk: a body ending before any frame raised
        self._end_calls(out)
        out.append(
            StopChunk(
                finish_reason=unified_finish_reason(
                    self._finish_reason, has_tool_calls=bool(self._calls)
                ),
                provider_finish_reason=self._finish_reason,
                usage=self._usage,
            )
        )
        return out


def _is_whole(event: ChatCompletionChunk, data: str) -> bool:
    """Whether a first frame is a whole ``chat.completion``: its ``object`` says so, or, from a
    server that leaves ``object`` out, its choices hold a ``message`` and no ``delta``."""
    kind = event.get("object")
    if kind is not None:
        return kind == "chat.completion"
    choices = event.get("choices")
    if not choices:
        return False
    return all("delta" not in choice for choice in choices) and '"message"' in data

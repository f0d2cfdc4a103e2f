"""The one place that assembles stream chunks into an ``LLMResponse``.

``ResponseAccumulator.add`` costs time proportional to the chunk it is given: text and argument
fragments are appended to lists and joined only when a snapshot is asked for, and a tool call's
arguments are parsed once, when the call ends.

Refusal text (``ContentChunk.refusal``) is kept apart, as the response's ``refusal``.

``keep_text=False`` keeps no content, refusal or reasoning text (the response's ``text`` and
``reasoning`` stay empty, ``refusal`` null; tool calls, usage, ids and signatures are still
kept), for consumers that keep what they need themselves and want memory that does not grow
with the stream.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rillet._exceptions import InvalidToolArgumentsError, RilletError
from rillet._ids import new_tool_call_id
from rillet._tool_arguments import InvalidToolCall, invalid_arguments_error, parse_tool_arguments
from rillet.errors import error_from_chunk
from rillet.output._parser import InvalidJSON, JSONStreamParser, OutputEvent
from rillet.protocol import (
    ContentChunk,
    ErrorChunk,
    FinishReason,
    LLMResponse,
    RateLimit,
    ReasoningBlock,
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

__all__ = ["ResponseAccumulator"]

_log = logging.getLogger("rillet.accumulator")


_PACK = 16
"""``compact()`` joins text parts in runs of this many (a str per chunk costs an object header on
top of its text, a list entry only a pointer)."""


_NO_PARTS: list[str] = []
"""The refusal's or reasoning's parts before the first (never appended to, shared): most streams
have neither, and an empty list per stream is one more object for the garbage collector."""


def _pack(parts: list[str], packed: int) -> int:
    """Join the parts after the first ``packed`` (already joined runs) once there are ``_PACK``
    of them; return the new count of packed runs. Only adjacent parts are joined, in order."""
    packed = min(packed, len(parts))
    if len(parts) - packed < _PACK:
        return packed
    parts[packed:] = ["".join(parts[packed:])]
    return packed + 1


def _joined(parts: list[str]) -> str:
    """Join ``parts`` and keep the result as the only part, so repeated snapshots stay cheap."""
    if len(parts) > 1:
        text = "".join(parts)
        parts[:] = [text]
        return text
    return parts[0] if parts else ""


@dataclass
class _ToolCallState:
    index: int
    id: str
    name: str
    signature: str | None = None
    fragments: list[str] = field(default_factory=list)
    arguments: dict[str, Any] | None = None
    ended: bool = False
    invalid: str | None = None
    """Why the complete arguments break ``parse_tool_arguments``'s rule, if they do."""
    parser: JSONStreamParser | None = None
    """The arguments read as they arrive, from the first ``partial_arguments`` or
    ``argument_events`` on."""
    unparsable: bool = False
    events: list[OutputEvent] = field(default_factory=list)
    """The parser's events not yet taken by ``argument_events``."""

    def raw(self) -> str:
        return _joined(self.fragments)

    def finish(self, given: dict[str, Any] | None) -> None:
        """Parse the complete arguments once (``parse_tool_arguments``: empty means none)."""
        self.ended = True
        if self.parser is not None and not self.unparsable:
            try:  # a number at the very end shows only now
                self.events += self.parser.close()
            except InvalidJSON:
                self.unparsable = True
        if given is not None:
            self.arguments = given
            if not any(self.fragments):  # no text streamed: the given ones, as compact JSON
                self.fragments.append(json.dumps(given, ensure_ascii=False, separators=(",", ":")))
            return
        try:
            self.arguments = parse_tool_arguments(self.raw())
        except InvalidToolArgumentsError as error:
            self.arguments = None
            self.invalid = error.message


def _feed(state: _ToolCallState, text: str) -> None:
    if state.parser is None or state.unparsable:
        return
    try:
        state.events += state.parser.feed(text)
    except InvalidJSON:
        state.unparsable = True


@dataclass
class _ReasoningState:
    text: list[str] = field(default_factory=list)
    id: str | None = None
    signature: list[str] = field(default_factory=list)
    encrypted_content: str | None = None


class ResponseAccumulator:
    """Feeds on chunks one by one and gives an ``LLMResponse`` snapshot at any moment."""

    __slots__ = (
        "_blocks",
        "_call_ids",
        "_calls",
        "_error",
        "_finish_reason",
        "_id",
        "_last_call",
        "_model",
        "_packed_reasoning",
        "_packed_text",
        "_provider",
        "_provider_details",
        "_provider_finish_reason",
        "_reasoning",
        "_refusal",
        "_terminal",
        "_text",
        "_usage",
        "chunk_count",
        "headers",
        "keep_text",
        "rate_limit",
        "request_id",
    )

    def __init__(self, *, keep_text: bool = True) -> None:
        self.keep_text = keep_text
        self._id: str | None = None
        self._model: str | None = None
        self._provider: str | None = None
        self.request_id: str | None = None
        """The provider's request id, from the start chunk."""
        self.rate_limit: RateLimit | None = None
        """The rate limits the response headers reported, from the start chunk."""
        self.headers: dict[str, str] = {}
        """The response headers (credentials removed), from the start chunk."""
        self._text: list[str] = []
        self._refusal = _NO_PARTS
        self._reasoning = _NO_PARTS
        self._blocks: dict[int, _ReasoningState] = {}
        self._calls: dict[int, _ToolCallState] = {}
        self._call_ids: dict[str, int] = {}
        self._last_call: _ToolCallState | None = None
        self._finish_reason: FinishReason | None = None
        self._provider_finish_reason: str | None = None
        self._provider_details: dict[str, Any] | None = None
        self._usage: Usage | None = None
        self._error: ErrorChunk | None = None
        self._terminal: StreamChunk | None = None
        self.chunk_count = 0
        self._packed_text = 0
        self._packed_reasoning = 0

    # -- feeding ---------------------------------------------------------------------------

    def add(self, chunk: StreamChunk) -> StreamChunk:
        """Take one chunk; return it as consumers should see it.

        A tool-call chunk without an index comes back with the index the call was given, and a
        ``tool_call_end`` comes back with its parsed ``arguments`` (null when they are invalid).
        """
        self.chunk_count += 1
        return _HANDLERS[chunk.type](self, chunk)

    @property
    def terminal(self) -> StreamChunk | None:
        """The stop or error chunk, once it has arrived."""
        return self._terminal

    @property
    def started(self) -> bool:
        return self.chunk_count > 0

    def _on_start(self, chunk: StartChunk) -> StreamChunk:
        self._id, self._model, self._provider = chunk.id, chunk.model, chunk.provider
        metadata = (chunk.request_id, chunk.rate_limit, chunk.headers)
        if metadata != (None, None, None):  # a later start without any keeps the first one's
            self.request_id, self.rate_limit, headers = metadata
            self.headers = headers or {}
        return chunk

    def _on_content(self, chunk: ContentChunk) -> StreamChunk:
        if self.keep_text:
            if not chunk.refusal:
                self._text.append(chunk.text)
            elif self._refusal is _NO_PARTS:
                self._refusal = [chunk.text]
            else:
                self._refusal.append(chunk.text)
        return chunk

    def _on_reasoning(self, chunk: ReasoningChunk) -> StreamChunk:
        block = self._blocks.get(chunk.index)
        if block is None:
            block = self._blocks[chunk.index] = _ReasoningState()
        if chunk.text and self.keep_text:
            block.text.append(chunk.text)
            if self._reasoning is _NO_PARTS:
                self._reasoning = [chunk.text]
            else:
                self._reasoning.append(chunk.text)
        if chunk.id is not None:
            block.id = chunk.id
        if chunk.signature:
            block.signature.append(chunk.signature)
        if chunk.encrypted_content is not None:
            block.encrypted_content = chunk.encrypted_content
        return chunk

    def _on_tool_call_start(self, chunk: ToolCallStartChunk) -> StreamChunk:
        index = chunk.index
        if index is None:
            known = self._call_ids.get(chunk.id)
            index = known if known is not None else self._next_index()
            chunk = chunk.model_copy(update={"index": index})
        existing = self._calls.get(index)
        if existing is not None and not existing.ended and existing.id == chunk.id:
            # Some servers repeat the start (name and id) in later deltas: same call.
            return chunk
        state = _ToolCallState(index=index, id=chunk.id, name=chunk.name, signature=chunk.signature)
        self._calls[index] = state
        self._call_ids[chunk.id] = index
        self._last_call = state
        return chunk

    def _on_tool_call_chunk(self, chunk: ToolCallChunk) -> StreamChunk:
        state = self._find_call(chunk.index, chunk.id)
        if state is None:
            _log.debug(
                "tool_call_chunk for an unknown call (index=%s); kept as a new call", chunk.index
            )
            index = chunk.index if chunk.index is not None else self._next_index()
            state = _ToolCallState(index=index, id=chunk.id or new_tool_call_id(), name="")
            self._calls[index] = state
            self._call_ids[state.id] = index
            self._last_call = state
        state.fragments.append(chunk.arguments_delta)
        if state.parser is not None:
            _feed(state, chunk.arguments_delta)
        if chunk.index is None:
            chunk = chunk.model_copy(update={"index": state.index})
        return chunk

    def _on_tool_call_end(self, chunk: ToolCallEndChunk) -> StreamChunk:
        state = self._find_call(chunk.index, chunk.id)
        if state is None:
            _log.debug("tool_call_end for an unknown call (index=%s)", chunk.index)
            return chunk
        state.finish(chunk.arguments)
        return chunk.model_copy(
            update={
                "index": state.index,
                "id": state.id,
                "name": state.name,
                "arguments": state.arguments,
            }
        )

    def _on_stop(self, chunk: StopChunk) -> StreamChunk:
        self._finish_calls()
        self._finish_reason = chunk.finish_reason
        self._provider_finish_reason = chunk.provider_finish_reason
        self._provider_details = chunk.provider_details
        if chunk.usage is not None:
            self._usage = chunk.usage
        self._terminal = chunk
        return chunk

    def _on_error(self, chunk: ErrorChunk) -> StreamChunk:
        self._error = chunk
        self._terminal = chunk
        return chunk

    def _next_index(self) -> int:
        return max(self._calls, default=-1) + 1

    def _find_call(self, index: int | None, call_id: str | None) -> _ToolCallState | None:
        if index is not None:
            return self._calls.get(index)
        if call_id is not None:  # an id no call has is a call of its own, never the latest one
            known = self._call_ids.get(call_id)
            return None if known is None else self._calls[known]
        return self._last_call

    def _finish_calls(self) -> None:
        for state in self._calls.values():
            if not state.ended:
                state.finish(None)

    def compact(self) -> None:
        """Join runs of small text parts (cheap; ``StreamingLLMResponse`` calls it once a read),
        so that a long stream's text costs about its own size in memory."""
        self._packed_text = _pack(self._text, self._packed_text)
        self._packed_reasoning = _pack(self._reasoning, self._packed_reasoning)

    # -- reading ---------------------------------------------------------------------------

    def snapshot(self) -> LLMResponse:
        """The response as it stands now (complete once the stop chunk has arrived)."""
        return LLMResponse(
            id=self._id,
            model=self._model,
            provider=self._provider,
            text=_joined(self._text),
            refusal=_joined(self._refusal) if self._refusal else None,
            reasoning=_joined(self._reasoning),
            reasoning_details=[
                ReasoningBlock(
                    text=_joined(block.text),
                    id=block.id,
                    signature="".join(block.signature) or None,
                    encrypted_content=block.encrypted_content,
                    provider=self._provider,
                )
                for block in self._blocks.values()
            ],
            tool_calls=[
                ToolCall(
                    id=state.id,
                    name=state.name,
                    arguments=state.arguments or {},
                    raw_arguments=state.raw(),
                    signature=state.signature,
                )
                for state in sorted(self._calls.values(), key=lambda s: s.index)
            ],
            finish_reason=self._finish_reason,
            provider_finish_reason=self._provider_finish_reason,
            provider_details=self._provider_details,
            usage=self._usage,
            request_id=self.request_id,
            rate_limit=self.rate_limit,
            headers=self.headers,
        )

    def partial_arguments(self, index: int) -> dict[str, Any] | None:
        """The arguments of call ``index`` so far, for live UIs: fields not yet seen are
        absent, a string shows the text received, a number shows once whole. ``None`` when the
        text so far is no JSON object. The first call reads the text received once; from then
        on each delta is read as it arrives, so asking after every delta costs the delta, not
        the whole text. The value is grown in place: copy it to keep a snapshot."""
        state = self._calls.get(index)
        if state is None:
            return None
        if state.arguments is not None:
            return state.arguments
        if state.parser is None:
            state.parser = JSONStreamParser()
            _feed(state, state.raw())
        if state.unparsable:
            return None
        if not state.parser.started:  # no arguments yet, or none at all (the final rule)
            return {}
        value = state.parser.value
        return value if isinstance(value, dict) else None

    def argument_events(self, index: int) -> list[OutputEvent]:
        """The events of call ``index``'s arguments that arrived since this was last asked
        (the first time: those of the text so far): ``OutputEvent(path, value, done)``, as
        structured output gives them (a string's new fragment, a number once whole, an object
        opened or closed). Each delta is read once, by the parser ``partial_arguments`` uses;
        text that is not JSON ends the events."""
        state = self._calls.get(index)
        if state is None:
            return []
        if state.parser is None:
            state.parser = JSONStreamParser()
            _feed(state, state.raw())
            if state.ended and not state.unparsable:
                try:
                    state.events += state.parser.close()
                except InvalidJSON:
                    state.unparsable = True
        events, state.events = state.events, []
        return events

    def failure(self) -> RilletError | None:
        """The error this response ends in, if any, carrying the response as ``partial``.

        An error chunk becomes its typed exception; otherwise tool calls whose complete
        arguments are not a JSON object give one ``InvalidToolArgumentsError`` naming them all.
        """
        if self._error is not None:
            return error_from_chunk(self._error, partial=self.snapshot())
        invalid = [
            InvalidToolCall(state.index, state.id, state.name, state.raw(), state.invalid)
            for state in sorted(self._calls.values(), key=lambda s: s.index)
            if state.invalid is not None
        ]
        if invalid:
            return invalid_arguments_error(invalid, partial=self.snapshot())
        return None

    def result(self) -> LLMResponse:
        """The final response, or the typed error it ended in (with the response as partial)."""
        error = self.failure()
        if error is not None:
            raise error
        return self.snapshot()


# One table for every accumulator (a table of bound methods per stream would cost a dozen
# objects each, for as long as the stream is open).
_HANDLERS: dict[str, Callable[[ResponseAccumulator, Any], StreamChunk]] = {
    "start": ResponseAccumulator._on_start,
    "content": ResponseAccumulator._on_content,
    "reasoning": ResponseAccumulator._on_reasoning,
    "tool_call_start": ResponseAccumulator._on_tool_call_start,
    "tool_call_chunk": ResponseAccumulator._on_tool_call_chunk,
    "tool_call_end": ResponseAccumulator._on_tool_call_end,
    "stop": ResponseAccumulator._on_stop,
    "error": ResponseAccumulator._on_error,
}

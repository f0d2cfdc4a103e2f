"""Anthropic Messages stream events -> ``StreamChunk`` (pure, no I/O).

Each frame is dispatched on its SSE ``event:`` name (or, when a server leaves the name out, on
the data's ``type``) and validated straight into that event's model. Content blocks are tracked
by their ``index``: ``tool_use`` blocks become tool calls at that same index (or, when an
earlier call had that index, at the next free one), ``thinking`` and ``redacted_thinking``
blocks become reasoning blocks numbered in order, and blocks that Anthropic runs itself
(``server_tool_use``, ``web_search_tool_result``) are skipped: they are not calls for the client
to answer. Every ``content_block_start`` begins a new block, even at an index used before. Usage
is split between ``message_start`` and ``message_delta`` (the latest count sent wins); the stop
chunk waits for ``message_stop``, the terminal event. A whole ``message`` object (a server that
ignores ``stream: true``) gives the chunks its stream would have given.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from rillet._exceptions import StreamInterruptedError
from rillet._generated.providers.anthropic_schema import (
    ContentBlockStopEvent,
    ErrorEvent,
    Message,
    MessageDeltaEvent,
    MessageDeltaUsage,
    MessageStartEvent,
    RedactedThinkingBlock,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
    UnknownEvent,
)
from rillet._generated.providers.anthropic_schema import Usage as WireUsage
from rillet._generated.wire_dicts.anthropic_schema import (
    ContentBlockDeltaEvent,
    InputJsonDelta,
    SignatureDelta,
    TextDelta,
    ThinkingDelta,
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
    reasoning_text_chunk,
    start_chunk,
    tool_call_chunk,
)
from rillet.providers._mapper import NO_CHUNKS, Ordinals, decode, decode_dict, skip_unknown
from rillet.providers.anthropic._errors import error_chunk
from rillet.providers.anthropic._finish import unified_finish_reason
from rillet.providers.anthropic._wire import (
    BLOCK_DELTA_EVENT,
    Block,
    BlockStartEvent,
    WholeMessage,
)
from rillet.transport import Frame

__all__ = ["AnthropicMapper"]

_log = logging.getLogger("rillet.providers.anthropic")

_SERVER_BLOCKS = frozenset({"server_tool_use", "web_search_tool_result"})


@dataclass(slots=True)
class _OpenCall:
    """A ``tool_use`` block between its start and its stop."""

    index: int  # the call's index among the response's tool calls
    id: str
    start_input: dict[str, Any] | None
    streamed: bool = False  # whether any non-empty input_json_delta arrived


class AnthropicMapper:
    """One response's state: open tool calls, reasoning ordinals, stop reason and usage."""

    __slots__ = (
        "_block",
        "_cache_read",
        "_cache_write",
        "_call_indexes",
        "_calls",
        "_done",
        "_input_tokens",
        "_output_tokens",
        "_provider",
        "_reasoning_ordinal",
        "_started",
        "_stop_reason",
        "_thinking_tokens",
    )

    def __init__(self, provider: str) -> None:
        self._provider = provider
        self._started = False
        self._done = False
        self._block = -1  # index of the latest block started (for events that omit it)
        self._calls: dict[int, _OpenCall] = {}  # block index -> open tool call
        self._call_indexes: set[int] = set()  # the index of every call started
        self._reasoning_ordinal = Ordinals()  # block index -> reasoning-block ordinal
        self._stop_reason: str | None = None
        self._input_tokens: int | None = None
        self._output_tokens: int | None = None
        self._cache_read: int | None = None
        self._cache_write: int | None = None
        self._thinking_tokens: int | None = None

    def feed(self, frame: Frame) -> Sequence[StreamChunk]:
        if self._done:
            return NO_CHUNKS
        chunks = self._dispatch(frame.event, frame.data)
        if self._started or not chunks:
            return chunks
        self._started = True  # something came before message_start (an error, most likely)
        return [StartChunk(provider=self._provider), *chunks]

    def finish(self) -> Sequence[StreamChunk]:
        if self._done:
            return NO_CHUNKS
        raise StreamInterruptedError(
            "the Anthropic stream ended before message_stop", body_started=True
        )

    def _dispatch(self, name: str, data: str) -> Sequence[StreamChunk]:
        # Most frequent first; each event decoded once, into its own model (ping and
        # message_stop carry nothing to read, so they are not decoded at all).
        if name == "content_block_delta":
            return self._on_block_delta(decode_dict(BLOCK_DELTA_EVENT, data))
        if name == "ping":
            return NO_CHUNKS
        if name == "content_block_start":
            return self._on_block_start(decode(BlockStartEvent, data))
        if name == "content_block_stop":
            return self._on_block_stop(decode(ContentBlockStopEvent, data))
        if name == "message_start":
            return self._on_message_start(decode(MessageStartEvent, data))
        if name == "message_delta":
            return self._on_message_delta(decode(MessageDeltaEvent, data))
        if name == "message_stop":
            return self._on_message_stop()
        if name == "error":
            return self._on_error(decode(ErrorEvent, data), data)
        if name == "message":  # no ``event:`` line: fall back to the data's own ``type``
            kind = decode(UnknownEvent, data).type
            if kind == "message":
                return self._on_whole(decode(WholeMessage, data))
            return self._dispatch(kind, data)
        return skip_unknown("event", name)

    # -- message events ------------------------------------------------------------------------

    def _on_message_start(self, event: MessageStartEvent) -> Sequence[StreamChunk]:
        return self._start_message(event.message)

    def _start_message(self, message: Message | None) -> Sequence[StreamChunk]:
        if message is not None and message.usage is not None:
            self._add_usage(message.usage)
        if self._started:
            return NO_CHUNKS
        self._started = True
        return (
            start_chunk(
                message.id if message else None,
                message.model if message else None,
                self._provider,
            ),
        )

    def _on_message_delta(self, event: MessageDeltaEvent) -> Sequence[StreamChunk]:
        if event.delta is not None and event.delta.stop_reason is not None:
            self._stop_reason = event.delta.stop_reason
        if event.usage is not None:
            self._add_usage(event.usage)
        return NO_CHUNKS

    def _on_message_stop(self) -> Sequence[StreamChunk]:
        self._done = True
        out: list[StreamChunk] = [self._end_call(index) for index in list(self._calls)]
        out.append(
            StopChunk(
                finish_reason=unified_finish_reason(self._stop_reason),
                provider_finish_reason=self._stop_reason,
                usage=self._usage(),
            )
        )
        return out

    def _on_error(self, event: ErrorEvent, data: str) -> Sequence[StreamChunk]:
        self._done = True
        return (error_chunk(event, json.loads(data)),)

    def _on_whole(self, message: WholeMessage) -> Sequence[StreamChunk]:
        """A whole message: the chunks its stream would have given (a tool's input as one
        fragment)."""
        if self._started:
            return skip_unknown("event", "message")
        out = list(self._start_message(message))
        for index, block in enumerate(message.content or ()):
            out += self._start_block(index, block)
            call = self._calls.get(index)
            if call is not None:
                if call.start_input:
                    arguments = json.dumps(call.start_input, ensure_ascii=False)
                    out.append(tool_call_chunk(call.index, arguments))
                out.append(self._end_call(index))
        self._stop_reason = message.stop_reason
        out += self._on_message_stop()
        return out

    # -- content blocks ------------------------------------------------------------------------

    def _on_block_start(self, event: BlockStartEvent) -> Sequence[StreamChunk]:
        index = self._block + 1 if event.index is None else event.index
        self._block = index
        if index in self._calls:  # a new block where a call is still open: that call ended
            return (self._end_call(index), *self._start_block(index, event.content_block))
        return self._start_block(index, event.content_block)

    def _start_block(self, index: int, block: Block | None) -> Sequence[StreamChunk]:
        if isinstance(block, TextBlock):
            return (ContentChunk(text=block.text),) if block.text else NO_CHUNKS
        if isinstance(block, ToolUseBlock):
            # An index an earlier call had (a server reusing block indexes) gives the next one.
            used = self._call_indexes
            call_index = index if index not in used else max(used) + 1
            used.add(call_index)
            call = _OpenCall(call_index, block.id or new_tool_call_id(), block.input)
            self._calls[index] = call
            return (ToolCallStartChunk(index=call_index, id=call.id, name=block.name or ""),)
        if isinstance(block, (ThinkingBlock, RedactedThinkingBlock)):
            ordinal = self._reasoning_ordinal.new(index)  # both kinds are numbered together
            if isinstance(block, RedactedThinkingBlock):
                if not block.data:
                    return NO_CHUNKS
                return (ReasoningChunk(index=ordinal, encrypted_content=block.data),)
            if block.thinking or block.signature:  # normally empty here, then streamed
                return (
                    ReasoningChunk(
                        text=block.thinking or "", index=ordinal, signature=block.signature or None
                    ),
                )
            return NO_CHUNKS
        if block is None:
            return NO_CHUNKS
        if block.type in _SERVER_BLOCKS:
            _log.debug(
                "skipping %s block %d: run by Anthropic, not a client call", block.type, index
            )
            return NO_CHUNKS
        return skip_unknown("content block", block.type)

    def _on_block_delta(self, event: ContentBlockDeltaEvent) -> Sequence[StreamChunk]:
        delta = event.get("delta")
        if delta is None:
            return NO_CHUNKS
        kind = delta.get("type")
        if kind == "text_delta":
            text = cast(TextDelta, delta).get("text")
            return (content_chunk(text),) if text else NO_CHUNKS
        index = event.get("index")
        if index is None:
            index = self._block
        if kind == "input_json_delta":
            call = self._calls.get(index)
            partial_json = cast(InputJsonDelta, delta).get("partial_json")
            if call is None or not partial_json:  # a server tool's input, or nothing
                return NO_CHUNKS
            call.streamed = True
            return (tool_call_chunk(call.index, partial_json),)
        if kind == "thinking_delta":
            thinking = cast(ThinkingDelta, delta).get("thinking")
            if not thinking:
                return NO_CHUNKS
            return (reasoning_text_chunk(thinking, self._reasoning_ordinal(index)),)
        if kind == "signature_delta":
            signature = cast(SignatureDelta, delta).get("signature")
            if not signature:
                return NO_CHUNKS
            return (ReasoningChunk(index=self._reasoning_ordinal(index), signature=signature),)
        if kind == "citations_delta":  # citations are not kept
            return NO_CHUNKS
        return skip_unknown("content block delta", str(kind))

    def _on_block_stop(self, event: ContentBlockStopEvent) -> Sequence[StreamChunk]:
        index = self._block if event.index is None else event.index
        if index in self._calls:
            return (self._end_call(index),)
        return NO_CHUNKS

    # -- helpers -------------------------------------------------------------------------------

    def _end_call(self, index: int) -> ToolCallEndChunk:
        """End the call at block ``index``; its whole input is given only when none was
        streamed (then ``{}``)."""
        call = self._calls.pop(index)
        given = None if call.streamed or not call.start_input else call.start_input
        return ToolCallEndChunk(index=call.index, id=call.id, arguments=given)

    def _add_usage(self, usage: WireUsage | MessageDeltaUsage) -> None:
        """Counts are cumulative: every count sent replaces the one before it."""
        if usage.input_tokens is not None:
            self._input_tokens = usage.input_tokens
        if usage.output_tokens is not None:
            self._output_tokens = usage.output_tokens
        if usage.cache_read_input_tokens is not None:
            self._cache_read = usage.cache_read_input_tokens
        if usage.cache_creation_input_tokens is not None:
            self._cache_write = usage.cache_creation_input_tokens
        details = usage.output_tokens_details
        if details is not None and details.thinking_tokens is not None:
            self._thinking_tokens = details.thinking_tokens

    def _usage(self) -> Usage | None:
        if self._input_tokens is None and self._output_tokens is None:
            return None
        return Usage(
            input_tokens=self._input_tokens or 0,
            output_tokens=self._output_tokens or 0,
            cached_input_tokens=self._cache_read,
            cache_creation_input_tokens=self._cache_write,
            reasoning_tokens=self._thinking_tokens,
        )

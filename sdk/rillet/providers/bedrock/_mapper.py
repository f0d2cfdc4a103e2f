"""Bedrock ConverseStream events -> ``StreamChunk`` (pure, no I/O).

Each frame is one AWS event-stream message (see ``rillet.transport.Frame``): an event, named
by its ``:event-type``, is validated into that event's generated TypedDict and handed to its
handler; an ``exception`` or ``error`` message ends the stream with an ``error`` chunk. Blocks
are tracked by ``contentBlockIndex``: a tool call starts with ``contentBlockStart`` (its id and
name) and its input comes as string fragments; a text block has no start, its first delta is
its start; reasoning deltas carry text, a signature or redacted content, numbered as reasoning
blocks in order. ``messageStop`` (the stop reason) comes before ``metadata`` (usage), so the
stop chunk waits for ``metadata``, or for the end of the body when none comes. Every payload
holds ``p``, padding that hides the content's size: ignored like any field not read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import TypeAdapter, ValidationError

from rillet._exceptions import MalformedStreamError, StreamInterruptedError
from rillet._generated.wire_dicts.bedrock_schema import (
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    ContentBlockStopEvent,
    MessageStopEvent,
    MetadataEvent,
    ReasoningContentBlockDelta,
    TokenUsage,
)
from rillet._ids import new_tool_call_id
from rillet.protocol import (
    ReasoningChunk,
    StartChunk,
    StopChunk,
    StreamChunk,
    ToolCallEndChunk,
    ToolCallStartChunk,
    Usage,
    content_chunk,
    reasoning_text_chunk,
    tool_call_chunk,
)
from rillet.providers._mapper import (
    NO_CHUNKS,
    Ordinals,
    decode_dict,
    not_a_response,
    skip_unknown,
)
from rillet.providers.bedrock._errors import exception_chunk
from rillet.providers.bedrock._finish import unified_finish_reason
from rillet.transport import ERROR_PREFIX, EXCEPTION_PREFIX, Frame

__all__ = ["BedrockMapper"]

_BLOCK_DELTA = TypeAdapter(ContentBlockDeltaEvent)
# Almost every event is a delta: validated by pydantic-core straight, without the wrappers
# of ``decode_dict`` (a third of this mapper's own cost per delta).
_validate_block_delta = _BLOCK_DELTA.validator.validate_json
_BLOCK_START = TypeAdapter(ContentBlockStartEvent)
_BLOCK_STOP = TypeAdapter(ContentBlockStopEvent)
_MESSAGE_STOP = TypeAdapter(MessageStopEvent)
_METADATA = TypeAdapter(MetadataEvent)


def _block_delta(data: str) -> ContentBlockDeltaEvent:
    try:
        return _validate_block_delta(data)  # type: ignore[no-any-return]
    except ValidationError:
        return decode_dict(_BLOCK_DELTA, data)  # raises the MalformedStreamError


class BedrockMapper:
    """One response's state: open tool calls, reasoning ordinals, the stop reason and usage."""

    __slots__ = (
        "_calls",
        "_closed_blocks",
        "_details",
        "_done",
        "_provider",
        "_reasoning_ordinal",
        "_started",
        "_stop_reason",
        "_stopped",
        "_usage",
    )

    def __init__(self, provider: str) -> None:
        self._provider = provider
        self._started = False
        self._done = False  # the stop (or error) chunk was given
        self._stopped = False  # messageStop came: the stop chunk waits for the usage
        self._stop_reason: str | None = None
        self._usage: Usage | None = None
        self._calls: dict[int, tuple[str, bool]] = {}  # open call's block index -> id, streamed
        self._details: dict[str, Any] = {}  # metrics, trace, additional response fields
        self._closed_blocks: set[int] = set()  # block indexes whose contentBlockStop came
        self._reasoning_ordinal = Ordinals()  # block index -> reasoning-block ordinal

    def feed(self, frame: Frame) -> Sequence[StreamChunk]:
        if self._done:
            return NO_CHUNKS
        if frame.event == "contentBlockDelta" and self._started:  # nearly every frame
            return self._on_block_delta(_block_delta(frame.data))
        chunks = self._dispatch(frame.event, frame.data)
        if self._started or not chunks:
            return chunks
        self._started = True  # something came before messageStart (an exception, most likely)
        return [StartChunk(provider=self._provider), *chunks]

    def finish(self) -> Sequence[StreamChunk]:
        if self._done:
            return NO_CHUNKS
        if self._stopped:  # no metadata event: the stop chunk goes without usage
            return (self._stop_chunk(),)
        raise StreamInterruptedError(
            "the Bedrock stream ended before messageStop", body_started=True
        )

    def _dispatch(self, name: str, data: str) -> Sequence[StreamChunk]:
        if name == "contentBlockDelta":
            return self._on_block_delta(_block_delta(data))
        if name == "contentBlockStart":
            return self._on_block_start(decode_dict(_BLOCK_START, data))
        if name == "contentBlockStop":
            return self._on_block_stop(decode_dict(_BLOCK_STOP, data))
        if name == "messageStart":
            return self._on_message_start()
        if name == "messageStop":
            return self._on_message_stop(decode_dict(_MESSAGE_STOP, data))
        if name == "metadata":
            return self._on_metadata(decode_dict(_METADATA, data))
        if name.startswith(EXCEPTION_PREFIX):
            self._done = True
            return (exception_chunk(name[len(EXCEPTION_PREFIX) :], data),)
        if name.startswith(ERROR_PREFIX):
            self._done = True
            return (exception_chunk(name[len(ERROR_PREFIX) :], data),)
        if name == "message":  # not an event stream: a JSON body (a proxy's, or Converse's)
            raise not_a_response("a Bedrock ConverseStream event stream", data)
        return skip_unknown("event", name)

    # -- message events ------------------------------------------------------------------------

    def _on_message_start(self) -> Sequence[StreamChunk]:
        if self._started:
            return NO_CHUNKS
        self._started = True
        return (StartChunk(provider=self._provider),)

    def _on_message_stop(self, event: MessageStopEvent) -> Sequence[StreamChunk]:
        self._stopped = True
        self._stop_reason = event.get("stopReason")
        fields = event.get("additionalModelResponseFields")
        if fields:
            self._details["additionalModelResponseFields"] = fields
        return [self._end_call(index) for index in list(self._calls)]

    def _on_metadata(self, event: MetadataEvent) -> Sequence[StreamChunk]:
        usage = event.get("usage")
        if usage is not None:
            self._usage = _usage(usage)
        for name in ("metrics", "trace"):  # metrics.latencyMs: the service's own timing
            value = event.get(name)
            if value:
                self._details[name] = value
        return (self._stop_chunk(),) if self._stopped else NO_CHUNKS

    def _stop_chunk(self) -> StopChunk:
        self._done = True
        return StopChunk(
            finish_reason=unified_finish_reason(self._stop_reason),
            provider_finish_reason=self._stop_reason,
            usage=self._usage,
            provider_details=self._details or None,
        )

    # -- content blocks ------------------------------------------------------------------------

    def _on_block_start(self, event: ContentBlockStartEvent) -> Sequence[StreamChunk]:
        tool = (event.get("start") or {}).get("toolUse")
        if tool is None:
            return NO_CHUNKS  # a server tool's result or an image: nothing for the client
        index = event.get("contentBlockIndex", 0)
        if index in self._closed_blocks:
            # A block's index is its place in the message: one cannot start twice.
            raise MalformedStreamError(
                f"contentBlockStart for block {index}, which already stopped"
            )
        out: list[StreamChunk] = []
        if index in self._calls:  # a new block where a call is still open: that call ended
            out.append(self._end_call(index))
        call_id = tool.get("toolUseId") or new_tool_call_id()
        self._calls[index] = (call_id, False)
        out.append(ToolCallStartChunk(index=index, id=call_id, name=tool.get("name") or ""))
        return out

    def _on_block_delta(self, event: ContentBlockDeltaEvent) -> Sequence[StreamChunk]:
        delta = event.get("delta")
        if delta is None:
            return NO_CHUNKS
        text = delta.get("text")
        if text is not None:
            return (content_chunk(text),) if text else NO_CHUNKS
        index = event.get("contentBlockIndex", 0)
        tool = delta.get("toolUse")
        if tool is not None:
            fragment = tool.get("input")
            call = self._calls.get(index)
            if call is None or not fragment:  # a server tool's input, or nothing
                return NO_CHUNKS
            self._calls[index] = (call[0], True)
            return (tool_call_chunk(index, fragment),)
        reasoning = delta.get("reasoningContent")
        if reasoning is not None:
            return self._reasoning(index, reasoning)
        return skip_unknown("content block delta", ",".join(delta) or "empty")

    def _reasoning(self, index: int, delta: ReasoningContentBlockDelta) -> Sequence[StreamChunk]:
        ordinal = self._reasoning_ordinal(index)
        text, signature = delta.get("text"), delta.get("signature")
        redacted = delta.get("redactedContent")
        if text:
            return (reasoning_text_chunk(text, ordinal),)
        if signature:
            return (ReasoningChunk(index=ordinal, signature=signature),)
        if redacted:
            return (ReasoningChunk(index=ordinal, encrypted_content=redacted),)
        return NO_CHUNKS

    def _on_block_stop(self, event: ContentBlockStopEvent) -> Sequence[StreamChunk]:
        index = event.get("contentBlockIndex")
        if index is not None:
            self._closed_blocks.add(index)
        if index in self._calls:
            return (self._end_call(index),)
        return NO_CHUNKS

    def _end_call(self, index: int) -> ToolCallEndChunk:
        """End the call at block ``index``; with no input streamed its arguments are ``{}``."""
        call_id, streamed = self._calls.pop(index)
        return ToolCallEndChunk(index=index, id=call_id, arguments=None if streamed else {})


def _usage(usage: TokenUsage) -> Usage:
    return Usage(
        input_tokens=usage.get("inputTokens") or 0,
        output_tokens=usage.get("outputTokens") or 0,
        cached_input_tokens=usage.get("cacheReadInputTokens"),
        cache_creation_input_tokens=usage.get("cacheWriteInputTokens"),
        total_tokens=usage.get("totalTokens"),
    )

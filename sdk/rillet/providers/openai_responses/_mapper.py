"""OpenAI Responses stream events -> ``StreamChunk`` (pure, no I/O).

Each frame is dispatched on its SSE ``event:`` name (equal to the data's ``type``) and validated
once, straight into its own wire model. Events that add nothing (progress, ``*.done`` of text
already streamed as deltas, annotations, hosted-tool progress) are dropped without being
parsed: some carry the whole response or large tool payloads.

Indexes: a tool call's ``index`` is its ``output_index``; a reasoning chunk's ``index`` is the
ordinal of its reasoning item among the response's reasoning items. Text that a server sends
only in the finished item or in the final response (no deltas) is taken from there, once. A
server that ignores ``stream: true`` sends the final response object alone (no ``type``, its
``object`` is ``response``): it is read as the terminal event of an empty stream.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pydantic import TypeAdapter
from typing_extensions import TypedDict  # pydantic reads only this one before Python 3.12

from rillet._exceptions import MalformedStreamError, StreamInterruptedError
from rillet._generated.providers.openai_responses_schema import (
    ErrorEvent,
    FunctionCallItem,
    OutputMessage,
    OutputTextPart,
    ReasoningItem,
    ReasoningTextPart,
    RefusalPart,
    Response,
    ResponseCompletedEvent,
    ResponseCreatedEvent,
    ResponseFailedEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseIncompleteEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputTextDeltaEvent,
    ResponseReasoningSummaryTextDeltaEvent,
    ResponseReasoningTextDeltaEvent,
    ResponseRefusalDeltaEvent,
    ResponseUsage,
    UnknownOutputItem,
)
from rillet._ids import new_tool_call_id
from rillet.protocol import (
    ContentChunk,
    ErrorChunk,
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
    start_chunk,
    tool_call_chunk,
)
from rillet.providers._mapper import (
    NO_CHUNKS,
    Ordinals,
    decode,
    decode_dict,
    not_a_response,
    skip_unknown,
    stream_error_chunk,
)
from rillet.providers.openai_responses._errors import ERROR_TYPES
from rillet.providers.openai_responses._finish import unified_finish_reason
from rillet.transport import Frame

__all__ = ["ResponsesMapper", "usage_from_responses"]

_log = logging.getLogger("rillet.providers.openai_responses")

_Item = OutputMessage | ReasoningItem | FunctionCallItem | UnknownOutputItem

# Known events that add nothing to the chunk stream: dropped unparsed.
_IGNORED = frozenset(
    {
        "response.queued",
        "response.in_progress",
        "response.content_part.added",
        "response.content_part.done",
        "response.output_text.done",
        "response.output_text.annotation.added",
        "response.refusal.done",
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_part.done",
        "response.reasoning_summary_text.done",
        "response.reasoning_text.done",
    }
)
# Progress of tools that run on OpenAI's side: not client tool calls.
_HOSTED = (
    "response.web_search_call.",
    "response.file_search_call.",
    "response.code_interpreter_call",
    "response.image_generation_call.",
    "response.computer_call",
    "response.mcp_",
)
_TYPE_PREFIX = '{"type":"'
_UNFINISHED = frozenset({"queued", "in_progress"})  # a background response, not an answer
_NO_INDEX = -1  # the position of deltas sent without output_index


def usage_from_responses(usage: ResponseUsage) -> Usage:
    input_details = usage.input_tokens_details
    output_details = usage.output_tokens_details
    return Usage(
        input_tokens=usage.input_tokens or 0,
        output_tokens=usage.output_tokens or 0,
        cached_input_tokens=input_details.cached_tokens if input_details else None,
        reasoning_tokens=output_details.reasoning_tokens if output_details else None,
        total_tokens=usage.total_tokens,
    )


class ResponseStreamEvent(TypedDict, total=False):
    """Only the ``type`` of an event (named as the schema's root: errors show this name)."""

    type: str


_EVENT_TYPE = TypeAdapter(ResponseStreamEvent)


def _event_type(data: str) -> str | None:
    """The ``type`` of a data-only frame (servers that send no ``event:`` line); None when it
    has none (a whole response object, or not this protocol at all)."""
    if data.startswith(_TYPE_PREFIX):
        end = data.find('"', len(_TYPE_PREFIX))
        if end > 0:
            return data[len(_TYPE_PREFIX) : end]
    return decode_dict(_EVENT_TYPE, data).get("type")


@dataclass(slots=True)
class _Call:
    index: int
    call_id: str
    streamed: bool = False
    ended: bool = False


class ResponsesMapper:
    """One response's state: open function calls, reasoning ordinals, what text was streamed."""

    __slots__ = (
        "_call_items",
        "_calls",
        "_done",
        "_finished",
        "_provider",
        "_reasoning_ordinal",
        "_sealed",
        "_started",
        "_texted",
    )

    def __init__(self, provider: str) -> None:
        self._provider = provider
        self._started = False
        self._done = False
        self._calls: dict[int, _Call] = {}  # output_index -> call
        self._call_items: dict[str, _Call] = {}  # item id (fc_...) -> call
        self._reasoning_ordinal = Ordinals()  # output_index -> reasoning-block ordinal
        self._texted: set[int] = set()  # output indexes whose text arrived as deltas
        self._finished: set[int] = set()  # output indexes whose finished item was mapped
        self._sealed: set[int] = set()  # output indexes whose encrypted reasoning was sent

    def feed(self, frame: Frame) -> Sequence[StreamChunk]:
        if self._done:
            return NO_CHUNKS
        name = frame.event
        if name == "message":
            if frame.data == "[DONE]":
                return NO_CHUNKS
            event_type = _event_type(frame.data)
            if event_type is None:
                return self._on_whole(frame.data)
            name = event_type
        handler = _HANDLERS.get(name)
        if handler is None:
            if name in _IGNORED or name.startswith(_HOSTED):
                return NO_CHUNKS
            return skip_unknown("OpenAI Responses event", name)
        if self._started or name == "response.created":
            return handler(self, frame.data)
        chunks = handler(self, frame.data)  # no response.created first: start anyway
        self._started = True
        return (StartChunk(provider=self._provider), *chunks)

    def finish(self) -> Sequence[StreamChunk]:
        if self._done:
            return NO_CHUNKS
        raise StreamInterruptedError(
            "the OpenAI Responses stream ended before response.completed, response.incomplete, "
            "response.failed or an error event",
            body_started=True,
        )

    # -- handlers ------------------------------------------------------------------------------

    def _on_whole(self, data: str) -> Sequence[StreamChunk]:
        """A whole response object: the chunks of a stream that held only its terminal event."""
        response = decode(Response, data)
        if response.object != "response" or self._started:
            raise not_a_response("an OpenAI Responses stream or a response object", data)
        if response.status in _UNFINISHED:
            raise MalformedStreamError(
                f"the response object is not finished (status {response.status!r}): "
                "rillet reads a stream or a finished response"
            )
        self._started = True
        start = start_chunk(response.id, response.model, self._provider)
        return (start, *self._terminal(response, "completed"))

    def _on_created(self, data: str) -> Sequence[StreamChunk]:
        if self._started:
            return NO_CHUNKS
        self._started = True
        response = decode(ResponseCreatedEvent, data).response
        if response is None:
            return (StartChunk(provider=self._provider),)
        return (start_chunk(response.id, response.model, self._provider),)

    def _on_text_delta(self, data: str) -> Sequence[StreamChunk]:
        event = decode(ResponseOutputTextDeltaEvent, data)
        if not event.delta:
            return NO_CHUNKS
        self._texted.add(_position(event.output_index))
        return (content_chunk(event.delta),)

    def _on_refusal_delta(self, data: str) -> Sequence[StreamChunk]:
        event = decode(ResponseRefusalDeltaEvent, data)
        if not event.delta:
            return NO_CHUNKS
        self._texted.add(_position(event.output_index))
        return (ContentChunk(text=event.delta, refusal=True),)

    def _on_summary_delta(self, data: str) -> Sequence[StreamChunk]:
        event = decode(ResponseReasoningSummaryTextDeltaEvent, data)
        return self._reasoning_text(event.output_index, event.item_id, event.delta)

    def _on_reasoning_delta(self, data: str) -> Sequence[StreamChunk]:
        event = decode(ResponseReasoningTextDeltaEvent, data)
        return self._reasoning_text(event.output_index, event.item_id, event.delta)

    def _reasoning_text(
        self, output_index: int | None, item_id: str | None, delta: str | None
    ) -> Sequence[StreamChunk]:
        if not delta:
            return NO_CHUNKS
        position = _position(output_index)
        self._texted.add(position)
        return (reasoning_text_chunk(delta, self._reasoning_ordinal(position), item_id),)

    def _on_item_added(self, data: str) -> Sequence[StreamChunk]:
        event = decode(ResponseOutputItemAddedEvent, data)
        item = event.item
        if isinstance(item, FunctionCallItem):
            if self._find_call(event.output_index, item.id) is not None:
                return NO_CHUNKS  # started already (by an earlier delta, or the same event again)
            _, start = self._start_call(event.output_index, item.id, item.call_id, item.name)
            return start
        if isinstance(item, ReasoningItem):
            self._reasoning_ordinal(_position(event.output_index))
        return NO_CHUNKS  # messages start with their first delta; hosted tools are skipped

    def _on_item_done(self, data: str) -> Sequence[StreamChunk]:
        event = decode(ResponseOutputItemDoneEvent, data)
        if event.item is None:
            return NO_CHUNKS
        return self._item_done(event.output_index, event.item)

    def _on_arguments_delta(self, data: str) -> Sequence[StreamChunk]:
        event = decode(ResponseFunctionCallArgumentsDeltaEvent, data)
        if not event.delta:
            return NO_CHUNKS
        call = self._find_call(event.output_index, event.item_id)
        out: list[StreamChunk] = []
        if call is None:
            _log.debug("arguments for an unannounced function call %r", event.item_id)
            call, start = self._start_call(event.output_index, event.item_id, None, None)
            out.extend(start)
        elif call.ended:
            _log.debug("arguments after the end of function call %r dropped", call.call_id)
            return NO_CHUNKS
        call.streamed = True
        out.append(tool_call_chunk(call.index, event.delta))
        return out

    def _on_arguments_done(self, data: str) -> Sequence[StreamChunk]:
        event = decode(ResponseFunctionCallArgumentsDoneEvent, data)
        return self._call_done(event.output_index, event.item_id, None, event.name, event.arguments)

    def _on_completed(self, data: str) -> Sequence[StreamChunk]:
        return self._terminal(decode(ResponseCompletedEvent, data).response, "completed")

    def _on_incomplete(self, data: str) -> Sequence[StreamChunk]:
        return self._terminal(decode(ResponseIncompleteEvent, data).response, "incomplete")

    def _on_failed(self, data: str) -> Sequence[StreamChunk]:
        return self._terminal(decode(ResponseFailedEvent, data).response, "failed")

    def _on_error(self, data: str) -> Sequence[StreamChunk]:
        event = decode(ErrorEvent, data)
        self._done = True
        detail = event.error
        code = event.code or (detail.code if detail else None)
        out = self._end_open_calls()
        out.append(
            stream_error_chunk(
                ERROR_TYPES,
                event.message
                or (detail.message if detail else None)
                or "OpenAI reported an error inside the stream",
                error_type=code or (detail.type if detail else None),
                raw=json.loads(data),
            )
        )
        return out

    # -- items ---------------------------------------------------------------------------------

    def _item_done(self, output_index: int | None, item: _Item) -> Sequence[StreamChunk]:
        if isinstance(item, FunctionCallItem):
            return self._call_done(output_index, item.id, item.call_id, item.name, item.arguments)
        if isinstance(item, ReasoningItem):
            return self._reasoning_done(_position(output_index), item)
        if isinstance(item, UnknownOutputItem):
            return NO_CHUNKS  # hosted tools (web search, code interpreter, MCP, ...)
        position = _position(output_index)
        if position in self._finished or self._streamed(position):
            return NO_CHUNKS
        self._finished.add(position)
        out: list[StreamChunk] = []  # a message whose text never came as deltas
        for part in item.content or ():
            if isinstance(part, OutputTextPart) and part.text:
                out.append(ContentChunk(text=part.text))
            elif isinstance(part, RefusalPart) and part.refusal:
                out.append(ContentChunk(text=part.refusal, refusal=True))
        return out

    def _reasoning_done(self, position: int, item: ReasoningItem) -> Sequence[StreamChunk]:
        """The item's id and encrypted content (each sent once), and text never streamed."""
        ordinal = self._reasoning_ordinal(position)
        out: list[StreamChunk] = []
        first = position not in self._finished
        if first:
            self._finished.add(position)
            if not self._streamed(position):
                for summary in item.summary or ():
                    if summary.text:
                        out.append(ReasoningChunk(text=summary.text, index=ordinal, id=item.id))
                for part in item.content or ():
                    if isinstance(part, ReasoningTextPart) and part.text:
                        out.append(ReasoningChunk(text=part.text, index=ordinal, id=item.id))
        encrypted = None if position in self._sealed else item.encrypted_content
        if encrypted is not None:
            self._sealed.add(position)
        if encrypted is not None or (first and item.id is not None):
            out.append(ReasoningChunk(index=ordinal, id=item.id, encrypted_content=encrypted))
        return out

    def _streamed(self, position: int) -> bool:
        """Whether the item at ``position`` got text deltas (any, if some came without index)."""
        return position in self._texted or _NO_INDEX in self._texted

    # -- function calls ------------------------------------------------------------------------

    def _start_call(
        self,
        output_index: int | None,
        item_id: str | None,
        call_id: str | None,
        name: str | None,
    ) -> tuple[_Call, Sequence[StreamChunk]]:
        index = output_index if output_index is not None else max(self._calls, default=-1) + 1
        call = _Call(index=index, call_id=call_id or item_id or new_tool_call_id())
        self._calls[index] = call
        if item_id is not None:
            self._call_items[item_id] = call
        return call, (ToolCallStartChunk(index=index, id=call.call_id, name=name or ""),)

    def _find_call(self, output_index: int | None, item_id: str | None) -> _Call | None:
        if item_id is not None:
            call = self._call_items.get(item_id)
            if call is not None:
                return call
        return self._calls.get(output_index) if output_index is not None else None

    def _call_done(
        self,
        output_index: int | None,
        item_id: str | None,
        call_id: str | None,
        name: str | None,
        arguments: str | None,
    ) -> Sequence[StreamChunk]:
        """End a call; arguments that never came as deltas are sent whole, as one fragment."""
        call = self._find_call(output_index, item_id)
        out: list[StreamChunk] = []
        if call is None:
            call, start = self._start_call(output_index, item_id, call_id, name)
            out.extend(start)
        if call.ended:
            return NO_CHUNKS
        call.ended = True
        if not call.streamed and arguments:
            out.append(ToolCallChunk(index=call.index, arguments_delta=arguments))
        out.append(ToolCallEndChunk(index=call.index, id=call.call_id))
        return out

    def _end_open_calls(self) -> list[StreamChunk]:
        out: list[StreamChunk] = []
        for call in self._calls.values():
            if not call.ended:
                call.ended = True
                out.append(ToolCallEndChunk(index=call.index, id=call.call_id))
        return out

    # -- the end -------------------------------------------------------------------------------

    def _terminal(self, response: Response | None, implied_status: str) -> Sequence[StreamChunk]:
        self._done = True
        out: list[StreamChunk] = []
        if response is not None:
            for position, item in enumerate(response.output or ()):
                out.extend(self._item_done(position, item))  # what never came as events
        out.extend(self._end_open_calls())
        status = (response.status if response else None) or implied_status
        if status == "failed":
            out.append(_failed(response))
            return out
        details = response.incomplete_details if response else None
        reason = details.reason if details else None
        usage = response.usage if response else None
        out.append(
            StopChunk(
                finish_reason=unified_finish_reason(
                    status, reason, has_tool_calls=bool(self._calls)
                ),
                provider_finish_reason=reason or status,
                usage=usage_from_responses(usage) if usage is not None else None,
            )
        )
        return out


_HANDLERS: dict[str, Callable[[ResponsesMapper, str], Sequence[StreamChunk]]] = {
    "response.created": ResponsesMapper._on_created,
    "response.output_item.added": ResponsesMapper._on_item_added,
    "response.output_item.done": ResponsesMapper._on_item_done,
    "response.output_text.delta": ResponsesMapper._on_text_delta,
    "response.refusal.delta": ResponsesMapper._on_refusal_delta,
    "response.reasoning_summary_text.delta": ResponsesMapper._on_summary_delta,
    "response.reasoning_text.delta": ResponsesMapper._on_reasoning_delta,
    "response.function_call_arguments.delta": ResponsesMapper._on_arguments_delta,
    "response.function_call_arguments.done": ResponsesMapper._on_arguments_done,
    "response.completed": ResponsesMapper._on_completed,
    "response.incomplete": ResponsesMapper._on_incomplete,
    "response.failed": ResponsesMapper._on_failed,
    "error": ResponsesMapper._on_error,
}
"""The handler of each event type (one table for every stream, not one per stream)."""


def _position(output_index: int | None) -> int:
    return _NO_INDEX if output_index is None else output_index


def _failed(response: Response | None) -> ErrorChunk:
    error = response.error if response else None
    return stream_error_chunk(
        ERROR_TYPES,
        (error.message if error else None) or "the OpenAI response failed",
        error_type=error.code if error else None,
        raw=error.model_dump(mode="json", exclude_unset=True) if error else None,
    )

"""Gemini ``streamGenerateContent`` frames -> ``StreamChunk`` (pure, no I/O).

Each frame (an SSE ``data:`` event with ``alt=sse``, or one element of the JSON array without
it) is one ``GenerateContentResponse``. Gemini has no terminal event: the stream ends at EOF
after the frame with a ``finishReason``, and usage may come in a later frame, so the ``stop``
chunk is held until ``finish()``. A function call arrives whole (``args``), or, from Gemini 3
with ``streamFunctionCallArguments``, streamed: a ``functionCall`` with the name and
``willContinue``, then nameless ones with ``partialArgs`` (written out as JSON text by
``ArgumentsWriter``), then one without ``willContinue`` (usually empty) that ends it; either way
one ``tool_call_start``, its argument text, one ``tool_call_end``. ``thoughtSignature`` may sit on
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
from dataclasses import dataclass, field

from pydantic import TypeAdapter

from rillet._exceptions import StreamInterruptedError
from rillet._generated.wire_dicts.gemini_schema import (
    Candidate,
    Content,
    FunctionCall,
    GenerateContentResponse,
    Part,
    PartialArg,
    UsageMetadata,
)
from rillet._ids import new_tool_call_id
from rillet.protocol import (
    ReasoningChunk,
    StopChunk,
    StreamChunk,
    ToolCallChunk,
    ToolCallEndChunk,
    ToolCallStartChunk,
    Usage,
    content_chunk,
    reasoning_text_chunk,
    start_chunk,
)
from rillet.providers._mapper import (
    NO_CHUNKS,
    Unread,
    decode_dict,
    not_a_response,
    skip_unknown,
)
from rillet.providers.gemini._errors import blocked_chunk, error_chunk_from_gemini
from rillet.providers.gemini._finish import unified_finish_reason
from rillet.providers.gemini._partial_args import NULL, ArgumentsWriter, Scalar, parse_json_path
from rillet.transport import ElementParser, Frame

__all__ = ["GeminiMapper", "usage_from_gemini"]

_FRAME = TypeAdapter(GenerateContentResponse)
_LATER = Unread(
    _FRAME,
    {
        # The first frame gave the response's id and model; nothing reads these again.
        GenerateContentResponse: ("modelVersion", "responseId", "createTime"),
        # Not part of the neutral stream (``usage_from_gemini`` reads the counts only).
        UsageMetadata: (
            "promptTokensDetails",
            "cacheTokensDetails",
            "candidatesTokensDetails",
            "toolUsePromptTokensDetails",
            "serviceTier",
        ),
        Candidate: (
            "finishMessage",
            "safetyRatings",
            "citationMetadata",
            "groundingMetadata",
            "urlContextMetadata",
            "tokenCount",
            "avgLogprobs",
            "logprobsResult",
        ),
        Content: ("role",),
    },
)
"""``_FRAME`` for the frames after the first: the fields above are not read, so not built (a
handler that starts reading one takes it off this list)."""
parse_frame: ElementParser = _LATER.validator.validate_json
"""A frame's JSON validated as ``feed`` reads the frames after the first (``HTTPAdapter.
parse_element``: the transport's decoder parses the JSON array's elements with it)."""
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


@dataclass
class _StreamedCall:
    """A call whose arguments come as ``partialArgs``, until the part that ends it."""

    index: int
    id: str
    arguments: ArgumentsWriter = field(default_factory=ArgumentsWriter)


class GeminiMapper:
    """One response's state: the reasoning block being filled, calls so far, finish, usage."""

    __slots__ = (
        "_block",
        "_block_signed",
        "_calls",
        "_done",
        "_finish_reason",
        "_provider",
        "_started",
        "_stray",
        "_streamed",
        "_usage",
    )

    def __init__(self, provider: str) -> None:
        self._provider = provider
        self._started = False
        self._done = False
        self._stray: str | None = None  # the first frame, when it held nothing of a response
        self._finish_reason: str | None = None
        self._usage: UsageMetadata | None = None
        self._calls = 0
        self._streamed: _StreamedCall | None = None  # a call still streaming its arguments
        self._block = 0  # the reasoning block that thought text and signatures go to
        self._block_signed = False  # that block holds its signature: the next one opens a new block

    def feed(self, frame: Frame) -> Sequence[StreamChunk]:
        if self._done:
            return NO_CHUNKS
        data = frame.data
        event: GenerateContentResponse
        if frame.parsed is not None and self._started:  # parse_frame's, by the decoder
            event = frame.parsed  # type: ignore[assignment]
        elif not data or data.isspace():
            return NO_CHUNKS
        else:
            event = decode_dict(_LATER if self._started else _FRAME, data)
        out: list[StreamChunk] = []
        if not self._started:
            self._started = True
            if all(event.get(name) is None for name in _READ):
                self._stray = data  # {} or {"foo": 1}: an error unless a stream follows
            out.append(
                start_chunk(event.get("responseId"), event.get("modelVersion"), self._provider)
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
        out: list[StreamChunk] = []
        if self._streamed is not None:
            self._end_streamed_call(self._streamed, out)  # its end part never came
        out.append(
            StopChunk(
                finish_reason=unified_finish_reason(
                    self._finish_reason, has_tool_calls=self._calls > 0
                ),
                provider_finish_reason=self._finish_reason,
                usage=usage_from_gemini(usage) if usage is not None else None,
            )
        )
        return out

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
        name = call.get("name")
        streamed = self._streamed
        if streamed is not None:
            if not name:
                self._continue_streamed_call(streamed, call, out)
                return
            self._end_streamed_call(streamed, out)  # a new call: the open one is complete
        elif not name and not call.get("args") and not call.get("partialArgs"):
            skip_unknown("Gemini functionCall", "empty")  # an end part with no call to end
            return
        index = self._calls
        self._calls += 1
        call_id = call.get("id") or new_tool_call_id()
        out.append(
            ToolCallStartChunk(index=index, id=call_id, name=name or "", signature=signature)
        )
        if call.get("willContinue") or call.get("partialArgs") is not None:
            streamed = _StreamedCall(index, call_id)
            self._streamed = streamed
            self._continue_streamed_call(streamed, call, out)
            return
        args = call.get("args") or {}
        out.append(
            ToolCallChunk(
                index=index,
                arguments_delta=json.dumps(args, ensure_ascii=False, separators=(",", ":")),
            )
        )
        out.append(ToolCallEndChunk(index=index, id=call_id, arguments=args))

    def _continue_streamed_call(
        self, streamed: _StreamedCall, call: FunctionCall, out: list[StreamChunk]
    ) -> None:
        writer = streamed.arguments
        text = "".join(
            writer.write(
                parse_json_path(arg.get("jsonPath") or ""),
                _partial_value(arg),
                more=bool(arg.get("willContinue")),
            )
            for arg in call.get("partialArgs") or ()
        )
        if text:
            out.append(ToolCallChunk(index=streamed.index, arguments_delta=text))
        if not call.get("willContinue"):
            self._end_streamed_call(streamed, out)

    def _end_streamed_call(self, streamed: _StreamedCall, out: list[StreamChunk]) -> None:
        """The rest of the argument text, then the end (the accumulator parses the text)."""
        self._streamed = None
        out.append(ToolCallChunk(index=streamed.index, arguments_delta=streamed.arguments.close()))
        out.append(ToolCallEndChunk(index=streamed.index, id=streamed.id))


def _partial_value(arg: PartialArg) -> Scalar | None:
    """The value one ``partialArgs`` entry holds; None when it holds none (a string's end)."""
    string = arg.get("stringValue")
    if string is not None:
        return string
    boolean = arg.get("boolValue")
    if boolean is not None:
        return boolean
    number = arg.get("numberValue")
    if number is not None:
        return number
    if arg.get("nullValue") is not None:
        return NULL
    return None

"""``StructuredStream``: a stream whose answer is JSON of a type, read as typed values.

It is a ``StreamingLLMResponse`` (every chunk, ``response``, ``aclose``) that also gives:

- ``output_events()``: ``OutputEvent(path, value, done)`` as the output's JSON arrives;
- ``partial_output``: the typed partial value so far (``rillet.output.completed`` tells which
  fields are whole);
- ``get_output()`` / ``get_response()``: the validated value, and the response carrying it
  (``StructuredResponse.output``).

The incremental parser starts on the first use of ``output_events()`` or ``partial_output``,
reading the text received so far once; from then on each content delta is parsed as it is
handed out. A consumer that only reads chunks (or only the final value) pays nothing for it:
the final value is validated from the whole text in one ``json.loads``.

A refusal (refusal text, as OpenAI sends it, or Anthropic's ``refusal`` stop) is never parsed:
``get_response()``, ``get_output()`` and ``output_events()`` end in ``OutputRefusedError`` with
the model's words. Once the text is found not to be JSON, ``output_events()`` still reads the
rest of the stream (unparsed) before raising, so that a refusal at its end is reported as one.

In tool mode (``tool_output_request`` / ``tool_output_batches``) the output comes as the
arguments of one forced tool, turned into content chunks before anything reads them.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from typing import Generic, TypeVar, cast

from rillet._exceptions import ConfigurationError, OutputRefusedError, OutputValidationError
from rillet.output._parser import InvalidJSON, JSONStreamParser, OutputEvent
from rillet.output._partial import PartialBuilder
from rillet.output._spec import OutputSpec
from rillet.protocol import (
    ContentChunk,
    FinishReason,
    LLMRequest,
    LLMResponse,
    StopChunk,
    StreamChunk,
    ToolCallChunk,
    ToolCallEndChunk,
    ToolCallStartChunk,
    ToolDefinition,
)
from rillet.streaming import StreamingLLMResponse

__all__ = [
    "StructuredResponse",
    "StructuredStream",
    "tool_output_batches",
    "tool_output_request",
]

T = TypeVar("T")


class StructuredResponse(LLMResponse, Generic[T]):
    """An ``LLMResponse`` with ``output``: the validated value of the type asked for."""

    output: T


class StructuredStream(StreamingLLMResponse, Generic[T]):
    """See the module docstring."""

    def __init__(
        self, spec: OutputSpec[T], *, batches: AsyncIterator[Sequence[StreamChunk]]
    ) -> None:
        super().__init__(batches=batches, keep_text=True)
        self.spec = spec
        self._parser: JSONStreamParser | None = None
        self._builder: PartialBuilder | None = None
        self._queued: list[OutputEvent] = []
        self._parse_failure: InvalidJSON | None = None
        """Why the text is not JSON, once found; nothing is parsed after it."""

    # -- the incremental view --------------------------------------------------------------

    @property
    def partial_output(self) -> T | None:
        """The typed partial value so far (``None`` before any of it arrived): fields not yet
        seen are missing, a string shows the text received, a number shows once whole. It is
        one value grown in place; ``rillet.output.completed(obj, field)`` says what is whole.
        """
        builder = self._start()
        return cast("T | None", builder.value)

    async def output_events(self) -> AsyncGenerator[OutputEvent, None]:
        """The output's events as its JSON arrives, reading the stream (chunks are added to
        ``response`` as they pass). Ends with the stream; an output that is not JSON raises
        ``OutputValidationError`` with everything that arrived, a refusal
        ``OutputRefusedError``."""
        self._start()
        while True:
            while self._queued:
                queued, self._queued = self._queued, []
                for event in queued:
                    yield event
            try:
                await self.__anext__()
            except StopAsyncIteration:
                break
        refused = refusal_error(self._accumulator.snapshot())
        if refused is not None:
            raise refused
        self._close_parser()
        for event in self._queued:
            yield event
        self._queued = []
        if self._parse_failure is not None:
            raise self._invalid(self._parse_failure)

    def _start(self) -> PartialBuilder:
        if self._builder is None:
            self._parser = JSONStreamParser()
            self._builder = PartialBuilder(self.spec.target)
            text = self._accumulator.snapshot().text
            if text:
                self._feed(text)
            add = self._accumulator.add

            def add_and_parse(chunk: StreamChunk) -> StreamChunk:
                added = add(chunk)  # first, so that an error's text holds this chunk too
                if added.type == "content" and added.text and not added.refusal:
                    self._feed(added.text)
                return added

            self._add = add_and_parse
        return self._builder

    def _feed(self, text: str) -> None:
        self._parse(lambda parser: parser.feed(text))

    def _close_parser(self) -> None:
        self._parse(JSONStreamParser.close)

    def _parse(self, step: Callable[[JSONStreamParser], list[OutputEvent]]) -> None:
        """One parser step (a delta, or the end); its events go to the partial value and the
        queue. Text that is not JSON stops the parsing and is kept for the end."""
        if self._parser is None or self._builder is None or self._parse_failure is not None:
            return
        try:
            events = self.spec.unwrap(step(self._parser))
        except InvalidJSON as error:
            self._parse_failure = error
            return
        self._builder.apply(events)
        self._queued += events

    def _invalid(self, error: InvalidJSON) -> OutputValidationError:
        response = self._accumulator.snapshot()
        return OutputValidationError(
            f"the output is not JSON: {error}",
            raw_text=response.text or "",
            errors=[{"type": "json_invalid", "loc": (), "msg": str(error)}],
            partial=response,
        )

    # -- the final value -------------------------------------------------------------------

    async def get_response(self) -> StructuredResponse[T]:
        """Read the rest of the stream; the final response with its validated ``output``.
        An output that does not fit raises ``OutputValidationError``, a refusal
        ``OutputRefusedError`` (``partial`` holds the response)."""
        response = await super().get_response()
        refused = refusal_error(response)
        if refused is not None:
            raise refused
        value = self.spec.parse(response.text or "", partial=response)
        fields = {name: getattr(response, name) for name in LLMResponse.model_fields}
        return cast(
            "StructuredResponse[T]",
            StructuredResponse.model_construct(
                _fields_set={*response.model_fields_set, "output"}, output=value, **fields
            ),
        )

    async def get_output(self) -> T:
        """Read the rest of the stream; the validated output."""
        return (await self.get_response()).output


def refusal_error(response: LLMResponse) -> OutputRefusedError | None:
    """The error a refused ``response`` ends in: refusal text, or a ``refusal`` stop filtered
    as content (Anthropic's, whose words are the text so far); ``None`` when it answered."""
    if response.refusal is not None:
        words = response.refusal
    elif (
        response.finish_reason == FinishReason.content_filter
        and response.provider_finish_reason == "refusal"
    ):
        words = response.text or ""
    else:
        return None
    said = f": {words[:200]!r}" if words else " without saying why"
    return OutputRefusedError(
        f"the model refused to give the output{said}", refusal=words, partial=response
    )


def tool_output_request(request: LLMRequest) -> LLMRequest:
    """``request`` asking for its output as the arguments of one forced tool: the tool named
    after the output, whose parameters are its schema, and no ``output`` left to map."""
    output = request.output
    if output is None:
        return request
    if any(tool.name == output.name for tool in request.tools):
        raise ConfigurationError(
            f"a tool is already named {output.name!r}: give the output another name "
            "(output_name=...) for tool mode"
        )
    if request.tool_choice not in (None, "auto"):
        raise ConfigurationError(
            f"tool_choice={request.tool_choice!r} cannot be kept in tool mode: the output's "
            "own tool is forced"
        )
    tool = ToolDefinition(
        name=output.name,
        description=output.description or "Give the answer as this tool's arguments.",
        parameters=output.json_schema,
    )
    return request.model_copy(
        update={"tools": [*request.tools, tool], "tool_choice": output.name, "output": None}
    )


async def tool_output_batches(
    batches: AsyncIterator[Sequence[StreamChunk]], name: str
) -> AsyncGenerator[list[StreamChunk], None]:
    """``batches`` with the calls of the tool ``name`` turned into content: its argument text
    becomes content deltas, its start and end go, and a ``tool_calls`` finish becomes
    ``stop`` (the provider's own reason kept)."""
    calls: set[int | str | None] = set()
    try:
        async for batch in batches:
            out: list[StreamChunk] = []
            for chunk in batch:
                if isinstance(chunk, ToolCallStartChunk) and chunk.name == name:
                    calls.add(chunk.index if chunk.index is not None else chunk.id)
                elif isinstance(chunk, ToolCallChunk | ToolCallEndChunk) and _key(chunk) in calls:
                    if isinstance(chunk, ToolCallChunk) and chunk.arguments_delta:
                        out.append(ContentChunk(text=chunk.arguments_delta))
                elif isinstance(chunk, StopChunk) and calls:
                    out.append(_as_stop(chunk))
                else:
                    out.append(chunk)
            yield out
    finally:
        aclose = getattr(batches, "aclose", None)
        if aclose is not None:
            await aclose()


def _key(chunk: ToolCallChunk | ToolCallEndChunk) -> int | str | None:
    return chunk.index if chunk.index is not None else chunk.id


def _as_stop(chunk: StopChunk) -> StopChunk:
    if chunk.finish_reason != FinishReason.tool_calls:
        return chunk
    return chunk.model_copy(update={"finish_reason": FinishReason.stop})

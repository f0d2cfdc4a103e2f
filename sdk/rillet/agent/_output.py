"""A run's structured output (``RuntimeBuilder.with_output``): how each turn asks for it, how
its pieces are followed as they stream, and how the final answer is read.

Two modes, chosen once per runtime:

- **native** (``mode="native"``, or ``auto`` with an adapter that has it): every turn's request
  carries the output format next to the tools; OpenAI, Anthropic and Gemini accept both at once,
  so the model still calls tools, and the turn that calls none answers with the JSON as its text.
- **tool**: the output is one more tool, whose arguments are the answer; ``tool_choice`` becomes
  ``required`` (the output's own tool's name when it is the only tool), so every turn calls a
  tool, and the turn that calls the output tool ends the run. Its other calls that turn are not
  run; each call still gets a result, so that ``result.messages`` stays a valid conversation.

The value is validated from the whole text (``OutputSpec.parse``); what does not fit is an
``OutputValidationError``, the run's error.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rillet._exceptions import ConfigurationError, OutputValidationError
from rillet.output._parser import InvalidJSON, JSONStreamParser, OutputEvent
from rillet.output._spec import OutputSpec
from rillet.protocol import (
    LLMRequest,
    LLMResponse,
    StreamChunk,
    ToolCall,
    ToolCallChunk,
    ToolCallStartChunk,
    ToolDefinition,
    ToolMessage,
)

__all__ = ["FinalOutput", "RunOutput", "TurnOutput", "event_fields"]

OUTPUT_RECEIVED = "The answer was received."
NOT_RUN = "Not run: the answer was already given."


@dataclass(frozen=True)
class FinalOutput:
    """The run's answer: the validated value, the JSON text it came from, and (tool mode) the
    results that close the turn's calls."""

    value: Any
    text: str
    tool_messages: list[ToolMessage]


class RunOutput:
    """The output of every run of one runtime, in native or tool mode (module docstring)."""

    def __init__(
        self,
        spec: OutputSpec[Any],
        *,
        native_output: bool,
        provider: str,
        tool_names: Sequence[str],
        request_fields: Mapping[str, Any],
    ) -> None:
        mode = spec.format.mode.value
        if mode == "native" and not native_output:
            raise ConfigurationError(
                f"{provider} has no native structured output: use with_output(..., "
                "mode='tool') or 'auto'"
            )
        self.spec = spec
        self.native = mode == "native" or (mode == "auto" and native_output)
        self._tool_choice: str | None = None
        if not self.native:
            if spec.name in tool_names:
                raise ConfigurationError(
                    f"a tool is already named {spec.name!r}: give the output another name "
                    "(with_output(..., name=...)) for tool mode"
                )
            choice = request_fields.get("tool_choice")
            if choice not in (None, "auto", "required"):
                raise ConfigurationError(
                    f"tool_choice={choice!r} cannot be kept with the output in tool mode: "
                    "every turn must be free to call the output's own tool"
                )
            self._tool_choice = "required" if tool_names else spec.name
            self._tool = ToolDefinition(
                name=spec.name,
                description=spec.format.description
                or "Give the final answer as this tool's arguments.",
                parameters=spec.format.json_schema,
            )

    def request(self, request: LLMRequest) -> LLMRequest:
        """``request`` asking for the output."""
        if self.native:
            return request.model_copy(update={"output": self.spec.format})
        return request.model_copy(
            update={"tools": [*request.tools, self._tool], "tool_choice": self._tool_choice}
        )

    def turn(self) -> TurnOutput:
        """A follower for one turn's stream."""
        return TurnOutput(self.spec, None if self.native else self.spec.name)

    def final(self, response: LLMResponse) -> FinalOutput | None:
        """The answer if ``response`` gives it (None: the turn calls tools, the run goes on).
        An answer that does not fit raises ``OutputValidationError``."""
        if self.native:
            if response.tool_calls:
                return None
            text = response.text or ""
            return FinalOutput(self.spec.parse(text, partial=response), text, [])
        call = next((c for c in response.tool_calls if c.name == self.spec.name), None)
        if call is None:
            if response.tool_calls:
                return None
            raise OutputValidationError(
                f"the model answered without calling the output's tool {self.spec.name!r}",
                raw_text=response.text or "",
                errors=[{"type": "missing", "loc": (), "msg": "no output tool call"}],
                partial=response,
            )
        text = call.raw_arguments or json.dumps(call.arguments)
        value = self.spec.parse(text, partial=response)
        return FinalOutput(
            value, text, [_closing_result(c, c is call) for c in response.tool_calls]
        )


class TurnOutput:
    """Follows one turn's output as it streams: content text (native) or the output tool's
    argument text (tool mode) through the incremental parser, as ``OutputEvent`` values at
    the output's own paths. Text that is not JSON stops it quietly: the turn may still call
    tools, and the final answer is judged from the whole text."""

    def __init__(self, spec: OutputSpec[Any], tool_name: str | None) -> None:
        self._spec = spec
        self._tool_name = tool_name
        self._parser = JSONStreamParser()
        self._call: int | str | None = None
        self._broken = False

    def on_chunk(self, chunk: StreamChunk) -> list[OutputEvent]:
        """The events ``chunk`` completes."""
        if self._tool_name is None:
            return self.feed(chunk.text) if chunk.type == "content" and chunk.text else []
        if isinstance(chunk, ToolCallStartChunk):
            if chunk.name == self._tool_name and self._call is None:
                self._call = chunk.index if chunk.index is not None else chunk.id
        elif isinstance(chunk, ToolCallChunk) and self._call is not None and chunk.arguments_delta:
            key = chunk.index if chunk.index is not None else chunk.id
            if key == self._call:
                return self.feed(chunk.arguments_delta)
        return []

    def feed(self, text: str) -> list[OutputEvent]:
        if self._broken:
            return []
        try:
            return self._spec.unwrap(self._parser.feed(text))
        except InvalidJSON:
            self._broken = True
            return []

    def close(self) -> list[OutputEvent]:
        """The events held back until the end (a number at the root)."""
        if self._broken:
            return []
        try:
            return self._spec.unwrap(self._parser.close())
        except InvalidJSON:  # IncompleteJSON among them: the final parse reports it
            self._broken = True
            return []


def event_fields(event: OutputEvent) -> dict[str, Any]:
    """An ``AGENT_OUTPUT`` event's fields. A container that has just opened is the parser's
    live one, which grows as parsing goes on: the event gets an empty one of its own."""
    value = event.value
    if not event.done and isinstance(value, dict | list):
        value = type(value)()
    return {"path": list(event.path), "value": value, "done": event.done}


def _closing_result(call: ToolCall, is_output: bool) -> ToolMessage:
    return ToolMessage(
        tool_call_id=call.id,
        name=call.name,
        content=OUTPUT_RECEIVED if is_output else NOT_RUN,
        is_error=not is_output,
    )

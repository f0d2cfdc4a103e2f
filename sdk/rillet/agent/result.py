"""What a run gives back: an ``AgentResult``, or ``MaxStepsExceededError`` carrying one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, cast

from typing_extensions import TypeVar

from rillet._exceptions import RilletError
from rillet.protocol import LLMResponse, Message, Usage

__all__ = ["AgentResult", "MaxStepsExceededError", "OutputT", "total_usage"]

OutputT = TypeVar("OutputT", default=None)
"""The type of a run's structured output (``RuntimeBuilder.with_output``); None without one."""


@dataclass
class AgentResult(Generic[OutputT]):
    """The outcome of one run.

    ``response`` is the model's last response (the answer); ``messages`` the whole conversation:
    what was given (system prompt first, when the runtime has one), then each model turn as an
    ``AssistantMessage`` (text, reasoning blocks with their signatures, tool calls) followed by
    one ``ToolMessage`` per tool call. Pass ``messages`` plus a new user message to ``run`` to
    go on with the conversation.

    ``output`` is the validated structured output of a runtime built ``with_output(X)`` (an
    ``X``; typed as such: ``AgentResult[X]``), None without one.
    """

    run_id: str
    response: LLMResponse
    messages: list[Message]
    responses: list[LLMResponse] = field(default_factory=list)
    """Every turn's response, in order; the last one is ``response``."""
    output: OutputT = cast(Any, None)  # noqa: RUF009  (None is OutputT's default)
    """The run's structured output, validated (``with_output``); None without one."""

    @property
    def steps(self) -> int:
        """How many model turns the run took."""
        return len(self.responses)

    @property
    def usage(self) -> Usage | None:
        """Token usage summed over the turns (None when no turn reported any)."""
        return total_usage(self.responses)


class MaxStepsExceededError(RilletError):
    """The model still asked for tools after ``max_steps`` turns.

    The tool calls of that last turn are not run (their results could not be sent back).
    ``result`` holds the run so far: ``result.response`` is the last response (with those tool
    calls), and ``result.messages`` ends with the assistant message that asked for them.
    """

    def __init__(self, max_steps: int, result: AgentResult[Any]) -> None:
        calls = ", ".join(call.name for call in result.response.tool_calls)
        super().__init__(
            f"the model still called tools ({calls}) after max_steps={max_steps} turns",
            partial=result.response,
            retryable=False,
        )
        self.max_steps = max_steps
        self.result = result


def total_usage(responses: Iterable[LLMResponse]) -> Usage | None:
    """The sum of the responses' usage; an optional count is summed where any turn has it."""
    usages = [r.usage for r in responses if r.usage is not None]
    if not usages:
        return None

    def optional_sum(values: list[int | None]) -> int | None:
        present = [v for v in values if v is not None]
        return sum(present) if present else None

    return Usage(
        input_tokens=sum(u.input_tokens for u in usages),
        output_tokens=sum(u.output_tokens for u in usages),
        cached_input_tokens=optional_sum([u.cached_input_tokens for u in usages]),
        cache_creation_input_tokens=optional_sum([u.cache_creation_input_tokens for u in usages]),
        reasoning_tokens=optional_sum([u.reasoning_tokens for u in usages]),
        total_tokens=optional_sum([u.total_tokens for u in usages]),
    )

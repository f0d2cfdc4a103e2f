"""Strategies: how a run turns model responses and tool calls into the next request.

``ToolLoopStrategy`` is the default. Each turn it streams the model's answer, emitting every
chunk as an ``AGENT_STREAM_CHUNK`` event as it arrives (``stream=False`` uses
``LLMClient.call`` instead: the same turn and tool events, no chunk events). When the turn asks
for tools, it runs them all at once (one task per call), appends the ``AssistantMessage`` (text,
reasoning blocks with their signatures, tool calls) and one ``ToolMessage`` per call, and goes
on, until a turn calls no tool. A tool that is unknown, gets invalid arguments (not a JSON
object, or not what its schema says) or raises gives the model an error result
(``is_error=True``) instead of ending the run. A turn that still asks for tools at
``max_steps`` ends the run with ``MaxStepsExceededError`` (an ``AGENT_ERROR`` event first).

With a structured output (``RuntimeBuilder.with_output``, see ``rillet.agent._output``) every
turn asks for it, its pieces are ``AGENT_OUTPUT`` events as they stream (for a turn fetched
whole, all at once after it), and the turn that gives the answer ends the run: its value,
validated, is ``result.output``; one that does not fit is an ``OutputValidationError``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Protocol

from rillet._exceptions import InvalidToolArgumentsError
from rillet._tool_arguments import InvalidToolCall
from rillet.agent._output import TurnOutput, event_fields
from rillet.agent.context import RunContext
from rillet.agent.events import (
    AgentOutputEvent,
    AgentStreamChunkEvent,
    AgentToolCallEndEvent,
    AgentToolCallStartEvent,
    AgentTurnEndEvent,
    AgentTurnStartEvent,
)
from rillet.agent.result import AgentResult, MaxStepsExceededError
from rillet.agent.tools import tool_output_text
from rillet.protocol import AssistantMessage, LLMResponse, ToolCall, ToolMessage
from rillet.telemetry import _hooks as _telemetry

__all__ = ["Strategy", "ToolLoopStrategy"]

_log = logging.getLogger("rillet.agent")


class Strategy(Protocol):
    """Runs the turns of one run, emitting turn, chunk and tool events through ``run.emit``.

    The runtime emits the run's first and terminal events around ``execute``.
    """

    @property
    def stream(self) -> bool:
        """Whether model turns are streamed (shown in ``AGENT_RUN_START``)."""
        ...

    async def execute(self, run: RunContext) -> AgentResult[Any]:
        """Run until the model is done; raise to fail the run. With ``run.output`` set, the
        final turn's answer is the structured output (``run.output_value``)."""
        ...


class ToolLoopStrategy:
    """Model turn, tool calls, model turn, ... until a turn calls no tool or ``max_steps``."""

    def __init__(self, *, stream: bool = True) -> None:
        self._stream = stream

    @property
    def stream(self) -> bool:
        return self._stream

    async def execute(self, run: RunContext) -> AgentResult[Any]:
        for step in range(1, run.max_steps + 1):
            run.steps = step
            await run.emit(AgentTurnStartEvent, step=step)
            response, invalid, following = await self._model_turn(run, step)
            run.responses.append(response)
            run.messages.append(
                AssistantMessage(
                    content=response.text,
                    reasoning=response.reasoning_details,
                    tool_calls=response.tool_calls,
                )
            )
            if run.output is not None:
                final = run.output.final(response)
                if final is not None:
                    await self._output_end(run, step, following, final.text)
                    run.output_value, run.output_given = final.value, True
                    run.messages.extend(final.tool_messages)
                    await run.emit(AgentTurnEndEvent, step=step, response=response)
                    return run.result()
            if response.tool_calls and step < run.max_steps:
                run.messages.extend(await self._run_tools(run, step, response.tool_calls, invalid))
            await run.emit(AgentTurnEndEvent, step=step, response=response)
            if not response.tool_calls:
                return run.result()
        raise MaxStepsExceededError(run.max_steps, run.result())

    async def _model_turn(
        self, run: RunContext, step: int
    ) -> tuple[LLMResponse, dict[str, InvalidToolCall], TurnOutput | None]:
        """The turn's response, its calls whose arguments are not an object (by id), and what
        followed its structured output as it streamed."""
        request = run.build_request()
        following = run.output.turn() if run.output is not None and self._stream else None
        try:
            if not self._stream:
                if run.output is not None:  # read whole; the answer is judged after the turn
                    async with run.client.stream(request) as whole:
                        async for _ in whole:
                            pass
                        return whole.response, {}, None
                return await run.client.call(request), {}, None
            async with run.client.stream(request) as stream:
                try:
                    async for chunk in stream:
                        await run.emit(AgentStreamChunkEvent, step=step, chunk=chunk)
                        if following is not None:
                            for event in following.on_chunk(chunk):
                                await run.emit(AgentOutputEvent, step=step, **event_fields(event))
                except BaseException:
                    run.partial = stream.response
                    raise
                return stream.response, {}, following
        except InvalidToolArgumentsError as error:
            # The turn itself is complete; the bad calls get an error result, the rest run.
            if error.partial is None:
                raise
            run.partial = None
            return error.partial, {call.id: call for call in error.invalid_calls}, following

    async def _output_end(
        self, run: RunContext, step: int, following: TurnOutput | None, text: str
    ) -> None:
        """The final turn's last output events: those held to the end of a streamed turn, or
        all of them for a turn fetched whole."""
        if following is None and run.output is not None:
            following = run.output.turn()
            events = [*following.feed(text), *following.close()]
        else:
            events = following.close() if following is not None else []
        for event in events:
            await run.emit(AgentOutputEvent, step=step, **event_fields(event))

    async def _run_tools(
        self,
        run: RunContext,
        step: int,
        calls: list[ToolCall],
        invalid: dict[str, InvalidToolCall],
    ) -> list[ToolMessage]:
        """Run the turn's calls concurrently; their results in the calls' order."""
        for call in calls:
            await run.emit(
                AgentToolCallStartEvent,
                step=step,
                tool_call_id=call.id,
                name=call.name,
                arguments=call.arguments,
            )
        tasks = [
            asyncio.create_task(self._call(run, step, call, invalid.get(call.id)), name=call.name)
            for call in calls
        ]
        try:
            return list(await asyncio.gather(*tasks))
        except BaseException:  # cancelled: stop every call and wait until they have stopped
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise

    async def _call(
        self, run: RunContext, step: int, call: ToolCall, invalid: InvalidToolCall | None
    ) -> ToolMessage:
        started = time.perf_counter()
        tool = run.tools.get(call.name)
        try:
            if tool is None:
                known = ", ".join(sorted(run.tools)) or "none"
                raise _CallRefused(f"unknown tool {call.name!r}; the tools are: {known}")
            if invalid is not None:
                raise _CallRefused(
                    f"the arguments of {call.name!r} are {invalid.reason}; the tool needs a "
                    f"JSON object. The arguments were: {call.raw_arguments}"
                )
            arguments, telemetry = dict(call.arguments), _telemetry.agent
            output = await (
                tool.run(arguments)
                if telemetry is None
                else telemetry.execute_tool(tool, call, arguments)
            )
            text, is_error = tool_output_text(output), False
        except (_CallRefused, InvalidToolArgumentsError) as refused:
            text, is_error = str(refused), True
        except Exception as error:
            _log.info("tool %r raised %s", call.name, type(error).__name__, exc_info=True)
            text, is_error = f"{type(error).__name__}: {error}", True
        await run.emit(
            AgentToolCallEndEvent,
            step=step,
            tool_call_id=call.id,
            name=call.name,
            duration=time.perf_counter() - started,
            is_error=is_error,
            result=None if is_error else text,
            error=text if is_error else None,
        )
        return ToolMessage(tool_call_id=call.id, name=call.name, content=text, is_error=is_error)


class _CallRefused(Exception):
    """A call that cannot be made (unknown tool, arguments not an object)."""

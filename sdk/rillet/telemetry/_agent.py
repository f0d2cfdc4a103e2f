"""Agent runs as ``invoke_agent`` spans, tool calls as ``execute_tool`` spans (kind INTERNAL).

A run's span is the current span while its turns go on, so each turn's ``chat`` span and each
tool call's ``execute_tool`` span (tool calls run in tasks, which inherit the context) are its
children, and spans a tool makes are children of its ``execute_tool`` span. A run or a tool
call that raises ends its span with ``error.type`` (the exception's class name) and status
ERROR; one that is cancelled, with ``error.type`` ``cancelled``. A call the strategy refuses
before running the tool (an unknown tool, arguments that are not an object) has no span.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer

from rillet.agent.context import RunContext
from rillet.agent.result import AgentResult, total_usage
from rillet.agent.runtime import AgentRuntime
from rillet.agent.tools import AgentTool, tool_output_text
from rillet.protocol import ToolCall
from rillet.telemetry import _semconv as sc
from rillet.telemetry._attributes import (
    Attributes,
    finish_reason,
    provider_name,
    request_attributes,
    usage_attributes,
)
from rillet.telemetry._content import input_attributes, output_attributes, to_json

__all__ = ["AgentTelemetry"]


class AgentTelemetry:
    """The agent hook."""

    def __init__(self, tracer: Tracer, *, capture_content: bool) -> None:
        self._tracer = tracer
        self._capture = capture_content

    async def invoke_agent(
        self,
        runtime: AgentRuntime[Any],
        run: RunContext,
        execute: Callable[[], Awaitable[AgentResult]],
    ) -> AgentResult:
        provider = provider_name(runtime.client.provider)
        request = run.build_request()
        attributes = request_attributes(sc.INVOKE_AGENT, provider, request)
        name = sc.INVOKE_AGENT
        if runtime.name:
            attributes[sc.AGENT_NAME] = runtime.name
            name = f"{sc.INVOKE_AGENT} {runtime.name}"
        if self._capture:
            attributes.update(input_attributes(provider, request.messages))
        span = self._tracer.start_span(name, kind=SpanKind.INTERNAL, attributes=attributes)
        try:
            with _current(span):
                result = await execute()
        except BaseException as error:
            _fail(span, error)
            raise
        finally:
            self._end_run(span, run, provider)
        return result

    def _end_run(self, span: Span, run: RunContext, provider: str) -> None:
        attributes: Attributes = {}
        usage = total_usage(run.responses)
        if usage is not None:
            attributes.update(usage_attributes(provider, usage))
        last = run.responses[-1] if run.responses else None
        if last is not None:
            reason = finish_reason(last)
            if reason is not None:
                attributes[sc.RESPONSE_FINISH_REASONS] = [reason]
            if self._capture:
                attributes.update(output_attributes(last))
        span.set_attributes(attributes)
        span.end()

    async def execute_tool(
        self, tool: AgentTool, call: ToolCall, arguments: dict[str, Any]
    ) -> object:
        attributes: Attributes = {
            sc.OPERATION_NAME: sc.EXECUTE_TOOL,
            sc.TOOL_NAME: call.name,
            sc.TOOL_TYPE: sc.TOOL_TYPE_FUNCTION,
        }
        if call.id:
            attributes[sc.TOOL_CALL_ID] = call.id
        if tool.description:
            attributes[sc.TOOL_DESCRIPTION] = tool.description
        if self._capture:
            attributes[sc.TOOL_CALL_ARGUMENTS] = to_json(arguments)
        span = self._tracer.start_span(
            f"{sc.EXECUTE_TOOL} {call.name}", kind=SpanKind.INTERNAL, attributes=attributes
        )
        try:
            with _current(span):
                output = await tool.run(arguments)
            if self._capture:
                span.set_attribute(sc.TOOL_CALL_RESULT, tool_output_text(output))
        except BaseException as error:
            _fail(span, error)
            raise
        finally:
            span.end()
        return output


def _current(span: Span) -> AbstractContextManager[Span]:
    """``span`` as the current span; ending it and recording errors are left to the caller."""
    return trace.use_span(
        span, end_on_exit=False, record_exception=False, set_status_on_exception=False
    )


def _fail(span: Span, error: BaseException) -> None:
    if isinstance(error, asyncio.CancelledError):
        span.set_attribute(sc.ERROR_TYPE, sc.CANCELLED)
        span.set_status(Status(StatusCode.ERROR, "cancelled"))
    else:
        span.set_attribute(sc.ERROR_TYPE, type(error).__name__)
        span.set_status(Status(StatusCode.ERROR, str(error)))

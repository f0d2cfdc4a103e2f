"""The slots through which the client and the agent layer reach telemetry: None while it is off.

``LLMClient.stream`` reads ``chat`` once per call; ``AgentRuntime`` and ``ToolLoopStrategy``
read ``agent`` once per run and once per tool call. While a slot is None that read is all they
pay. The hooks are plain protocols: only ``rillet.telemetry``'s own modules import
OpenTelemetry, and only once ``instrument()`` has filled the slots.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from rillet.adapter import ProviderAdapter
    from rillet.agent.context import RunContext
    from rillet.agent.result import AgentResult
    from rillet.agent.runtime import AgentRuntime
    from rillet.agent.tools import AgentTool
    from rillet.output._spec import OutputSpec
    from rillet.output._stream import StructuredStream
    from rillet.protocol import LLMRequest, StreamChunk, ToolCall
    from rillet.streaming import StreamingLLMResponse

__all__ = ["AgentHook", "ChatHook", "agent", "chat"]

T = TypeVar("T")


class ChatHook(Protocol):
    def stream(
        self,
        adapter: ProviderAdapter,
        request: LLMRequest,
        batches: AsyncIterator[Sequence[StreamChunk]],
        keep_text: bool,
    ) -> StreamingLLMResponse:
        """The call's stream, observed from the request to its end."""
        ...

    def structured_stream(
        self,
        adapter: ProviderAdapter,
        request: LLMRequest,
        batches: AsyncIterator[Sequence[StreamChunk]],
        spec: OutputSpec[T],
    ) -> StructuredStream[T]:
        """A structured-output call's stream, observed as ``stream`` observes a plain one."""
        ...


class AgentHook(Protocol):
    def invoke_agent(
        self,
        runtime: AgentRuntime[Any],
        run: RunContext,
        execute: Callable[[], Awaitable[AgentResult]],
    ) -> Awaitable[AgentResult]:
        """``execute()`` (the run's turns), observed."""
        ...

    def execute_tool(
        self, tool: AgentTool, call: ToolCall, arguments: dict[str, Any]
    ) -> Awaitable[object]:
        """``tool.run(arguments)``, observed."""
        ...


chat: ChatHook | None = None
agent: AgentHook | None = None

"""The agent layer: a model, tools, and a stream of typed events from every run.

    from rillet import LLMClient, MockAdapter
    from rillet.agent import AgentEventType, RuntimeBuilder

    def get_weather(city: str) -> str:
        '''The current weather in a city.'''
        return "18 °C, sunny"

    def show(event):
        if event.type == AgentEventType.AGENT_STREAM_CHUNK and event.chunk.type == "content":
            print(event.chunk.text, end="")

    runtime = RuntimeBuilder().with_client(client).with_tools(get_weather).with_on_event(show).build()
    result = await runtime.run("Weather in Paris?")   # result.response, result.messages

Modules: ``events`` (the event models, generated from ``schema/``), ``tools`` (functions and
objects as tools), ``strategy`` (the turn loop), ``executor`` (delivering events to callbacks),
``runtime`` (``AgentRuntime``, ``RuntimeBuilder``), ``sync`` (``SyncRuntime``, for blocking
code), ``result`` (``AgentResult``).

``CallbackOptions``, ``CallbackPolicy``'s earlier name, still imports (with a
``DeprecationWarning``) until the next release.
"""

from typing import TYPE_CHECKING

from rillet._deprecation import renamed_attributes
from rillet.agent.events import (
    AgentCancelledEvent,
    AgentErrorEvent,
    AgentEvent,
    AgentEventType,
    AgentOutputEvent,
    AgentRunEndEvent,
    AgentRunStartEvent,
    AgentStreamChunkEvent,
    AgentToolCallEndEvent,
    AgentToolCallStartEvent,
    AgentTurnEndEvent,
    AgentTurnStartEvent,
    parse_event,
)
from rillet.agent.executor import CallbackPolicy, EventCallback
from rillet.agent.result import AgentResult, MaxStepsExceededError
from rillet.agent.runtime import AgentEventStream, AgentRuntime, RunInput, RuntimeBuilder
from rillet.agent.strategy import Strategy, ToolLoopStrategy
from rillet.agent.sync import SyncAgentEventStream, SyncRuntime
from rillet.agent.tools import AgentTool, Tool, tool

__all__ = [
    "AgentCancelledEvent",
    "AgentErrorEvent",
    "AgentEvent",
    "AgentEventStream",
    "AgentEventType",
    "AgentOutputEvent",
    "AgentResult",
    "AgentRunEndEvent",
    "AgentRunStartEvent",
    "AgentRuntime",
    "AgentStreamChunkEvent",
    "AgentTool",
    "AgentToolCallEndEvent",
    "AgentToolCallStartEvent",
    "AgentTurnEndEvent",
    "AgentTurnStartEvent",
    "CallbackPolicy",
    "EventCallback",
    "MaxStepsExceededError",
    "RunInput",
    "RuntimeBuilder",
    "Strategy",
    "SyncAgentEventStream",
    "SyncRuntime",
    "Tool",
    "ToolLoopStrategy",
    "parse_event",
    "tool",
]

if TYPE_CHECKING:
    CallbackOptions = CallbackPolicy  # the deprecated name, for type checkers until it goes
else:
    __getattr__ = renamed_attributes(
        __name__, {"CallbackOptions": ("CallbackPolicy", CallbackPolicy)}
    )

"""rillet: one typed stream protocol for every LLM provider.

from rillet import LLMClient, MockAdapter

async with LLMClient(MockAdapter("Hello!")) as client:
    async with client.stream("Hi") as stream:
        async for chunk in stream:
            ...
    print(stream.response.text)
"""

from typing import TYPE_CHECKING

from rillet._deprecation import renamed_attributes
from rillet._exceptions import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    ConnectTimeoutError,
    ContentBlockedError,
    EventTooLargeError,
    HTTPProtocolError,
    IdleTimeoutError,
    InternalServerError,
    InvalidToolArgumentsError,
    MalformedStreamError,
    MissingAPIKeyError,
    NotFoundError,
    OverloadedError,
    PermissionDeniedError,
    ProviderStreamError,
    RateLimitError,
    RequestTooLargeError,
    RequestValidationError,
    RilletError,
    StreamInterruptedError,
    TotalTimeoutError,
    TransportError,
    UnprocessableEntityError,
)
from rillet._tool_arguments import InvalidToolCall
from rillet._version import __version__
from rillet.accumulator import ResponseAccumulator
from rillet.adapter import CallSettings, ChunkAdapter, ProviderAdapter
from rillet.agent import (
    AgentCancelledEvent,
    AgentErrorEvent,
    AgentEvent,
    AgentEventStream,
    AgentEventType,
    AgentResult,
    AgentRunEndEvent,
    AgentRunStartEvent,
    AgentRuntime,
    AgentStreamChunkEvent,
    AgentTool,
    AgentToolCallEndEvent,
    AgentToolCallStartEvent,
    AgentTurnEndEvent,
    AgentTurnStartEvent,
    MaxStepsExceededError,
    RuntimeBuilder,
    SyncRuntime,
    Tool,
    ToolLoopStrategy,
    tool,
)
from rillet.client import LLMClient
from rillet.mock import MockAdapter, MockResponse
from rillet.protocol import (
    AssistantMessage,
    ContentChunk,
    ErrorChunk,
    ErrorCode,
    FinishReason,
    LLMRequest,
    LLMResponse,
    Message,
    RateLimit,
    RateLimitQuota,
    ReasoningBlock,
    ReasoningChunk,
    StartChunk,
    StopChunk,
    StreamChunk,
    StreamChunkType,
    SystemMessage,
    ToolCall,
    ToolCallChunk,
    ToolCallEndChunk,
    ToolCallStartChunk,
    ToolDefinition,
    ToolMessage,
    Usage,
    UserMessage,
)
from rillet.registry import AdapterConfig
from rillet.streaming import StreamingLLMResponse
from rillet.sync import SyncLLMClient, SyncStream
from rillet.telemetry import instrument, uninstrument
from rillet.timeout import Timeout

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AdapterConfig",
    "AgentCancelledEvent",
    "AgentErrorEvent",
    "AgentEvent",
    "AgentEventStream",
    "AgentEventType",
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
    "AssistantMessage",
    "AuthenticationError",
    "BadRequestError",
    "CallSettings",
    "ChunkAdapter",
    "ConfigurationError",
    "ConflictError",
    "ConnectTimeoutError",
    "ContentBlockedError",
    "ContentChunk",
    "ErrorChunk",
    "ErrorCode",
    "EventTooLargeError",
    "FinishReason",
    "HTTPProtocolError",
    "IdleTimeoutError",
    "InternalServerError",
    "InvalidToolArgumentsError",
    "InvalidToolCall",
    "LLMClient",
    "LLMRequest",
    "LLMResponse",
    "MalformedStreamError",
    "MaxStepsExceededError",
    "Message",
    "MissingAPIKeyError",
    "MockAdapter",
    "MockResponse",
    "NotFoundError",
    "OverloadedError",
    "PermissionDeniedError",
    "ProviderAdapter",
    "ProviderStreamError",
    "RateLimit",
    "RateLimitError",
    "RateLimitQuota",
    "ReasoningBlock",
    "ReasoningChunk",
    "RequestTooLargeError",
    "RequestValidationError",
    "ResponseAccumulator",
    "RilletError",
    "RuntimeBuilder",
    "StartChunk",
    "StopChunk",
    "StreamChunk",
    "StreamChunkType",
    "StreamInterruptedError",
    "StreamingLLMResponse",
    "SyncLLMClient",
    "SyncRuntime",
    "SyncStream",
    "SystemMessage",
    "Timeout",
    "Tool",
    "ToolCall",
    "ToolCallChunk",
    "ToolCallEndChunk",
    "ToolCallStartChunk",
    "ToolDefinition",
    "ToolLoopStrategy",
    "ToolMessage",
    "TotalTimeoutError",
    "TransportError",
    "UnprocessableEntityError",
    "Usage",
    "UserMessage",
    "__version__",
    "instrument",
    "tool",
    "uninstrument",
]


if TYPE_CHECKING:
    CallOptions = CallSettings  # the deprecated name, for type checkers until it goes
else:
    __getattr__ = renamed_attributes(__name__, {"CallOptions": ("CallSettings", CallSettings)})

"""rillet: one typed stream protocol for every LLM provider.

from rillet import LLMClient, MockAdapter

async with LLMClient(MockAdapter("Hello!")) as client:
    async with client.stream("Hi") as stream:
        async for chunk in stream:
            ...
    print(stream.response.text)
"""

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
    RilletError,
    StreamInterruptedError,
    TotalTimeoutError,
    TransportError,
    UnprocessableEntityError,
)
from rillet._version import __version__
from rillet.accumulator import ResponseAccumulator
from rillet.adapter import CallOptions, ProviderAdapter
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
from rillet.transport import Timeout

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AdapterConfig",
    "AssistantMessage",
    "AuthenticationError",
    "BadRequestError",
    "CallOptions",
    "ConfigurationError",
    "ConflictError",
    "ConnectTimeoutError",
    "ContentBlockedError",
    "ContentChunk",
    "ErrorChunk",
    "ErrorCode",
    "EventTooLargeError",
    "FinishReason",
    "IdleTimeoutError",
    "InternalServerError",
    "InvalidToolArgumentsError",
    "LLMClient",
    "LLMRequest",
    "LLMResponse",
    "MalformedStreamError",
    "Message",
    "MissingAPIKeyError",
    "MockAdapter",
    "MockResponse",
    "NotFoundError",
    "OverloadedError",
    "PermissionDeniedError",
    "ProviderAdapter",
    "ProviderStreamError",
    "RateLimitError",
    "ReasoningBlock",
    "ReasoningChunk",
    "RequestTooLargeError",
    "ResponseAccumulator",
    "RilletError",
    "StartChunk",
    "StopChunk",
    "StreamChunk",
    "StreamChunkType",
    "StreamInterruptedError",
    "StreamingLLMResponse",
    "SystemMessage",
    "Timeout",
    "ToolCall",
    "ToolCallChunk",
    "ToolCallEndChunk",
    "ToolCallStartChunk",
    "ToolDefinition",
    "ToolMessage",
    "TotalTimeoutError",
    "TransportError",
    "UnprocessableEntityError",
    "Usage",
    "UserMessage",
    "__version__",
]

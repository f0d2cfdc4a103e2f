"""The provider-neutral protocol: stream chunks, the final response, the request.

Every class here is generated from ``schema/`` (see ``schema/README.md``); this module only
gives them their public names and adds the unions and adapters that users need.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeAlias

from pydantic import Field, TypeAdapter

from rillet._generated.protocol.llm_request_schema import (
    AssistantMessage,
    ImagePart,
    LLMRequest,
    ReasoningOptions,
    Role,
    SystemMessage,
    TextPart,
    ToolDefinition,
    ToolMessage,
    UserMessage,
)
from rillet._generated.protocol.llm_response_schema import LLMResponse, ReasoningBlock, ToolCall
from rillet._generated.protocol.stream_chunk_schema import (
    ContentChunk,
    ErrorChunk,
    ErrorCode,
    FinishReason,
    ReasoningChunk,
    StartChunk,
    StopChunk,
    StreamChunkType,
    ToolCallChunk,
    ToolCallEndChunk,
    ToolCallStartChunk,
    Usage,
)

__all__ = [
    "TERMINAL_CHUNK_TYPES",
    "AssistantMessage",
    "ContentChunk",
    "ContentPart",
    "ErrorChunk",
    "ErrorCode",
    "FinishReason",
    "ImagePart",
    "LLMRequest",
    "LLMResponse",
    "Message",
    "ReasoningBlock",
    "ReasoningChunk",
    "ReasoningOptions",
    "Role",
    "StartChunk",
    "StopChunk",
    "StreamChunk",
    "StreamChunkType",
    "SystemMessage",
    "TextPart",
    "ToolCall",
    "ToolCallChunk",
    "ToolCallEndChunk",
    "ToolCallStartChunk",
    "ToolDefinition",
    "ToolMessage",
    "Usage",
    "UserMessage",
    "parse_chunk",
    "parse_messages",
]

StreamChunk: TypeAlias = (
    StartChunk
    | ContentChunk
    | ReasoningChunk
    | ToolCallStartChunk
    | ToolCallChunk
    | ToolCallEndChunk
    | StopChunk
    | ErrorChunk
)
"""One chunk of a normalized stream; ``chunk.type`` tells which (a ``StreamChunkType`` value)."""

Message: TypeAlias = SystemMessage | UserMessage | AssistantMessage | ToolMessage
"""One message of a conversation, by ``role``."""

ContentPart: TypeAlias = TextPart | ImagePart
"""A part of a user message."""

TERMINAL_CHUNK_TYPES = frozenset({StreamChunkType.stop.value, StreamChunkType.error.value})
"""The chunk types that end a stream: exactly one of them comes last."""

_CHUNK_ADAPTER: TypeAdapter[StreamChunk] = TypeAdapter(
    Annotated[StreamChunk, Field(discriminator="type")]
)
_MESSAGES_ADAPTER: TypeAdapter[list[Message]] = TypeAdapter(
    list[Annotated[Message, Field(discriminator="role")]]
)


def parse_chunk(data: str | bytes | dict[str, Any]) -> StreamChunk:
    """Validate one chunk from JSON text or a mapping (as written by ``chunk.model_dump``)."""
    if isinstance(data, dict):
        return _CHUNK_ADAPTER.validate_python(data)
    return _CHUNK_ADAPTER.validate_json(data)


def parse_messages(messages: object) -> list[Message]:
    """Validate a conversation given as request models or plain dicts."""
    return _MESSAGES_ADAPTER.validate_python(messages)

"""The provider-neutral protocol: stream chunks, the final response, the request.

Every class here is generated from ``schema/`` (see ``schema/README.md``), and so is the
``StreamChunk`` union; this module only gives them their public names and adds the unions and
adapters that users need. The models are frozen: change one with ``model_copy(update=...)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias, TypeVar

from pydantic import BaseModel, Field, TypeAdapter

from rillet._generated.protocol import stream_chunk_schema
from rillet._generated.protocol.llm_request_schema import (
    AssistantMessage,
    DocumentPart,
    ImagePart,
    LLMRequest,
    OutputFormat,
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
    RateLimit,
    RateLimitQuota,
    ReasoningChunk,
    StartChunk,
    StopChunk,
    StreamChunkType,
    ToolCallChunk,
    ToolCallEndChunk,
    ToolCallStartChunk,
    Usage,
)
from rillet._unions import union_of

__all__ = [
    "TERMINAL_CHUNK_TYPES",
    "AssistantMessage",
    "ContentChunk",
    "ContentPart",
    "DocumentPart",
    "ErrorChunk",
    "ErrorCode",
    "FinishReason",
    "ImagePart",
    "LLMRequest",
    "LLMResponse",
    "Message",
    "OutputFormat",
    "RateLimit",
    "RateLimitQuota",
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

if TYPE_CHECKING:
    StreamChunk: TypeAlias = stream_chunk_schema.StreamChunk
else:
    StreamChunk = union_of(stream_chunk_schema.StreamChunk)
"""One chunk of a normalized stream; ``chunk.type`` tells which (a ``StreamChunkType`` value)."""

Message: TypeAlias = SystemMessage | UserMessage | AssistantMessage | ToolMessage
"""One message of a conversation, by ``role``."""

ContentPart: TypeAlias = TextPart | ImagePart | DocumentPart
"""A part of a user message."""

TERMINAL_CHUNK_TYPES = frozenset({StreamChunkType.stop.value, StreamChunkType.error.value})
"""The chunk types that end a stream: exactly one of them comes last."""

_CHUNK_ADAPTER: TypeAdapter[StreamChunk] = TypeAdapter(stream_chunk_schema.StreamChunk)
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


# -- fast construction of the hot chunks ------------------------------------------------------
#
# A stream is mostly text and argument fragments, and validating a one-field model in
# ``__init__`` costs more than all the rest of the chunk's way through rillet. The adapters build
# these chunks from values their wire models have just validated (a ``str`` is a ``str``), so
# the functions below set the instance's state directly, exactly as pydantic's own validation
# leaves it (the same ``__dict__``, in field order, and the same fields set): the result is
# equal to, and indistinguishable from, ``ContentChunk(text=text)``, frozen like it (the
# descriptors below pass the frozen ``__setattr__`` only while the chunk is built). A value of
# any other type still goes through ``__init__``, and its validation.

_new = object.__new__
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__
_Model = TypeVar("_Model", bound=BaseModel)


def _built(cls: type[_Model], values: dict[str, object], fields_set: set[str]) -> _Model:
    """An instance of ``cls`` in the state validation of ``values`` leaves it, ``fields_set``
    the fields given. (The per-event constructors below inline this: a call per chunk.)"""
    instance = _new(cls)
    _set_dict(instance, values)
    _set_fields_set(instance, fields_set)
    _set_extra(instance, None)
    _set_private(instance, None)
    return instance


def content_chunk(text: str) -> ContentChunk:
    """``ContentChunk(text=text)``."""
    if text.__class__ is not str:
        return ContentChunk(text=text)
    chunk = _new(ContentChunk)
    _set_dict(chunk, {"type": "content", "text": text, "refusal": False})
    _set_fields_set(chunk, {"text"})
    _set_extra(chunk, None)
    _set_private(chunk, None)
    return chunk


def start_chunk(id: str | None, model: str | None, provider: str) -> StartChunk:
    """``StartChunk(id=id, model=model, provider=provider)``: every stream's first chunk."""
    if not (
        (id is None or id.__class__ is str)
        and (model is None or model.__class__ is str)
        and provider.__class__ is str
    ):
        return StartChunk(id=id, model=model, provider=provider)
    return _built(
        StartChunk,
        {
            "type": "start",
            "id": id,
            "model": model,
            "provider": provider,
            "request_id": None,
            "rate_limit": None,
            "headers": None,
        },
        {"id", "model", "provider"},
    )


def start_with(start: StartChunk, fields: Mapping[str, object]) -> StartChunk:
    """``start.model_copy(update=fields)`` (``fields``: the response metadata, of the field
    types), without the ``copy`` module's round trip on the way to a stream's first chunk."""
    chunk = _new(start.__class__)
    _set_dict(chunk, {**start.__dict__, **fields})
    _set_fields_set(chunk, start.__pydantic_fields_set__ | fields.keys())
    _set_extra(chunk, start.__pydantic_extra__)
    private = start.__pydantic_private__
    _set_private(chunk, None if private is None else dict(private))
    return chunk


def rate_limit_quota(
    limit: int | None, remaining: int | None, reset_seconds: float | None, reset: str | None
) -> RateLimitQuota:
    """``RateLimitQuota(limit=..., remaining=..., reset_seconds=..., reset=...)``: every
    response with rate-limit headers builds two or more, on the way to its first chunk."""
    if not (
        (limit is None or limit.__class__ is int)
        and (remaining is None or remaining.__class__ is int)
        and (reset_seconds is None or reset_seconds.__class__ is float)
        and (reset is None or reset.__class__ is str)
    ):
        return RateLimitQuota(
            limit=limit, remaining=remaining, reset_seconds=reset_seconds, reset=reset
        )
    return _built(
        RateLimitQuota,
        {"limit": limit, "remaining": remaining, "reset_seconds": reset_seconds, "reset": reset},
        {"limit", "remaining", "reset_seconds", "reset"},
    )


def rate_limit_with(quotas: Mapping[str, RateLimitQuota], retry_after: float | None) -> RateLimit:
    """``RateLimit(**quotas, retry_after=retry_after)`` (``quotas`` by their field names)."""
    if not (
        _QUOTA_FIELDS.issuperset(quotas)
        and {quota.__class__ for quota in quotas.values()} <= _QUOTA_CLASS
        and (retry_after is None or retry_after.__class__ is float)
    ):
        return RateLimit(**quotas, retry_after=retry_after)
    return _built(
        RateLimit,
        {
            "requests": quotas.get("requests"),
            "tokens": quotas.get("tokens"),
            "input_tokens": quotas.get("input_tokens"),
            "output_tokens": quotas.get("output_tokens"),
            "retry_after": retry_after,
        },
        {*quotas, "retry_after"},
    )


_QUOTA_FIELDS = frozenset({"requests", "tokens", "input_tokens", "output_tokens"})
_QUOTA_CLASS = frozenset({RateLimitQuota})


def reasoning_text_chunk(text: str, index: int, id: str | None = None) -> ReasoningChunk:
    """``ReasoningChunk(text=text, index=index)``, and ``id=id`` when there is one."""
    if (
        text.__class__ is not str
        or index.__class__ is not int
        or not (id is None or id.__class__ is str)
    ):
        return ReasoningChunk(text=text, index=index, id=id)
    chunk = _new(ReasoningChunk)
    _set_dict(
        chunk,
        {
            "type": "reasoning",
            "text": text,
            "index": index,
            "id": id,
            "signature": None,
            "encrypted_content": None,
        },
    )
    _set_fields_set(chunk, {"text", "index"} if id is None else {"text", "index", "id"})
    _set_extra(chunk, None)
    _set_private(chunk, None)
    return chunk


def tool_call_chunk(index: int, arguments_delta: str) -> ToolCallChunk:
    """``ToolCallChunk(index=index, arguments_delta=arguments_delta)``."""
    if index.__class__ is not int or arguments_delta.__class__ is not str:
        return ToolCallChunk(index=index, arguments_delta=arguments_delta)
    chunk = _new(ToolCallChunk)
    _set_dict(
        chunk,
        {"type": "tool_call_chunk", "index": index, "id": None, "arguments_delta": arguments_delta},
    )
    _set_fields_set(chunk, {"index", "arguments_delta"})
    _set_extra(chunk, None)
    _set_private(chunk, None)
    return chunk

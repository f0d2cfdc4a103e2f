"""Tagged views of two generated Anthropic events and of the whole message, for decoding speed.

The generated ``ContentBlockStartEvent`` and ``ContentBlockDeltaEvent`` type their block and
delta as plain unions ending in an ``Unknown*`` catch-all, so pydantic's smart mode validates
the value against every member, failures included, and a text delta pays for every failed
member before the one that fits. These views keep the very same member types and pick the one to validate
from the value's ``type`` (an unknown type goes to the catch-all).

``content_block_delta``, nearly every frame of a stream, is validated into the generated
TypedDicts (``rillet._generated.wire_dicts``): the same schema and checks, without building a
model instance for the event and another for its delta.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Discriminator, Tag, TypeAdapter

from rillet._generated.providers.anthropic_schema import (
    ContentBlockStartEvent,
    Message,
    RedactedThinkingBlock,
    ServerToolUseBlock,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
    UnknownContentBlock,
    WebSearchToolResultBlock,
)
from rillet._generated.wire_dicts.anthropic_schema import (
    CitationsDelta,
    ContentBlockDeltaEvent,
    InputJsonDelta,
    SignatureDelta,
    TextDelta,
    ThinkingDelta,
    UnknownContentBlockDelta,
)
from rillet.providers._mapper import UNKNOWN_TAG, tag_by_type

__all__ = ["BLOCK_DELTA_EVENT", "Block", "BlockStartEvent", "WholeMessage"]

_BLOCK_TYPES = frozenset(
    {
        "text",
        "tool_use",
        "thinking",
        "redacted_thinking",
        "server_tool_use",
        "web_search_tool_result",
    }
)
_DELTA_TYPES = frozenset(
    {"text_delta", "input_json_delta", "thinking_delta", "signature_delta", "citations_delta"}
)


Block = Annotated[
    Annotated[TextBlock, Tag("text")]
    | Annotated[ToolUseBlock, Tag("tool_use")]
    | Annotated[ThinkingBlock, Tag("thinking")]
    | Annotated[RedactedThinkingBlock, Tag("redacted_thinking")]
    | Annotated[ServerToolUseBlock, Tag("server_tool_use")]
    | Annotated[WebSearchToolResultBlock, Tag("web_search_tool_result")]
    | Annotated[UnknownContentBlock, Tag(UNKNOWN_TAG)],
    Discriminator(tag_by_type(_BLOCK_TYPES)),
]
"""A content block, told apart by ``type``."""

_Delta = Annotated[
    Annotated[TextDelta, Tag("text_delta")]
    | Annotated[InputJsonDelta, Tag("input_json_delta")]
    | Annotated[ThinkingDelta, Tag("thinking_delta")]
    | Annotated[SignatureDelta, Tag("signature_delta")]
    | Annotated[CitationsDelta, Tag("citations_delta")]
    | Annotated[UnknownContentBlockDelta, Tag(UNKNOWN_TAG)],
    Discriminator(tag_by_type(_DELTA_TYPES)),
]


class BlockStartEvent(ContentBlockStartEvent):
    """``content_block_start``, its block told apart by ``type``."""

    content_block: Block | None = None


class WholeMessage(Message):
    """A whole ``message`` (a server that ignores ``stream: true``), its blocks told apart by
    ``type``."""

    content: list[Block] | None = None


class _BlockDeltaEvent(ContentBlockDeltaEvent, total=False):
    delta: _Delta | None  # the same union, told apart by ``type``


BLOCK_DELTA_EVENT: TypeAdapter[ContentBlockDeltaEvent] = TypeAdapter(_BlockDeltaEvent)
"""``content_block_delta``, its delta told apart by ``type``."""

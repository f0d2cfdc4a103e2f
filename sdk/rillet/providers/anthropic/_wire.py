"""Tagged views of two generated Anthropic event models, for decoding speed.

The generated ``ContentBlockStartEvent`` and ``ContentBlockDeltaEvent`` type their block and
delta as plain unions ending in an ``Unknown*`` catch-all, so pydantic's smart mode validates
the value against every member, failures included: for a text delta that is more than half of
the decoding time. These subclasses keep the very same member classes and pick the one to
validate from the value's ``type`` (an unknown type goes to the catch-all), so each event is
still decoded with one ``model_validate_json`` and is still an instance of the generated class.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import Discriminator, Tag

from rillet._generated.providers.anthropic_schema import (
    CitationsDelta,
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    InputJsonDelta,
    RedactedThinkingBlock,
    ServerToolUseBlock,
    SignatureDelta,
    TextBlock,
    TextDelta,
    ThinkingBlock,
    ThinkingDelta,
    ToolUseBlock,
    UnknownContentBlock,
    UnknownContentBlockDelta,
    WebSearchToolResultBlock,
)

__all__ = ["BlockDeltaEvent", "BlockStartEvent"]

_UNKNOWN = "unknown"
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


def _tagger(known: frozenset[str]) -> Callable[[Any], str]:
    def tag(value: Any) -> str:
        kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
        return kind if kind in known else _UNKNOWN

    return tag


_Block = Annotated[
    Annotated[TextBlock, Tag("text")]
    | Annotated[ToolUseBlock, Tag("tool_use")]
    | Annotated[ThinkingBlock, Tag("thinking")]
    | Annotated[RedactedThinkingBlock, Tag("redacted_thinking")]
    | Annotated[ServerToolUseBlock, Tag("server_tool_use")]
    | Annotated[WebSearchToolResultBlock, Tag("web_search_tool_result")]
    | Annotated[UnknownContentBlock, Tag(_UNKNOWN)],
    Discriminator(_tagger(_BLOCK_TYPES)),
]

_Delta = Annotated[
    Annotated[TextDelta, Tag("text_delta")]
    | Annotated[InputJsonDelta, Tag("input_json_delta")]
    | Annotated[ThinkingDelta, Tag("thinking_delta")]
    | Annotated[SignatureDelta, Tag("signature_delta")]
    | Annotated[CitationsDelta, Tag("citations_delta")]
    | Annotated[UnknownContentBlockDelta, Tag(_UNKNOWN)],
    Discriminator(_tagger(_DELTA_TYPES)),
]


class BlockStartEvent(ContentBlockStartEvent):
    """``content_block_start``, its block told apart by ``type``."""

    content_block: _Block | None = None


class BlockDeltaEvent(ContentBlockDeltaEvent):
    """``content_block_delta``, its delta told apart by ``type``."""

    delta: _Delta | None = None

"""OpenAI Chat ``finish_reason`` -> the unified ``FinishReason``.

https://platform.openai.com/docs/api-reference/chat/streaming (``choices[].finish_reason``).
Compatible servers add their own values; those map to ``other`` and stay raw beside it.
"""

from __future__ import annotations

from rillet.protocol import FinishReason

_MAP = {
    "stop": FinishReason.stop,
    "length": FinishReason.length,
    "tool_calls": FinishReason.tool_calls,
    "function_call": FinishReason.tool_calls,
    "content_filter": FinishReason.content_filter,
    "eos": FinishReason.stop,
    "error": FinishReason.error,
}


def unified_finish_reason(raw: str | None, *, has_tool_calls: bool) -> FinishReason:
    """Map ``raw``; with none sent (some servers), tool calls imply ``tool_calls``."""
    if raw is None:
        return FinishReason.tool_calls if has_tool_calls else FinishReason.stop
    return _MAP.get(raw, FinishReason.other)

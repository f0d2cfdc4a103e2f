"""Gemini ``finishReason`` -> the unified ``FinishReason``.

https://ai.google.dev/api/generate-content#FinishReason (``candidates[].finishReason``).
Values not listed (``LANGUAGE``, ``OTHER``, ``FINISH_REASON_UNSPECIFIED``, ``NO_IMAGE``, newer
ones) map to ``other``; the raw value always stays beside it as ``provider_finish_reason``.
"""

from __future__ import annotations

from rillet.protocol import FinishReason

_MAP = {
    "STOP": FinishReason.stop,
    "MAX_TOKENS": FinishReason.length,
    "SAFETY": FinishReason.content_filter,
    "RECITATION": FinishReason.content_filter,
    "BLOCKLIST": FinishReason.content_filter,
    "PROHIBITED_CONTENT": FinishReason.content_filter,
    "SPII": FinishReason.content_filter,
    "IMAGE_SAFETY": FinishReason.content_filter,
    "IMAGE_PROHIBITED_CONTENT": FinishReason.content_filter,
    "IMAGE_RECITATION": FinishReason.content_filter,
    "MALFORMED_FUNCTION_CALL": FinishReason.error,
    "UNEXPECTED_TOOL_CALL": FinishReason.error,
    "TOO_MANY_TOOL_CALLS": FinishReason.error,
}


def unified_finish_reason(raw: str, *, has_tool_calls: bool) -> FinishReason:
    """Map ``raw``; Gemini says ``STOP`` after function calls too, which means ``tool_calls``."""
    reason = _MAP.get(raw, FinishReason.other)
    if reason is FinishReason.stop and has_tool_calls:
        return FinishReason.tool_calls
    return reason

"""Bedrock ``stopReason`` -> the unified ``FinishReason``.

https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_MessageStopEvent.html
(``messageStop.stopReason``). Values added later map to ``other`` and stay raw beside it.
"""

from __future__ import annotations

from rillet.protocol import FinishReason

_MAP = {
    "end_turn": FinishReason.stop,
    "stop_sequence": FinishReason.stop,
    "max_tokens": FinishReason.length,
    "model_context_window_exceeded": FinishReason.length,
    "tool_use": FinishReason.tool_calls,
    "guardrail_intervened": FinishReason.content_filter,
    "content_filtered": FinishReason.content_filter,
    "malformed_model_output": FinishReason.error,
    "malformed_tool_use": FinishReason.error,
}


def unified_finish_reason(raw: str | None) -> FinishReason:
    """Map ``raw``; a stream that reached ``messageStop`` without any reason simply stopped."""
    if raw is None:
        return FinishReason.stop
    return _MAP.get(raw, FinishReason.other)

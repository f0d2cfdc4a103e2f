"""Anthropic ``stop_reason`` -> the unified ``FinishReason``.

https://docs.anthropic.com/en/api/handling-stop-reasons (``message_delta.delta.stop_reason``).
Values added later map to ``other`` and stay raw beside it.
"""

from __future__ import annotations

from rillet.protocol import FinishReason

_MAP = {
    "end_turn": FinishReason.stop,
    "stop_sequence": FinishReason.stop,
    "max_tokens": FinishReason.length,
    "model_context_window_exceeded": FinishReason.length,
    "tool_use": FinishReason.tool_calls,
    "refusal": FinishReason.content_filter,
    "pause_turn": FinishReason.other,  # a server tool paused a long turn: send it back to resume
}


def unified_finish_reason(raw: str | None) -> FinishReason:
    """Map ``raw``; a stream that reached ``message_stop`` without any reason simply stopped."""
    if raw is None:
        return FinishReason.stop
    return _MAP.get(raw, FinishReason.other)

"""How an OpenAI Responses stream ends: the unified finish reason.

https://platform.openai.com/docs/api-reference/responses/object (``status``,
``incomplete_details.reason``). The raw value kept beside the unified one is
``incomplete_details.reason`` when set, else ``status``, as the official SDK's users read it.
"""

from __future__ import annotations

from rillet.protocol import FinishReason

__all__ = ["unified_finish_reason"]

_INCOMPLETE = {
    "max_output_tokens": FinishReason.length,
    "content_filter": FinishReason.content_filter,
}

_STATUS = {
    "incomplete": FinishReason.other,
    "failed": FinishReason.error,
    "cancelled": FinishReason.other,
}


def unified_finish_reason(
    status: str | None, incomplete_reason: str | None, *, has_tool_calls: bool
) -> FinishReason:
    """``completed`` is ``stop``, or ``tool_calls`` when function calls were made."""
    if incomplete_reason is not None:
        return _INCOMPLETE.get(incomplete_reason, FinishReason.other)
    if status is None or status == "completed":
        return FinishReason.tool_calls if has_tool_calls else FinishReason.stop
    return _STATUS.get(status, FinishReason.other)

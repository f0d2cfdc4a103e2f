"""How an OpenAI Responses stream ends: the unified finish reason and error code.

https://platform.openai.com/docs/api-reference/responses/object (``status``,
``incomplete_details.reason``, ``error.code``) and
https://platform.openai.com/docs/api-reference/responses-streaming/error (the ``error`` event).
The raw value kept beside the unified one is ``incomplete_details.reason`` when set, else
``status``, as the official SDK's users read it.
"""

from __future__ import annotations

from rillet.protocol import ErrorCode, FinishReason

__all__ = ["error_kind", "unified_finish_reason"]

_INCOMPLETE = {
    "max_output_tokens": FinishReason.length,
    "content_filter": FinishReason.content_filter,
}

_STATUS = {
    "incomplete": FinishReason.other,
    "failed": FinishReason.error,
    "cancelled": FinishReason.other,
}

# error.code (of ``response.failed`` and the ``error`` event) -> (kind, retryable)
_ERRORS: dict[str, tuple[ErrorCode, bool]] = {
    "rate_limit_exceeded": (ErrorCode.rate_limit, True),
    "insufficient_quota": (ErrorCode.rate_limit, False),
    "server_error": (ErrorCode.server, True),
    "internal_error": (ErrorCode.server, True),
    "vector_store_timeout": (ErrorCode.server, True),
    "overloaded": (ErrorCode.overloaded, True),
    "server_is_overloaded": (ErrorCode.overloaded, True),
    "context_length_exceeded": (ErrorCode.invalid_request, False),
    "invalid_request_error": (ErrorCode.invalid_request, False),
    "image_content_policy_violation": (ErrorCode.content_filter, False),
    "failed_to_download_image": (ErrorCode.invalid_request, False),
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


def error_kind(code: str | None) -> tuple[ErrorCode, bool]:
    """The ``ErrorCode`` and whether a retry may succeed, for an error ``code`` (or type)."""
    if code is None:
        return ErrorCode.provider, False
    known = _ERRORS.get(code)
    if known is not None:
        return known
    if code.startswith(("invalid_", "image_", "empty_image", "unsupported_image")):
        return ErrorCode.invalid_request, False  # invalid_prompt, invalid_image_url, ...
    return ErrorCode.provider, False

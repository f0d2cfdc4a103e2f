"""Anthropic error types -> ``ErrorCode`` and whether a retry may succeed.

https://docs.anthropic.com/en/api/errors. An ``error`` event inside a 200 stream carries the
same ``{"type": "error", "error": {"type": ..., "message": ...}}`` body as an HTTP error; it
becomes the stream's terminal ``error`` chunk (``status_code`` stays None: the status was 200).
"""

from __future__ import annotations

from typing import Any

from rillet._generated.providers.anthropic_schema import ErrorEvent
from rillet.protocol import ErrorChunk, ErrorCode

__all__ = ["error_chunk"]

_KINDS: dict[str, tuple[ErrorCode, bool]] = {
    "overloaded_error": (ErrorCode.overloaded, True),  # HTTP 529
    "rate_limit_error": (ErrorCode.rate_limit, True),  # 429
    "api_error": (ErrorCode.server, True),  # 500
    "timeout_error": (ErrorCode.server, True),  # 504, Anthropic's gateway timed out
    "invalid_request_error": (ErrorCode.invalid_request, False),  # 400
    "authentication_error": (ErrorCode.authentication, False),  # 401
    "permission_error": (ErrorCode.permission, False),  # 403
    "not_found_error": (ErrorCode.not_found, False),  # 404
    "request_too_large": (ErrorCode.request_too_large, False),  # 413
}


def error_chunk(event: ErrorEvent, raw: Any) -> ErrorChunk:
    """The terminal chunk for an in-stream ``error`` event; ``raw`` is its body as received."""
    detail = event.error
    error_type = detail.type if detail else None
    code, retryable = _KINDS.get(error_type or "", (ErrorCode.provider, False))
    message = detail.message if detail and detail.message else None
    return ErrorChunk(
        code=code,
        message=message or f"Anthropic reported an error inside the stream ({error_type})",
        retryable=retryable,
        error_type=error_type,
        provider_error=raw,
    )

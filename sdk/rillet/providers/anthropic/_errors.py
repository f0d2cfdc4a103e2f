"""Anthropic's error types, and its in-stream ``error`` event as an ``error`` chunk.

https://docs.anthropic.com/en/api/errors. An ``error`` event inside a 200 stream carries the
same ``{"type": "error", "error": {"type": ..., "message": ...}}`` body as an HTTP error; it
becomes the stream's terminal ``error`` chunk (``status_code`` stays None: the status was 200).
Each type names what happened, so it decides the kind even beside another status (a 500 that
says ``overloaded_error`` is overloaded).
"""

from __future__ import annotations

from typing import Any

from rillet._error_kinds import ErrorTypes
from rillet._generated.providers.anthropic_schema import ErrorEvent
from rillet.protocol import ErrorChunk, ErrorCode
from rillet.providers._mapper import stream_error_chunk

__all__ = ["ERROR_TYPES", "error_chunk"]

ERROR_TYPES = ErrorTypes(
    {
        ErrorCode.invalid_request: ("invalid_request_error",),  # 400
        ErrorCode.authentication: ("authentication_error",),  # 401
        ErrorCode.permission: ("permission_error",),  # 403
        ErrorCode.not_found: ("not_found_error",),  # 404
        ErrorCode.request_too_large: ("request_too_large",),  # 413
        ErrorCode.rate_limit: ("rate_limit_error",),  # 429
        ErrorCode.server: ("api_error", "timeout_error"),  # 500; 504, its gateway timed out
        ErrorCode.overloaded: ("overloaded_error",),  # 529
    }
)


def error_chunk(event: ErrorEvent, raw: Any) -> ErrorChunk:
    """The terminal chunk for an in-stream ``error`` event; ``raw`` is its body as received."""
    detail = event.error
    error_type = detail.type if detail else None
    message = detail.message if detail and detail.message else None
    return stream_error_chunk(
        ERROR_TYPES,
        message or f"Anthropic reported an error inside the stream ({error_type})",
        error_type=error_type,
        raw=raw,
    )

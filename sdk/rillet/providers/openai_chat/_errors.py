"""OpenAI's error types (and those of the servers that speak Chat Completions), and an error
line inside the stream as an ``error`` chunk.

https://platform.openai.com/docs/guides/error-codes. OpenAI's ``type`` is often broad: it sends
``invalid_request_error`` with 400, 401 and 404, and ``server_error`` with 500 and 503, so
those two count only for an error that names no status. A numeric ``code`` in an in-stream
error is the HTTP status the error stands for (OpenRouter sends its errors this way).
"""

from __future__ import annotations

from typing import Any

from rillet._error_kinds import ErrorTypes
from rillet._generated.wire_dicts.openai_chat_schema import StreamErrorDetail
from rillet.protocol import ErrorChunk, ErrorCode
from rillet.providers._mapper import stream_error_chunk

__all__ = ["ERROR_TYPES", "error_chunk_from_openai"]

ERROR_TYPES = ErrorTypes(
    {
        ErrorCode.authentication: ("authentication_error",),
        ErrorCode.permission: ("permission_error",),
        ErrorCode.rate_limit: ("rate_limit_error", "rate_limit_exceeded", "insufficient_quota"),
        # compatible servers that pass an upstream provider's overload on
        ErrorCode.overloaded: ("overloaded_error", "overloaded"),
    },
    broad={
        ErrorCode.invalid_request: ("invalid_request_error",),
        ErrorCode.server: ("server_error",),
    },
    not_retryable=("insufficient_quota",),  # out of credit: waiting does not help
)


def error_chunk_from_openai(detail: StreamErrorDetail, raw: Any) -> ErrorChunk:
    """An in-stream ``{"error": ...}`` line; ``raw`` is its body as sent."""
    code = detail.get("code")
    return stream_error_chunk(
        ERROR_TYPES,
        detail.get("message") or "the provider reported an error inside the stream",
        status=code if isinstance(code, int) else None,
        error_type=detail.get("type") or (code if isinstance(code, str) else None),
        raw=raw,
    )

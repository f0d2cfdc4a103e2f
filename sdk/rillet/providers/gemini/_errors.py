"""Gemini's error statuses, Google's key rejections, and in-stream errors as ``error`` chunks.

https://ai.google.dev/gemini-api/docs/troubleshooting. Gemini's error body is
``{"error": {"code": <HTTP status>, "message": ..., "status": <Google RPC status>}}``, over HTTP
and inside a 200 stream alike; the RPC status is its error type. Google answers a bad key with
400 ``INVALID_ARGUMENT`` (reason ``API_KEY_INVALID``) and a missing one with 403
``PERMISSION_DENIED`` ("unregistered callers"): both are authentication failures. A prompt
blocked by ``promptFeedback`` ends the stream with a ``content_filter`` error.
"""

from __future__ import annotations

import json

from pydantic import TypeAdapter, ValidationError

from rillet._error_kinds import ErrorTypes
from rillet._exceptions import ContentBlockedError
from rillet._generated.wire_dicts.gemini_schema import GeminiError, PromptFeedback
from rillet.protocol import ErrorChunk, ErrorCode
from rillet.providers._mapper import stream_error_chunk

__all__ = ["ERROR_TYPES", "blocked_chunk", "error_chunk_from_gemini"]

_ERROR = TypeAdapter(GeminiError)
_KEY_REJECTED_REASONS = frozenset({"API_KEY_INVALID", "API_KEY_MISSING"})
_KEY_MISSING_HINT = "unregistered callers"


def _key_rejection(status: int | None, body: object) -> ErrorCode | None:
    """``authentication`` when a 400 or 403 body says the API key is invalid or missing."""
    if status not in (400, 403):
        return None
    if isinstance(body, list) and len(body) == 1:
        body = body[0]  # the JSON-array endpoint wraps its error in an array
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None
    message, details = error.get("message"), error.get("details")
    rejected = (isinstance(message, str) and _KEY_MISSING_HINT in message) or (
        isinstance(details, list)
        and any(isinstance(d, dict) and d.get("reason") in _KEY_REJECTED_REASONS for d in details)
    )
    return ErrorCode.authentication if rejected else None


ERROR_TYPES = ErrorTypes(
    {
        ErrorCode.invalid_request: ("INVALID_ARGUMENT", "FAILED_PRECONDITION", "OUT_OF_RANGE"),
        ErrorCode.authentication: ("UNAUTHENTICATED",),
        ErrorCode.permission: ("PERMISSION_DENIED",),
        ErrorCode.not_found: ("NOT_FOUND",),
        ErrorCode.rate_limit: ("RESOURCE_EXHAUSTED",),
        ErrorCode.server: ("INTERNAL", "DEADLINE_EXCEEDED"),
        ErrorCode.overloaded: ("UNAVAILABLE",),
    },
    from_body=_key_rejection,
)


def error_chunk_from_gemini(raw_error: object, data: str) -> ErrorChunk:
    """An ``{"error": {code, message, status}}`` element or line inside a 200 stream; ``data``
    is its JSON text, kept whole as the raw error body."""
    try:
        error = _ERROR.validate_python(raw_error)
    except ValidationError:
        error = GeminiError(message=str(raw_error))
    return stream_error_chunk(
        ERROR_TYPES,
        error.get("message") or "Gemini reported an error inside the stream",
        status=error.get("code"),
        error_type=error.get("status"),
        raw=json.loads(data),
    )


def blocked_chunk(feedback: PromptFeedback, data: str) -> ErrorChunk:
    """The terminal chunk for a prompt that ``promptFeedback`` says was blocked."""
    reason = feedback.get("blockReason")
    return ErrorChunk(
        code=ErrorCode.content_filter,
        message=feedback.get("blockReasonMessage") or f"Gemini blocked the prompt ({reason})",
        retryable=ContentBlockedError.default_retryable,
        error_type=reason,
        provider_error=json.loads(data),
    )

"""Conversions between rillet exceptions and ``error`` stream chunks."""

from __future__ import annotations

from collections.abc import Mapping

from rillet._exceptions import (
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ContentBlockedError,
    InternalServerError,
    MalformedStreamError,
    NotFoundError,
    OverloadedError,
    PermissionDeniedError,
    ProviderStreamError,
    RateLimitError,
    RequestTooLargeError,
    RilletError,
    StreamInterruptedError,
)
from rillet.protocol import ErrorChunk, ErrorCode, LLMResponse

__all__ = ["error_from_chunk", "error_to_chunk"]

_API_ERRORS: Mapping[ErrorCode, type[APIError]] = {
    ErrorCode.authentication: AuthenticationError,
    ErrorCode.permission: PermissionDeniedError,
    ErrorCode.not_found: NotFoundError,
    ErrorCode.invalid_request: BadRequestError,
    ErrorCode.request_too_large: RequestTooLargeError,
    ErrorCode.rate_limit: RateLimitError,
    ErrorCode.overloaded: OverloadedError,
    ErrorCode.server: InternalServerError,
    ErrorCode.content_filter: ContentBlockedError,
    ErrorCode.provider: ProviderStreamError,
}


def error_to_chunk(error: RilletError) -> ErrorChunk:
    """The terminal ``error`` chunk that stands for ``error`` in a stream."""
    if isinstance(error, APIError):
        return ErrorChunk(
            code=error.error_code,
            message=error.message,
            retryable=error.retryable,
            status_code=error.status_code,
            error_type=error.error_type,
            provider_error=error.body,
        )
    return ErrorChunk(code=error.error_code, message=error.message, retryable=error.retryable)


def error_from_chunk(chunk: ErrorChunk, *, partial: LLMResponse | None = None) -> RilletError:
    """The typed exception an ``error`` chunk stands for, carrying ``partial``."""
    api_class = _API_ERRORS.get(chunk.code)
    if api_class is not None:
        return api_class(
            chunk.message,
            status_code=chunk.status_code,
            error_type=chunk.error_type,
            body=chunk.provider_error,
            partial=partial,
            retryable=chunk.retryable,
        )
    if chunk.code is ErrorCode.timeout:
        return APITimeoutError(
            chunk.message, partial=partial, retryable=chunk.retryable, body_started=True
        )
    if chunk.code is ErrorCode.connection:
        return StreamInterruptedError(
            chunk.message, partial=partial, retryable=chunk.retryable, body_started=True
        )
    if chunk.code is ErrorCode.malformed_stream:
        return MalformedStreamError(chunk.message, partial=partial)
    if chunk.code is ErrorCode.configuration:
        return ConfigurationError(chunk.message, partial=partial)
    return RilletError(chunk.message, partial=partial, retryable=chunk.retryable)

"""Conversions between rillet exceptions and ``error`` stream chunks."""

from __future__ import annotations

from rillet._error_kinds import api_error_class
from rillet._exceptions import (
    APIError,
    APITimeoutError,
    ConfigurationError,
    MalformedStreamError,
    RilletError,
    StreamInterruptedError,
)
from rillet.protocol import ErrorChunk, ErrorCode, LLMResponse

__all__ = ["error_from_chunk", "error_to_chunk", "with_response_metadata"]


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
    api_class = api_error_class(chunk.code, chunk.status_code)
    if api_class is not None:
        error = api_class(
            chunk.message,
            status_code=chunk.status_code,
            error_type=chunk.error_type,
            body=chunk.provider_error,
            partial=partial,
            retryable=chunk.retryable,
        )
        return with_response_metadata(error, partial)
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


def with_response_metadata(error: RilletError, response: LLMResponse | None) -> RilletError:
    """``error``, an ``APIError`` raised inside a stream, given the request id, rate limits and
    headers of the ``response`` it interrupted (where it has none of its own)."""
    if isinstance(error, APIError) and response is not None:
        if error.request_id is None:
            error.request_id = response.request_id
        if error.rate_limit is None:
            error.rate_limit = response.rate_limit
        if not error.headers:
            error.headers = dict(response.headers)
    return error

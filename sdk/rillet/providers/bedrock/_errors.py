"""Bedrock's error types, and an ``exception`` message inside the stream as an ``error`` chunk.

https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html#API_runtime_ConverseStream_Errors.
Over HTTP the type comes in the ``x-amzn-ErrorType`` header (``ValidationException:...``) beside
a ``{"message": ...}`` body; inside a 200 stream it is an ``exception`` message's
``:exception-type``, spelt in lower camel case (``throttlingException``). Both spellings are
declared. The stream's exceptions say whether a retry may help: throttling, an internal error,
an unavailable service or a broken model stream may pass; a validation error will not.
"""

from __future__ import annotations

import json

from rillet._error_kinds import ErrorTypes
from rillet.protocol import ErrorChunk, ErrorCode
from rillet.providers._mapper import stream_error_chunk

__all__ = ["ERROR_TYPES", "exception_chunk"]

_TYPES = {
    ErrorCode.invalid_request: ("ValidationException",),  # 400
    ErrorCode.authentication: (
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "IncompleteSignatureException",
        "ExpiredTokenException",
        "MissingAuthenticationTokenException",
    ),  # 403, but the credentials are wrong, not their rights
    ErrorCode.permission: ("AccessDeniedException",),  # 403
    ErrorCode.not_found: ("ResourceNotFoundException",),  # 404
    ErrorCode.conflict: ("ConflictException",),  # 400
    ErrorCode.rate_limit: ("ThrottlingException", "ServiceQuotaExceededException"),  # 429; 400
    ErrorCode.server: (
        "InternalServerException",  # 500
        "ModelStreamErrorException",  # 424: the model's stream broke
        "ModelErrorException",  # 424
        "ModelTimeoutException",  # 408
    ),
    ErrorCode.overloaded: ("ServiceUnavailableException", "ModelNotReadyException"),  # 503; 429
}


def _both_spellings(names: tuple[str, ...]) -> tuple[str, ...]:
    return names + tuple(name[0].lower() + name[1:] for name in names)


ERROR_TYPES = ErrorTypes(
    {code: _both_spellings(names) for code, names in _TYPES.items()},
    # a quota is not a burst: waiting a few seconds does not raise it
    not_retryable=_both_spellings(("ServiceQuotaExceededException",)),
)


def exception_chunk(exception_type: str, data: str) -> ErrorChunk:
    """The terminal chunk for an ``exception`` message (``data``: its payload, normally
    ``{"message": ...}``); ``status_code`` stays None, the status was 200."""
    raw: object
    try:
        raw = json.loads(data)
    except ValueError:
        raw = data
    message = raw.get("message") if isinstance(raw, dict) else None
    return stream_error_chunk(
        ERROR_TYPES,
        message
        if isinstance(message, str) and message
        else f"Bedrock reported {exception_type or 'an exception'} inside the stream",
        error_type=exception_type or None,
        raw=raw,
    )

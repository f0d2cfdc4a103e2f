"""Which ``APIError`` a provider's error is: the one table, for HTTP and in-stream errors alike.

An error is known by its HTTP status (a response's, or the one a stream's error body names) and
by the provider's own error type (``overloaded_error``, ``RESOURCE_EXHAUSTED``, ...). Each
provider declares what its types mean in an ``ErrorTypes``; ``classify`` decides:

- a type the provider declares wins over the status (Anthropic's 500 ``overloaded_error`` is
  overloaded); a type it declares broad (OpenAI's ``server_error``, sent with 500 and 503
  alike) counts only when no status came with it;
- otherwise the status decides: 400 invalid_request, 401 authentication, 403 permission,
  404 not_found, 409 conflict, 413 request_too_large, 422 invalid_request, 429 rate_limit,
  502 / 503 / 529 overloaded, any other 5xx server, any other 4xx a plain ``APIError``;
- with neither, ``ProviderStreamError``.

Whether a retry may succeed is the class's ``default_retryable``, unless the provider declares
the type not retryable (OpenAI's ``insufficient_quota`` is a 429 that waiting does not cure).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection, Mapping
from typing import NamedTuple

from rillet._exceptions import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ContentBlockedError,
    InternalServerError,
    NotFoundError,
    OverloadedError,
    PermissionDeniedError,
    ProviderStreamError,
    RateLimitError,
    RequestTooLargeError,
    UnprocessableEntityError,
)
from rillet.protocol import ErrorCode

__all__ = [
    "NO_ERROR_TYPES",
    "APIErrorKind",
    "ErrorTypes",
    "api_error_class",
    "classify",
    "error_class_for_status",
]

_STATUS_CLASSES: Mapping[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: RequestTooLargeError,
    422: UnprocessableEntityError,
    429: RateLimitError,
    502: OverloadedError,
    503: OverloadedError,
    529: OverloadedError,
}

# Each class names its code: for a code, its class. UnprocessableEntityError shares
# invalid_request with BadRequestError; only its status, 422, picks it.
_CODE_CLASSES: Mapping[ErrorCode, type[APIError]] = {
    ErrorCode(cls.code): cls
    for cls in (
        BadRequestError,
        AuthenticationError,
        PermissionDeniedError,
        NotFoundError,
        ConflictError,
        RequestTooLargeError,
        RateLimitError,
        OverloadedError,
        InternalServerError,
        ContentBlockedError,
        ProviderStreamError,
    )
}


class ErrorTypes:
    """What one provider's own error types mean (each provider's ``_errors.py`` has one).

    ``codes``: for each ``ErrorCode``, the types that say what happened; they win over the
    status. ``broad``: types the provider sends with several statuses; they count only for an
    error that names no status. ``not_retryable``: declared types that are final although their
    code usually is not. ``from_body``: a rule that reads the whole error body first (the
    status, the parsed body). Read back, ``codes`` and ``broad`` map each type to its code.
    """

    __slots__ = ("broad", "codes", "from_body", "not_retryable")

    def __init__(
        self,
        codes: Mapping[ErrorCode, Collection[str]],
        *,
        broad: Mapping[ErrorCode, Collection[str]] | None = None,
        not_retryable: Collection[str] = (),
        from_body: Callable[[int | None, object], ErrorCode | None] | None = None,
    ) -> None:
        self.codes: Mapping[str, ErrorCode] = _by_type(codes)
        self.broad: Mapping[str, ErrorCode] = _by_type(broad or {})
        self.not_retryable = frozenset(not_retryable)
        self.from_body = from_body
        # Checked once, when a provider module declares its types: a wrong table fails import.
        twice = self.codes.keys() & self.broad.keys()
        if twice:
            raise TypeError(f"declared twice: {sorted(twice)}")
        unknown = self.not_retryable - self.codes.keys() - self.broad.keys()
        if unknown:
            raise TypeError(f"not_retryable names undeclared types: {sorted(unknown)}")

    def extended(self, codes: Mapping[ErrorCode, Collection[str]]) -> ErrorTypes:
        """A copy that also knows ``codes`` (for an API that adds types to its family's)."""
        added = _by_type(codes)
        twice = added.keys() & (self.codes.keys() | self.broad.keys())
        if twice:
            raise TypeError(f"declared twice: {sorted(twice)}")
        wider = copy.copy(self)
        wider.codes = {**self.codes, **added}
        return wider

    def code_of(self, status: int | None, error_type: str | None, body: object) -> ErrorCode | None:
        """The code the provider's own declarations give, or None to let the status decide."""
        if self.from_body is not None:
            code = self.from_body(status, body)
            if code is not None:
                return code
        if error_type is None:
            return None
        code = self.codes.get(error_type)
        if code is None and status is None:
            code = self.broad.get(error_type)
        return code


def _by_type(groups: Mapping[ErrorCode, Collection[str]]) -> dict[str, ErrorCode]:
    by_type: dict[str, ErrorCode] = {}
    for code, error_types in groups.items():
        if code not in _CODE_CLASSES:
            raise TypeError(f"{code.value} is not the code of an API error")
        for error_type in error_types:
            if by_type.setdefault(error_type, code) is not code:
                raise TypeError(f"{error_type!r} is declared twice")
    return by_type


NO_ERROR_TYPES = ErrorTypes({})
"""For a server whose error types are unknown: the status alone decides."""


class APIErrorKind(NamedTuple):
    """What an error is: its class (which names its ``code``) and whether to retry."""

    cls: type[APIError]
    retryable: bool

    @property
    def code(self) -> ErrorCode:
        return ErrorCode(self.cls.code)


def error_class_for_status(status: int) -> type[APIError]:
    """The exception class an HTTP error status stands for."""
    known = _STATUS_CLASSES.get(status)
    if known is not None:
        return known
    return InternalServerError if 500 <= status <= 599 else APIError


def api_error_class(code: ErrorCode, status: int | None = None) -> type[APIError] | None:
    """The class for ``code``: the status's own class when it names the same code (422 is
    ``UnprocessableEntityError``), else the code's; None for a code that is not an API error."""
    if status is not None:
        by_status = error_class_for_status(status)
        if by_status.code == code:
            return by_status
    return _CODE_CLASSES.get(code)


def classify(
    status: int | None,
    error_type: str | None,
    types: ErrorTypes = NO_ERROR_TYPES,
    body: object = None,
) -> APIErrorKind:
    """The kind of an error with this HTTP status (None: the body names none) and provider
    error type; ``body`` is the parsed error body, for the provider's ``from_body`` rule."""
    code = types.code_of(status, error_type, body)
    cls = None if code is None else api_error_class(code, status)
    if cls is None:
        cls = ProviderStreamError if status is None else error_class_for_status(status)
    final = error_type is not None and error_type in types.not_retryable
    return APIErrorKind(cls, cls.default_retryable and not final)

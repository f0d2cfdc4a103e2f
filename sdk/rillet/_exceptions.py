"""Every error rillet raises, in one tree.

    RilletError                      root: ``partial``, ``retryable``, ``code``
    ├── ConfigurationError           bad client set-up or argument (unknown provider, bad
    │   │                            option, base_url, timeout, ...): nothing was sent
    │   ├── MissingAPIKeyError       no key given and the provider's variable is unset
    │   └── RequestValidationError   messages, tools or a request field failed validation:
    │                                ``argument`` names it, ``errors`` lists what failed
    ├── TransportError               the connection failed; ``frames`` holds what arrived
    │   ├── APIConnectionError       could not connect, or the connection broke before the body
    │   ├── StreamInterruptedError   reset, truncated body, or EOF before the terminal event
    │   └── APITimeoutError          a timeout fired
    │       ├── ConnectTimeoutError  connecting took longer than ``Timeout.connect``
    │       ├── IdleTimeoutError     no byte for ``Timeout.idle`` seconds (after headers too)
    │       └── TotalTimeoutError    the whole request took longer than ``Timeout.total``
    ├── APIError                     the provider said no: ``status_code`` (``status``),
    │   │                            ``error_type``, ``request_id``, ``rate_limit``, ``headers``,
    │   │                            ``body``; any other 4xx. ``status_code`` is None for an
    │   │                            in-stream error whose body names none
    │   ├── BadRequestError          400
    │   ├── AuthenticationError      401
    │   ├── PermissionDeniedError    403
    │   ├── NotFoundError            404
    │   ├── ConflictError            409 (retryable)
    │   ├── RequestTooLargeError     413
    │   ├── UnprocessableEntityError 422
    │   ├── RateLimitError           429 (retryable); ``retry_after``: seconds to wait
    │   ├── InternalServerError      5xx (retryable)
    │   │   └── OverloadedError      502, 503, 529, Anthropic ``overloaded_error``, Gemini
    │   │                            ``UNAVAILABLE`` (retryable)
    │   ├── ContentBlockedError      the provider refused the prompt (Gemini ``promptFeedback``)
    │   └── ProviderStreamError      any other error the provider sent inside the stream
    ├── MalformedStreamError         bytes that are not the provider's protocol
    │   ├── HTTPProtocolError        bytes that are not HTTP/1.1: a bad chunk-size line, an
    │   │                            over-long header, a body its Content-Encoding cannot decode
    │   └── EventTooLargeError       one event exceeded ``max_event_bytes``
    ├── InvalidToolArgumentsError    a tool call's final arguments are not a JSON object
    ├── OutputValidationError        the structured output is not JSON that fits its type:
    │                                ``raw_text`` as received, ``errors`` saying what failed
    └── OutputRefusedError           the model refused to give the structured output:
                                     ``refusal`` holds its words

Every error keeps what arrived before it in ``partial`` (an ``LLMResponse`` or None), says
whether sending the same request again may succeed in ``retryable``, and names its kind in
``code`` (the ``ErrorCode`` carried by an ``error`` stream chunk). Which class an HTTP status
or a provider's error type stands for is decided in one place, ``rillet._error_kinds``. No
message, attribute shown in ``repr`` or log line carries an API key: errors are built from
response data only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from rillet._tool_arguments import InvalidToolCall
    from rillet.protocol import ErrorCode, LLMResponse, RateLimit

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "ConnectTimeoutError",
    "ContentBlockedError",
    "EventTooLargeError",
    "HTTPProtocolError",
    "IdleTimeoutError",
    "InternalServerError",
    "InvalidToolArgumentsError",
    "MalformedStreamError",
    "MissingAPIKeyError",
    "NotFoundError",
    "OutputRefusedError",
    "OutputValidationError",
    "OverloadedError",
    "PermissionDeniedError",
    "ProviderStreamError",
    "RateLimitError",
    "RequestTooLargeError",
    "RequestValidationError",
    "RilletError",
    "StreamInterruptedError",
    "TotalTimeoutError",
    "TransportError",
    "UnprocessableEntityError",
]


class RilletError(Exception):
    """Root of every rillet error."""

    code: ClassVar[str] = "unknown"
    default_retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        partial: LLMResponse | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.partial = partial
        self.retryable = self.default_retryable if retryable is None else retryable

    @property
    def error_code(self) -> ErrorCode:
        """This error's kind as the protocol's ``ErrorCode``."""
        from rillet.protocol import ErrorCode

        return ErrorCode(self.code)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, retryable={self.retryable})"


class ConfigurationError(RilletError):
    """The client was set up wrongly: nothing was sent."""

    code = "configuration"


class MissingAPIKeyError(ConfigurationError):
    """No API key was given and the provider's environment variable is unset."""

    def __init__(self, provider: str, env_vars: Sequence[str]) -> None:
        names = " or ".join(env_vars)
        super().__init__(f"no API key for provider {provider!r}: pass api_key=... or set {names}")
        self.provider = provider
        self.env_vars = tuple(env_vars)


class RequestValidationError(ConfigurationError):
    """An argument of the request (``messages``, ``tools``, a field such as ``max_tokens``)
    is not valid: nothing was sent. ``argument`` names it; ``errors`` is pydantic's list of
    what failed (``loc``, ``msg``, ``type``, ``input``), locations starting at ``argument``."""

    def __init__(
        self, message: str, *, argument: str, errors: Sequence[Mapping[str, Any]] = ()
    ) -> None:
        super().__init__(message)
        self.argument = argument
        self.errors = list(errors)


class TransportError(RilletError):
    """The network failed. ``frames`` holds the frames received before the failure: the last
    16 by default, every one with ``keep_frames="all"``, none with ``keep_frames=False``."""

    code = "connection"

    def __init__(
        self,
        message: str,
        *,
        partial: LLMResponse | None = None,
        retryable: bool | None = None,
        frames: Sequence[object] = (),
        body_started: bool = False,
    ) -> None:
        super().__init__(message, partial=partial, retryable=retryable)
        self.frames = list(frames)
        self.body_started = body_started


class APIConnectionError(TransportError):
    """Could not connect, or the connection broke before any body byte arrived."""

    default_retryable = True


class StreamInterruptedError(TransportError):
    """The stream broke after its body began; it was not retried, ``partial`` holds it."""


class APITimeoutError(TransportError):
    """A timeout fired. ``timeout`` is the limit in seconds that was exceeded."""

    code = "timeout"
    default_retryable = True

    def __init__(
        self,
        message: str,
        *,
        timeout: float | None = None,
        partial: LLMResponse | None = None,
        retryable: bool | None = None,
        frames: Sequence[object] = (),
        body_started: bool = False,
    ) -> None:
        super().__init__(
            message, partial=partial, retryable=retryable, frames=frames, body_started=body_started
        )
        self.timeout = timeout


class ConnectTimeoutError(APITimeoutError):
    """Connecting took longer than ``Timeout.connect``."""


class IdleTimeoutError(APITimeoutError):
    """No byte arrived for ``Timeout.idle`` seconds."""


class TotalTimeoutError(APITimeoutError):
    """The whole request took longer than ``Timeout.total``."""


class APIError(RilletError):
    """The provider answered with an error, by HTTP status or inside the stream.

    ``request_id``, ``rate_limit`` and ``headers`` (credentials removed) come from the error
    response's headers, or for an error inside the stream from the response it interrupted.
    """

    code = "provider"

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        error_type: str | None = None,
        request_id: str | None = None,
        rate_limit: RateLimit | None = None,
        headers: Mapping[str, str] | None = None,
        body: object = None,
        partial: LLMResponse | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message, partial=partial, retryable=retryable)
        self.status_code = status_code
        self.error_type = error_type
        self.request_id = request_id
        self.rate_limit = rate_limit
        self.headers = dict(headers or {})
        self.body = body

    @property
    def status(self) -> int | None:
        """The HTTP status: ``status_code`` by its shorter name."""
        return self.status_code

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, status_code={self.status_code}, "
            f"error_type={self.error_type!r}, request_id={self.request_id!r}, "
            f"retryable={self.retryable})"
        )


class BadRequestError(APIError):
    """400: the request is invalid."""

    code = "invalid_request"


class AuthenticationError(APIError):
    """401: the key is missing or wrong."""

    code = "authentication"


class PermissionDeniedError(APIError):
    """403: the key may not do this."""

    code = "permission"


class NotFoundError(APIError):
    """404: no such model or endpoint."""

    code = "not_found"


class ConflictError(APIError):
    """409: a conflicting request is in flight (retryable)."""

    code = "conflict"
    default_retryable = True


class RequestTooLargeError(APIError):
    """413: the request body is too large."""

    code = "request_too_large"


class UnprocessableEntityError(APIError):
    """422: the request is well-formed but cannot be processed."""

    code = "invalid_request"


class RateLimitError(APIError):
    """429: too many requests or tokens."""

    code = "rate_limit"
    default_retryable = True

    @property
    def retry_after(self) -> float | None:
        """Seconds to wait before trying again, counted from when the error arrived: the
        provider's ``retry-after-ms`` / ``retry-after``, else when the exhausted limit resets
        (``rillet.rate_limit.retry_wait``); None when the headers said neither."""
        from rillet.rate_limit import retry_wait

        return None if self.rate_limit is None else retry_wait(self.rate_limit)


class InternalServerError(APIError):
    """5xx: the provider failed."""

    code = "server"
    default_retryable = True


class OverloadedError(InternalServerError):
    """502, 503, 529: the provider is overloaded or unavailable (or says so in the stream)."""

    code = "overloaded"


class ContentBlockedError(APIError):
    """The provider blocked the prompt before generating anything."""

    code = "content_filter"


class ProviderStreamError(APIError):
    """Any other error the provider sent inside a 200 stream."""

    code = "provider"


class MalformedStreamError(RilletError):
    """The bytes received are not the provider's protocol (bad JSON, a bad event)."""

    code = "malformed_stream"

    def __init__(
        self,
        message: str,
        *,
        partial: LLMResponse | None = None,
        frames: Sequence[object] = (),
    ) -> None:
        super().__init__(message, partial=partial, retryable=False)
        self.frames = list(frames)


class HTTPProtocolError(MalformedStreamError):
    """The response broke HTTP/1.1 itself (its framing, headers or content encoding); never
    retried, since the same server would send the same bytes again. ``frames`` holds what
    arrived before the fault."""


class EventTooLargeError(MalformedStreamError):
    """One event grew past the configured ``max_event_bytes``."""


class InvalidToolArgumentsError(RilletError):
    """A tool call's complete arguments are not a JSON object; ``raw_arguments`` keeps them.

    ``invalid_calls`` names every such call of the response (index, id, name, raw arguments,
    reason); the single-call fields describe the first of them.
    """

    code = "invalid_tool_arguments"

    def __init__(
        self,
        message: str,
        *,
        raw_arguments: str,
        tool_name: str | None = None,
        tool_call_id: str | None = None,
        index: int | None = None,
        partial: LLMResponse | None = None,
        invalid_calls: Sequence[InvalidToolCall] = (),
    ) -> None:
        super().__init__(message, partial=partial, retryable=False)
        self.raw_arguments = raw_arguments
        self.tool_name = tool_name
        self.tool_call_id = tool_call_id
        self.index = index
        self.invalid_calls = tuple(invalid_calls)


class OutputValidationError(RilletError):
    """The structured output is not JSON that fits the type asked for (``output=``): the text
    is invalid or cut short, or its value fails validation. ``raw_text`` is the output text
    exactly as received; ``errors`` lists what failed, as pydantic reports it (one entry with
    the JSON syntax error when the text is not JSON)."""

    code = "invalid_output"

    def __init__(
        self,
        message: str,
        *,
        raw_text: str,
        errors: Sequence[Mapping[str, Any]] = (),
        partial: LLMResponse | None = None,
    ) -> None:
        super().__init__(message, partial=partial, retryable=False)
        self.raw_text = raw_text
        self.errors = [dict(error) for error in errors]


class OutputRefusedError(RilletError):
    """The model refused to give the structured output (OpenAI's ``refusal``, Anthropic's
    ``refusal`` stop): ``refusal`` holds its words (empty when it said none)."""

    code = "output_refused"

    def __init__(self, message: str, *, refusal: str, partial: LLMResponse | None = None) -> None:
        super().__init__(message, partial=partial, retryable=False)
        self.refusal = refusal

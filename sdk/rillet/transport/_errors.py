"""The one place where HTTP statuses and foreign exceptions become rillet errors.

``map_exception`` is the translation table for everything aiohttp, asyncio and the codecs can
raise (as httpx maps its engine's exceptions in one table); ``status_error`` turns a non-2xx
response into its typed ``APIError``, with the provider's error type and message read from any
of the three providers' JSON shapes (or, for AWS, the type from the ``x-amzn-ErrorType``
header), and the class chosen by ``rillet._error_kinds`` from the
status and the error types the adapter declares (the transport knows no provider). Nothing
built here carries a credential: every text from the server or from a foreign exception goes
through ``redact_text`` with the ``secrets`` the request carried.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Collection, Mapping, Sequence

import aiohttp
from aiohttp.http_exceptions import HttpProcessingError

from rillet._error_kinds import NO_ERROR_TYPES, ErrorTypes, classify
from rillet._exceptions import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    ConfigurationError,
    ConnectTimeoutError,
    HTTPProtocolError,
    IdleTimeoutError,
    MalformedStreamError,
    RilletError,
    StreamInterruptedError,
    TotalTimeoutError,
    TransportError,
)
from rillet._redact import redact_text
from rillet._response_metadata import read_metadata
from rillet.timeout import Timeout

__all__ = ["map_exception", "status_error"]

_SNIPPET_CHARS = 200
_TRUNCATED = "Response payload is not completed"  # aiohttp, when the connection closed mid-body
_HTML_DROP = re.compile(r"(?is)<(script|style)\b.*?</\1\s*>|<!--.*?-->")
_HTML_TAG = re.compile(r"(?s)<[^>]*>")


def status_error(
    status: int,
    reason: str | None,
    headers: Mapping[str, str],
    body: bytes,
    *,
    types: ErrorTypes = NO_ERROR_TYPES,
    secrets: Collection[str] = (),
) -> APIError:
    """The typed error for a non-2xx response whose (bounded) body is ``body``; ``types`` are
    the provider's own error types. It carries the response's request id, rate limits and
    headers, ``secrets`` (the credentials sent) redacted from them as from the body."""
    metadata = read_metadata(headers, secrets)
    text = redact_text(body.decode("utf-8", "replace"), secrets)
    parsed: object = text
    with contextlib.suppress(ValueError):
        parsed = json.loads(text)
    error_type, message = _provider_error(parsed)
    if error_type is None:
        error_type = _header_error_type(headers)
    kind = classify(status, error_type, types, parsed)
    label = f"HTTP {status}" + (f" ({error_type})" if error_type else "")
    if message:
        full = f"{label}: {message}"
    elif text.strip():
        full = f"{label} {reason or ''}: {_snippet(text)}".replace(" :", ":")
    else:
        full = f"{label} {reason or ''}: empty body".replace(" :", ":")
    return kind.cls(
        full,
        status_code=status,
        error_type=error_type,
        request_id=metadata.request_id,
        rate_limit=metadata.rate_limit,
        headers=metadata.headers,
        body=parsed if text.strip() else None,
        retryable=kind.retryable,
    )


def map_exception(
    exc: BaseException,
    *,
    timeout: Timeout,
    body_started: bool,
    frames: Sequence[object] = (),
    secrets: Collection[str] = (),
) -> RilletError | None:
    """The rillet error for a failure while sending or reading; None if ``exc`` is not ours.

    ``body_started`` says whether any body byte had arrived: before it, connection failures and
    stalls are retryable; after it nothing is, and the error carries the ``frames`` received.
    ``secrets``: the credentials the request carried, kept out of every text. Bytes that break
    HTTP/1.1 itself are an ``HTTPProtocolError``, never retryable (the server would send them
    again). Cancellation is never translated.
    """
    if isinstance(exc, asyncio.CancelledError):
        return None
    if isinstance(exc, RilletError):
        # Raised by a decoder, which knows nothing of the frames already handed out.
        if isinstance(exc, (MalformedStreamError, TransportError)) and not exc.frames:
            exc.frames = list(frames)
        return exc
    _scrub_args(exc, secrets)  # it becomes our error's __cause__: no key in its text either
    where = "after the body started" if body_started else "before the response body"
    # Timeouts first: aiohttp's timeout errors are also connection errors and OSErrors.
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return ConnectTimeoutError(
            f"connecting took longer than {timeout.connect} s", timeout=timeout.connect
        )
    if isinstance(exc, aiohttp.ServerTimeoutError):
        # aiohttp's sock_read timer, before the headers as well as between body reads.
        return IdleTimeoutError(
            f"no data for {timeout.idle} s {where}",
            timeout=timeout.idle,
            retryable=not body_started,
            frames=frames,
            body_started=body_started,
        )
    if isinstance(exc, asyncio.TimeoutError):
        # aiohttp's ``total`` timer raises a bare TimeoutError; no other bare one is expected.
        if timeout.total is not None:
            return TotalTimeoutError(
                f"the request took longer than {timeout.total} s in total ({where})",
                timeout=timeout.total,
                retryable=not body_started,
                frames=frames,
                body_started=body_started,
            )
        return APITimeoutError(
            f"timed out {where}",
            retryable=not body_started,
            frames=frames,
            body_started=body_started,
        )
    if isinstance(exc, aiohttp.InvalidURL):
        return ConfigurationError(f"invalid URL: {redact_text(str(exc.url), secrets)}")
    fault = _protocol_fault(exc)
    if fault is not None:
        return HTTPProtocolError(
            f"the response is not valid HTTP ({where}): {_describe(fault, secrets)}", frames=frames
        )
    if isinstance(exc, (aiohttp.ClientError, HttpProcessingError, OSError)):
        detail = _describe(exc, secrets)
        if body_started:
            return StreamInterruptedError(
                f"the stream broke after {len(frames)} frames: {detail}",
                frames=frames,
                body_started=True,
                retryable=False,
            )
        # A bad certificate will not fix itself; everything else here may.
        permanent = isinstance(exc, aiohttp.ClientSSLError)
        return APIConnectionError(f"connection failed {where}: {detail}", retryable=not permanent)
    if isinstance(exc, UnicodeDecodeError):
        return MalformedStreamError(f"the body is not valid UTF-8: {exc.reason}", frames=frames)
    return None


def chains_safely(exc: BaseException) -> bool:
    """Whether ``exc`` may be kept as ``__cause__``: response errors hold the request headers."""
    return not isinstance(exc, aiohttp.ClientResponseError)


def _protocol_fault(exc: BaseException) -> BaseException | None:
    """The parser's complaint behind ``exc`` when the bytes broke HTTP/1.1, else None.

    aiohttp's parser errors (``HttpProcessingError``: a bad chunk-size line, an over-long
    header, a bad status line) arrive bare, or as the cause of a ``ClientResponseError`` (in
    the headers); a body its ``Content-Encoding`` cannot decode arrives as a
    ``ClientPayloadError``. A ``ClientPayloadError`` saying the payload is not completed is the
    connection closing early: a broken connection, not bad bytes.
    """
    if isinstance(exc, HttpProcessingError):
        return exc
    if isinstance(exc, aiohttp.ClientPayloadError):
        if str(exc).startswith(_TRUNCATED):
            return None
        return exc.__cause__ if isinstance(exc.__cause__, HttpProcessingError) else exc
    if isinstance(exc, aiohttp.ClientResponseError) and isinstance(
        exc.__cause__, HttpProcessingError
    ):
        return exc.__cause__
    return None


def _scrub_args(exc: BaseException, secrets: Collection[str]) -> None:
    # e.g. aiohttp's ConnectionTimeoutError carries the full URL, ``?key=`` included.
    if any(isinstance(arg, str) for arg in exc.args):
        exc.args = tuple(
            redact_text(arg, secrets) if isinstance(arg, str) else arg for arg in exc.args
        )


def _describe(exc: BaseException, secrets: Collection[str]) -> str:
    """A one-line, key-free description of a foreign exception."""
    if isinstance(exc, aiohttp.ClientResponseError):
        text = f"{exc.status}, message={exc.message!r}"  # str() would show the URL
    elif isinstance(exc, HttpProcessingError):
        text = " ".join(str(exc.message).split())  # str() adds the status aiohttp made up
    else:
        text = str(exc) or repr(exc)
    return f"{type(exc).__name__}: {redact_text(text, secrets)}"


def _provider_error(parsed: object) -> tuple[str | None, str | None]:
    """(error type, message) from the OpenAI, Anthropic or Gemini error shapes, or Nones."""
    if isinstance(parsed, list) and len(parsed) == 1:
        parsed = parsed[0]  # Gemini's JSON-array endpoint wraps its error in an array
    if not isinstance(parsed, dict):
        return None, None
    error = parsed.get("error")
    if isinstance(error, dict):
        # OpenAI {type, code, message}; Anthropic {type, message}; Gemini {code, status, message}
        kind = error.get("type") or error.get("status") or error.get("code")
        message = error.get("message")
    elif isinstance(error, str):
        kind, message = parsed.get("code") or parsed.get("type"), error
    else:
        kind = parsed.get("type") if parsed.get("type") != "error" else None
        message = parsed.get("message") or parsed.get("detail")
    return (
        str(kind) if kind not in (None, "") else None,
        message if isinstance(message, str) and message else None,
    )


def _header_error_type(headers: Mapping[str, str]) -> str | None:
    """The error type AWS services (Bedrock) send beside a bare ``{"message": ...}`` body:
    ``x-amzn-ErrorType: ValidationException:http://internal.amazon.com/...``."""
    value = headers.get("x-amzn-ErrorType") or headers.get("x-amzn-errortype")
    kind = value.partition(":")[0].strip() if value else ""
    return kind or None


def _snippet(text: str) -> str:
    if "<" in text:
        text = _HTML_TAG.sub(" ", _HTML_DROP.sub(" ", text))
    text = " ".join(text.split())
    if len(text) > _SNIPPET_CHARS:
        return text[:_SNIPPET_CHARS] + "..."
    return text

"""``HTTPTransport``: sends a request with aiohttp, retries it until its body starts.

Entering ``transport.stream(...)`` sends the request and waits for the response headers *and
the first chunk of the body*: until that byte arrives, a failed connection, a stall or a
retryable status is retried (with back-off), and a non-2xx status becomes its typed error.
From the first body byte on nothing is retried; a failure then raises an error that says
``body_started=True`` and carries every frame already handed out. Leaving the context closes
the response: released to the pool after a complete body, the connection closed otherwise.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import logging
import threading
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from types import TracebackType

import aiohttp
from aiohttp.helpers import get_env_proxy_for_url
from aiohttp.http_exceptions import HttpProcessingError
from yarl import URL

from rillet._arguments import check_max_retries
from rillet._closing import AsyncClosing
from rillet._error_kinds import NO_ERROR_TYPES, ErrorTypes
from rillet._exceptions import (
    APITimeoutError,
    ConfigurationError,
    MalformedStreamError,
    RilletError,
    TotalTimeoutError,
)
from rillet._keep_frames import KeepFrames
from rillet._redact import redact_headers, redact_text, request_secrets
from rillet._response_metadata import read_metadata, request_id_of
from rillet.timeout import Timeout
from rillet.transport._errors import chains_safely, map_exception, status_error
from rillet.transport._eventstream import EVENT_STREAM_CONTENT_TYPE, EventStreamDecoder
from rillet.transport._json_array import ElementParser, JSONArrayDecoder
from rillet.transport._read_guard import ReadGuard
from rillet.transport._retry import RetryPolicy
from rillet.transport._sse import DEFAULT_MAX_EVENT_BYTES, SSEDecoder
from rillet.transport._stream import READ_SIZE, Decoder, FrameStream
from rillet.transport._timeout import client_timeout

__all__ = ["Authorizer", "HTTPTransport"]

Authorizer = Callable[[dict[str, str]], Awaitable[None]]
"""Adds one attempt's credentials to its headers (see ``HTTPTransport.stream``)."""

_log = logging.getLogger("rillet.transport")

_ERROR_BODY_LIMIT = 1 << 20  # read at most this much of an error body
_RAW_BODY_LIMIT = 1 << 20  # aiohttp warns (ResourceWarning) on larger raw-bytes bodies
_SEEN_REQUESTS = 64  # (url, headers) pairs whose secrets a transport remembers


class _StreamContext(AbstractAsyncContextManager[FrameStream]):
    __slots__ = ("_open", "_stream")

    def __init__(self, open_stream: _Opener) -> None:
        self._open: _Opener | None = open_stream
        self._stream: FrameStream | None = None

    async def __aenter__(self) -> FrameStream:
        # The opener holds the request (its body may be a long conversation): let it go once
        # sent, rather than keep it as long as the stream lasts.
        opener, self._open = self._open, None
        if opener is None:
            raise RuntimeError("a transport stream is entered once")
        self._stream = await opener.open()
        return self._stream

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._stream is not None:
            # Left normally, or by a consumer that closed its iterator: may keep the connection.
            linger = exc_type is None or issubclass(exc_type, GeneratorExit)
            await self._stream.aclose(linger=linger)


class HTTPTransport(AsyncClosing):
    """Sends requests over one aiohttp session and streams their frames back.

    The session is created on first use and closed by ``aclose()`` (or ``async with``), unless
    ``session`` is given: a caller's session is used as is (its pool settings apply) and never
    closed. ``timeout`` (a ``Timeout``, or a number meaning the idle timeout) and
    ``max_retries`` (None: the policy's, 2) are defaults that each call may override.
    Connections belong to one event loop: the transport is bound to the loop that first uses
    it, and using it from another is a ``ConfigurationError``.
    """

    def __init__(
        self,
        *,
        session: aiohttp.ClientSession | None = None,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        retry_policy: RetryPolicy | None = None,
        pool_limit: int = 100,
        pool_limit_per_host: int = 0,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    ) -> None:
        policy = retry_policy or RetryPolicy()
        if max_retries is not None:
            policy = dataclasses.replace(policy, max_retries=max_retries)
        if max_event_bytes <= 0:
            raise ValueError("max_event_bytes must be positive")
        self.timeout = Timeout.coerce(timeout)
        self.retry_policy = policy
        self.max_event_bytes = max_event_bytes
        self._session = session
        self._owns_session = session is None
        self._pool_limit = pool_limit
        self._pool_limit_per_host = pool_limit_per_host
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop of the first request
        self._binding = threading.Lock()  # two threads' first requests bind one loop
        # HTTP(S)_PROXY / NO_PROXY (and netrc proxy credentials) per origin, looked up once.
        self._proxies: dict[str, tuple[URL | None, aiohttp.BasicAuth | None]] = {}
        # (url, headers) -> (their secrets, the URL shown in logs and errors): the same few
        # come with every request of a client, and finding them costs more than the request.
        self._seen: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[tuple[str, ...], str]] = {}

    @property
    def closed(self) -> bool:
        return self._closed

    async def aclose(self) -> None:
        """Close the session if this transport created it; idempotent."""
        self._closed = True
        session, self._session = self._session, None
        if session is not None and self._owns_session:
            await session.close()

    def stream(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes | None = None,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        keep_frames: KeepFrames = True,
        error_types: ErrorTypes = NO_ERROR_TYPES,
        authorize: Authorizer | None = None,
        encoded_url: bool = False,
        parse_element: ElementParser | None = None,
    ) -> AbstractAsyncContextManager[FrameStream]:
        """Send a request on entering the returned context; yield its ``FrameStream``.

        ``keep_frames``: what ``FrameStream.frames`` keeps (and errors carry): the last
        ``FRAME_WINDOW`` frames (True, so that memory does not grow with the stream), every
        frame (``"all"``: the body is kept) or none (False).
        ``error_types``: what the provider's own error types mean, for an error status.
        ``authorize``: called with a fresh copy of ``headers`` before every attempt, retries
        included, to add credentials made for that attempt (a SigV4 signature is valid for
        minutes; a token may have been refreshed). ``encoded_url``: ``url`` is sent exactly as
        given, its percent-escapes kept (a signature covers the path as written).
        ``parse_element``: how the adapter reads one element of a JSON-array body (see
        ``JSONArrayDecoder``): each element is then parsed once, into ``Frame.parsed``.
        """
        checked = check_max_retries(max_retries)
        retries = self.retry_policy.max_retries if checked is None else checked
        return _StreamContext(
            _Opener(
                self,
                method,
                url,
                headers,
                body,
                self.timeout if timeout is None else Timeout.coerce(timeout),
                retries,
                keep_frames,
                error_types,
                authorize,
                encoded_url,
                parse_element,
            )
        )

    def __repr__(self) -> str:
        return (
            f"HTTPTransport(timeout={self.timeout!r}, "
            f"max_retries={self.retry_policy.max_retries}, "
            f"owns_session={self._owns_session}, closed={self._closed})"
        )

    def _get_session(self, loop: asyncio.AbstractEventLoop) -> aiohttp.ClientSession:
        """The session, for a request running on ``loop``."""
        if self._closed:
            raise ConfigurationError(
                "this client is closed (aclose(), or the end of its async with): create a new one"
            )
        if self._loop is not loop:
            self._bind(loop)
        session = self._session
        if session is None:
            with self._binding:
                session = self._session
                if session is None:
                    # Proxies from the environment are honoured (see _proxy_for), but not
                    # through aiohttp's trust_env: that costs two thread-pool round trips on
                    # every request (a proxy and a netrc lookup), a large share of a
                    # short stream's CPU.
                    connector = aiohttp.TCPConnector(
                        limit=self._pool_limit, limit_per_host=self._pool_limit_per_host
                    )
                    session = self._session = aiohttp.ClientSession(connector=connector)
        elif session.closed:
            raise ConfigurationError("the aiohttp session given to HTTPTransport is closed")
        return session

    def _bind(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._binding:
            if self._loop is None:
                self._loop = loop
            bound = self._loop
        if bound is loop:
            return
        state = "closed since" if bound.is_closed() else "still running in another thread"
        raise ConfigurationError(
            "this client is used from a second event loop; its connections belong to the loop "
            f"that first used it ({state}), and cannot move. Create one client per event loop "
            "(inside the coroutine that asyncio.run runs) and close it there (async with)."
        )

    def _secrets_of(self, headers: Mapping[str, str], url: str) -> tuple[tuple[str, ...], str]:
        """The secrets a request with ``headers`` to ``url`` carries, and ``url`` redacted."""
        key = (url, tuple(headers.items()))
        found = self._seen.get(key)
        if found is None:
            secrets = request_secrets(headers, url)
            found = (secrets, redact_text(url, secrets))
            if len(self._seen) >= _SEEN_REQUESTS:
                self._seen.clear()
            self._seen[key] = found
        return found

    async def _proxy_for(self, url: str) -> tuple[URL | None, aiohttp.BasicAuth | None]:
        """The proxy ``HTTP(S)_PROXY`` / ``NO_PROXY`` give for ``url``, read from the
        environment once per origin (as the official SDKs read it once per client). A session
        given by the caller keeps its own settings (its ``trust_env``)."""
        if not self._owns_session:
            return None, None
        scheme, _, rest = url.partition("://")
        origin = f"{scheme}://{rest.split('/', 1)[0].split('?', 1)[0]}"
        found = self._proxies.get(origin)
        if found is None:
            # In a thread, as aiohttp does it: the lookup may read files (netrc, system config).
            found = self._proxies[origin] = await asyncio.to_thread(_env_proxy, URL(url))
        return found


class _Opener:
    """One call: the attempts, their retries, and the checks that turn a response into frames."""

    __slots__ = (
        "_authorize",
        "_body",
        "_encoded_url",
        "_error_types",
        "_headers",
        "_keep_frames",
        "_max_retries",
        "_method",
        "_parse_element",
        "_secrets",
        "_shown",
        "_timeout",
        "_transport",
        "_url",
    )

    def __init__(
        self,
        transport: HTTPTransport,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: Timeout,
        max_retries: int,
        keep_frames: KeepFrames = True,
        error_types: ErrorTypes = NO_ERROR_TYPES,
        authorize: Authorizer | None = None,
        encoded_url: bool = False,
        parse_element: ElementParser | None = None,
    ) -> None:
        self._transport = transport
        self._parse_element = parse_element
        self._authorize = authorize
        self._encoded_url = encoded_url
        self._keep_frames = keep_frames
        self._error_types = error_types
        self._method = method
        self._url = url
        self._headers = headers
        self._body = body
        self._timeout = timeout
        self._max_retries = max_retries
        # What no text shown from this call may hold, however the server echoes it.
        self._secrets, self._shown = transport._secrets_of(headers, url)

    async def open(self) -> FrameStream:
        transport = self._transport
        loop = asyncio.get_running_loop()
        session = transport._get_session(loop)
        policy = transport.retry_policy
        timeout = self._timeout
        secrets = self._secrets
        shown = self._shown
        target: str | URL = URL(self._url, encoded=True) if self._encoded_url else self._url
        deadline = None if timeout.total is None else loop.time() + timeout.total
        retries = 0
        while True:
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                raise TotalTimeoutError(
                    f"the request took longer than {timeout.total} s in total",
                    timeout=timeout.total,
                )
            headers = self._headers
            if self._authorize is not None:
                headers = dict(self._headers)  # as given: each attempt is authorized afresh
                await self._authorize(headers)
                # The credentials just added are secrets too, wherever a server echoes them.
                self._secrets, self._shown = transport._secrets_of(headers, self._url)
                secrets, shown = self._secrets, self._shown
            if _log.isEnabledFor(logging.DEBUG):
                _log.debug(
                    "%s %s (attempt %d) headers=%s",
                    self._method,
                    shown,
                    retries + 1,
                    redact_headers(headers, secrets),
                )
            cause: BaseException | None = None
            retry_headers: Mapping[str, str] | None = None
            request_id: str | None = None
            try:
                proxy, proxy_auth = await transport._proxy_for(self._url)
                response = await session.request(
                    self._method,
                    target,
                    headers=headers,
                    data=_payload(self._body),
                    timeout=client_timeout(timeout, remaining),
                    allow_redirects=False,  # a redirect would carry the key elsewhere
                    raise_for_status=False,
                    auto_decompress=True,
                    proxy=proxy,
                    proxy_auth=proxy_auth,
                )
            except Exception as exc:
                cause = exc
                failure = self._translate(exc)
            else:
                try:
                    outcome = await self._accept(response, retries)
                except BaseException:
                    response.close()
                    raise
                if isinstance(outcome, FrameStream):
                    return outcome
                failure, cause = outcome
                retry_headers = response.headers
                request_id = request_id_of(response.headers, secrets)
            give_up = (
                retries >= self._max_retries
                or not failure.retryable
                or isinstance(failure, TotalTimeoutError)
            )
            delay = 0.0 if give_up else policy.delay(retries, retry_headers)
            if not give_up and deadline is not None and loop.time() + delay >= deadline:
                give_up = True
            if give_up:
                if isinstance(failure, APITimeoutError):
                    _log.info("%s %s: %s (request_id=%s)", self._method, shown, failure, request_id)
                if cause is None:
                    raise failure
                raise failure from (cause if chains_safely(cause) else None)
            _log.info(
                "%s %s failed (%s; request_id=%s); retry %d of %d in %.2f s",
                self._method,
                shown,
                failure.message,
                request_id,
                retries + 1,
                self._max_retries,
                delay,
            )
            await policy.sleep(delay)
            retries += 1

    async def _accept(
        self, response: aiohttp.ClientResponse, retries: int
    ) -> FrameStream | tuple[RilletError, BaseException | None]:
        """The stream, or the failure this response amounts to (and the exception behind it)."""
        status = response.status
        idle = self._timeout.idle
        if not 200 <= status < 300:
            body = await _read_bounded(response, _ERROR_BODY_LIMIT, idle)
            error = status_error(
                status,
                response.reason,
                response.headers,
                body,
                types=self._error_types,
                secrets=self._secrets,
            )
            error.retryable = self._transport.retry_policy.should_retry(error, response.headers)
            return error, None
        content_type = response.headers.get("Content-Type", "").partition(";")[0].strip().lower()
        max_bytes = self._transport.max_event_bytes
        decoder: Decoder
        if content_type == "application/json" or content_type.endswith("+json"):
            decoder = JSONArrayDecoder(max_bytes, parse_element=self._parse_element)
        elif content_type == EVENT_STREAM_CONTENT_TYPE:
            decoder = EventStreamDecoder(max_bytes)
        elif content_type == "text/html":
            # A 2xx HTML page is a proxy or portal talking, not the provider: say so clearly.
            page = await _read_bounded(response, 4096, idle)
            text = redact_text(page.decode("utf-8", "replace"), self._secrets)
            snippet = " ".join(text.split())[:200]
            return MalformedStreamError(
                f"expected an event stream, got a {status} text/html page: {snippet}"
            ), None
        else:
            # text/event-stream, and unlabelled or mislabelled streams of compatible servers.
            decoder = SSEDecoder(max_bytes)
        guard = ReadGuard(response, idle)
        try:
            first = await guard.read(READ_SIZE)
        except Exception as exc:
            guard.close()
            response.close()
            return self._translate(exc), exc
        except BaseException:
            guard.close()
            raise
        guard.own_idle_timeout()
        return FrameStream(
            response,
            decoder,
            first,
            guard,
            content_type=content_type,
            retries=retries,
            timeout=self._timeout,
            method=self._method,
            url=self._shown,
            keep_frames=self._keep_frames,
            metadata=read_metadata(response.headers, self._secrets),
            secrets=self._secrets,
        )

    def _translate(self, exc: Exception) -> RilletError:
        error = map_exception(exc, timeout=self._timeout, body_started=False, secrets=self._secrets)
        if error is None:
            raise exc
        return error


async def _read_bounded(response: aiohttp.ClientResponse, limit: int, idle: float | None) -> bytes:
    """At most ``limit`` bytes of a body we only want for an error message, then close it."""
    parts: list[bytes] = []
    size = 0
    guard = ReadGuard(response, idle)
    try:
        while size < limit:
            chunk = await guard.read(limit - size)
            if not chunk:
                break
            parts.append(chunk)
            size += len(chunk)
    except (aiohttp.ClientError, HttpProcessingError, asyncio.TimeoutError, OSError):
        # Not translated on purpose: the status already says what happened; keep what came.
        pass
    finally:
        guard.close()
    if response.content.at_eof():
        response.release()
    else:
        response.close()
    return b"".join(parts)


def _env_proxy(url: URL) -> tuple[URL | None, aiohttp.BasicAuth | None]:
    try:
        return get_env_proxy_for_url(url)
    except LookupError:  # no proxy for this URL (none set, or NO_PROXY says so)
        return None, None


def _payload(body: bytes | None) -> bytes | io.BytesIO | None:
    # A fresh BytesIO per attempt: aiohttp streams it in chunks and warns on raw bytes > 1 MiB.
    if body is None or len(body) <= _RAW_BODY_LIMIT:
        return body
    return io.BytesIO(body)

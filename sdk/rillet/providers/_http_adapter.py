"""``HTTPAdapter``: what the built-in adapters share: key, URL, transport, the frame loop."""

from __future__ import annotations

import inspect
import json
import os
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import aclosing
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from typing_extensions import Self

from rillet._arguments import check_base_url, check_max_retries, json_fault
from rillet._deep_merge import deep_merge
from rillet._error_kinds import NO_ERROR_TYPES, ErrorTypes
from rillet._exceptions import (
    ConfigurationError,
    MissingAPIKeyError,
)
from rillet._redact import redact_url
from rillet.adapter import CallSettings
from rillet.protocol import LLMRequest, StreamChunk
from rillet.providers._http_batches import HTTPBatches, Opening
from rillet.providers._mapper import WireMapper
from rillet.registry import AdapterConfig
from rillet.transport import ClientSession, ElementParser, HTTPTransport, Timeout

__all__ = ["HTTPAdapter"]


class HTTPAdapter:
    """Base of the built-in adapters. Subclasses say where and what to send, and how to map.

    The API key is read from ``api_key`` or the first set variable of ``api_key_env``; it goes
    only into request headers and never into a repr, a log line or an error. ``base_url`` may
    carry a query (``?api-version=...``), kept at the end of every endpoint's URL.
    Every argument is checked here, or before the request is sent: a bad one is a
    ``ConfigurationError`` naming it.
    """

    provider_name: ClassVar[str]
    api_key_env: ClassVar[Sequence[str]]
    base_url_env: ClassVar[str | None] = None
    default_base_url: ClassVar[str]
    error_types: ClassVar[ErrorTypes] = NO_ERROR_TYPES
    encoded_url: ClassVar[bool] = False
    """``url`` returns a URL whose percent-escapes must reach the wire as written (a SigV4
    signature covers the path exactly: ``%3A`` in a model id must not become ``:``)."""
    native_output: ClassVar[bool] = False
    """Whether ``body`` maps ``LLMRequest.output`` to the provider's structured-output form.
    Until it does, a request asking for one is a ``ConfigurationError``, never dropped."""
    parse_element: ClassVar[ElementParser | None] = None
    """How ``mapper`` reads one element of a JSON-array body (the wire type's validation):
    given, the transport's decoder proves each element's end with it and hands the result over
    in ``Frame.parsed``, so that the element is parsed once."""
    requires_api_key: ClassVar[bool] = True
    """False where credentials may come another way (AWS credentials, a token callable): a
    missing key is then the subclass's to judge, and ``authorize`` adds what it chose."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        # Before any __init__ runs: a misspelt keyword would otherwise be Python's TypeError,
        # naming neither the provider nor what it accepts.
        if args:
            raise ConfigurationError(f"{cls.__name__} takes keyword arguments only")
        _check_options(cls, kwargs)
        return super().__new__(cls)

    def __init__(
        self,
        *,
        model: str | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        session: ClientSession | None = None,
        transport: HTTPTransport | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        key = api_key or next((os.environ[v] for v in self.api_key_env if os.environ.get(v)), None)
        if not key and self.requires_api_key:
            raise MissingAPIKeyError(self.provider_name, self.api_key_env)
        self._api_key = key or ""
        self.base_url = self._checked_base_url(base_url)
        parts = urlsplit(self.base_url)
        self._base = urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
        self._query = parts.query
        self._url_credentials = "@" in parts.netloc
        self.model = model
        self._extra_headers = dict(headers or {})
        retries = check_max_retries(max_retries)
        self._transport = transport or HTTPTransport(
            session=session,
            timeout=timeout,
            max_retries=2 if retries is None else retries,
        )

    def _checked_base_url(self, given: str | None) -> str:
        if given is not None:
            url, name = given, "base_url"
        elif self.base_url_env and os.environ.get(self.base_url_env):
            url, name = os.environ[self.base_url_env], self.base_url_env
        else:
            url, name = self.default_base_url, "base_url"
        return check_base_url(url, name).rstrip("/")

    @classmethod
    def accepted_options(cls) -> list[str]:
        """The names ``LLMClient(provider=..., options={...})`` accepts for this adapter: the
        keyword arguments of its class that ``AdapterConfig`` does not already give."""
        names: set[str] = set()
        for klass in cls.__mro__:
            init = klass.__dict__.get("__init__")
            if init is None:
                continue
            parameters = inspect.signature(init).parameters.values()
            names.update(p.name for p in parameters if p.kind in _NAMED and p.name != "self")
            if all(p.kind is not p.VAR_KEYWORD for p in parameters):
                break  # it passes nothing further up
        return sorted(names - _CONFIG_FIELDS)

    @classmethod
    def from_config(cls, config: AdapterConfig) -> HTTPAdapter:
        """Built by ``LLMClient(provider=...)``; an option the class does not take is a
        ``ConfigurationError`` naming those it does."""
        _check_options(cls, config.options, config_given=True)
        return cls(
            model=config.model,
            api_key=config.api_key,
            base_url=config.base_url,
            timeout=config.timeout,
            max_retries=config.max_retries,
            **config.options,
        )

    @property
    def provider(self) -> str:
        return self.provider_name

    def __repr__(self) -> str:
        shown = redact_url(self.base_url)
        return f"{type(self).__name__}(base_url={shown!r}, model={self.model!r}{self._repr_more()})"

    def _repr_more(self) -> str:
        """More ``name=value`` pairs for the repr, each after ``", "``."""
        return ""

    def endpoint(self, path: str, query: str = "") -> str:
        """The URL of ``path`` under ``base_url``, with ``query`` and then the query of
        ``base_url`` (if any) after it."""
        query = "&".join(q for q in (query, self._query) if q)
        return f"{self._base}{path}?{query}" if query else f"{self._base}{path}"

    # -- what subclasses provide -------------------------------------------------------------

    def url(self, request: LLMRequest) -> str:
        raise NotImplementedError

    def headers(self, api_key: str) -> dict[str, str]:
        raise NotImplementedError

    def body(self, request: LLMRequest) -> Mapping[str, Any]:
        """The request body; the built-in adapters return their generated request TypedDict."""
        raise NotImplementedError

    def mapper(self, request: LLMRequest) -> WireMapper:
        raise NotImplementedError

    async def authorize(self, method: str, url: str, headers: dict[str, str], body: bytes) -> None:
        """Add credentials to ``headers`` just before each attempt goes out, retries
        included: a token fetched or refreshed now, or a signature over the exact ``url`` and
        ``body`` made for this attempt. Here: nothing (the key went in through ``headers()``)."""

    def model_rules(self, body: dict[str, Any]) -> dict[str, Any]:
        """The body to send: a setting its model is known to refuse is fixed up where the
        meaning is kept, and otherwise a ``ConfigurationError`` before anything is sent. A
        model the adapter does not know goes as given, and the API's answer speaks. Here: as
        given."""
        return body

    # -- the loop ------------------------------------------------------------------------------

    def _model_for(self, request: LLMRequest) -> LLMRequest:
        if request.model:
            return request
        if self.model:
            return request.model_copy(update={"model": self.model})
        raise ConfigurationError(
            f"no model: {self.provider_name} needs one; pass model=... to LLMClient or to the call"
        )

    def encode(self, request: LLMRequest) -> bytes:
        """The request body as JSON bytes, ``provider_options`` merged last and deep (objects
        key by key, anything else replaces), then ``model_rules`` applied. A value JSON cannot
        carry (NaN, infinity, an object) is a ``ConfigurationError`` naming its place."""
        if request.output is not None and not self.native_output:
            raise ConfigurationError(
                f"{self.provider_name} cannot send structured output natively (output=); "
                "ask for output_mode='tool'"
            )
        built, extra = self.body(request), request.provider_options
        body = self.model_rules(deep_merge(built, extra) if extra else dict(built))
        try:
            text = _to_json(body)
        except (TypeError, ValueError) as error:
            place, value = json_fault(request.model_dump()) or json_fault(body) or ("", None)
            where = f"{place} is {value!r}" if place else str(error)
            raise ConfigurationError(
                f"the request cannot be sent as JSON: {where} (JSON has no NaN, infinity or "
                "objects)"
            ) from None
        return text.encode()

    def _checked_headers(self) -> dict[str, str]:
        headers = {"content-type": "application/json", "accept": "text/event-stream"}
        headers.update(self.headers(self._api_key))
        headers.update(self._extra_headers)
        if self._url_credentials and any(name.lower() == "authorization" for name in headers):
            raise ConfigurationError(
                "base_url holds credentials (user:password@) and the request already has an "
                "Authorization header: only one can be sent. Put the proxy's credentials in "
                "headers=... (options), not in base_url"
            )
        return headers

    async def stream(
        self, request: LLMRequest, settings: CallSettings
    ) -> AsyncIterator[StreamChunk]:
        """``stream_batches`` one chunk at a time."""
        async with aclosing(self.stream_batches(request, settings)) as batches:
            async for batch in batches:
                for chunk in batch:
                    yield chunk

    def stream_batches(self, request: LLMRequest, settings: CallSettings) -> HTTPBatches:
        """The ``ProviderAdapter`` interface: the chunks of each network read at once.

        A read usually completes many frames: mapping them in one loop, with one ``await`` per
        read instead of one per frame, is most of what the pipeline costs beyond validation.
        Chunks are handed out only as the consumer pulls batches, so backpressure still holds.
        The batches are also a ``PullBatches``: a live stream costs no coroutine of ours per read.
        """

        def prepare() -> tuple[Opening, WireMapper]:
            prepared = self._model_for(request)
            url, headers = self.url(prepared), self._checked_headers()
            body = self.encode(prepared)
            authorize = None
            if type(self).authorize is not HTTPAdapter.authorize:

                async def authorize(attempt: dict[str, str]) -> None:
                    await self.authorize("POST", url, attempt, body)

            opening = self._transport.stream(
                "POST",
                url,
                headers=headers,
                body=body,
                timeout=settings.timeout,
                max_retries=settings.max_retries,
                keep_frames=settings.keep_frames,
                error_types=self.error_types,
                authorize=authorize,
                encoded_url=self.encoded_url,
                parse_element=type(self).parse_element,  # as set: a function is not bound
            )
            return opening, self.mapper(prepared)

        return HTTPBatches(prepare)

    async def aclose(self) -> None:
        await self._transport.aclose()


_to_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
"""``json.dumps`` with these settings, its encoder built once (``dumps`` builds one a call)."""

_NAMED = (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
_CONFIG_FIELDS = frozenset({"model", "api_key", "base_url", "timeout", "max_retries"})


def _check_options(
    cls: type[HTTPAdapter], options: Mapping[str, Any], *, config_given: bool = False
) -> None:
    """A ``ConfigurationError`` naming every option of ``options`` the adapter class does not
    take, and those it does. ``config_given``: ``options`` came from ``LLMClient(options=...)``,
    beside the client's own model, key, URL, timeout and retries."""
    accepted = cls.accepted_options()
    allowed = set(accepted) if config_given else set(accepted) | _CONFIG_FIELDS
    unknown = sorted(set(options) - allowed)
    if not unknown:
        return
    names = ", ".join(repr(name) for name in unknown)
    if config_given:
        hint = (
            "; model, api_key, base_url, timeout and max_retries are LLMClient's own arguments"
            if _CONFIG_FIELDS.intersection(unknown)
            else ""
        )
        shown = accepted
    else:
        hint, shown = "", sorted(allowed)
    raise ConfigurationError(
        f"unknown option {names} for provider {cls.provider_name!r}; accepted: "
        f"{', '.join(shown)}{hint}"
    )

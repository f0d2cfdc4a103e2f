"""Vertex AI credentials: where the project and location come from, and the bearer token.

Both Vertex adapters (Gemini and Claude) authorize the same way, chosen once when the adapter
is built:

- ``access_token=`` a string: sent as given on every request;
- ``access_token=`` a callable (sync or async) returning the token: called on every request,
  so the caller refreshes it as it likes;
- neither: Application Default Credentials through google-auth (``pip install
  rillet[vertex]``), imported only then, refreshed in a thread (google-auth blocks) when the
  token is missing or within ``_REFRESH_MARGIN`` of its expiry, and cached until then.

Express mode (an API key, sent as ``x-goog-api-key``) needs no token and names no project.
No token reaches a repr, a log line or an error message. ``VertexAuthorized`` puts all this in
front of a wire's own adapter.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar, Protocol

from rillet._exceptions import AuthenticationError, ConfigurationError
from rillet.providers._http_adapter import HTTPAdapter
from rillet.providers._token_callable import TokenCallable, call_token

__all__ = [
    "CLOUD_PLATFORM_SCOPE",
    "AccessToken",
    "TokenSource",
    "VertexAuth",
    "VertexAuthorized",
    "VertexPlace",
    "token_source",
    "vertex_auth",
    "vertex_place",
]

CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
_EXPRESS_HOST = "https://aiplatform.googleapis.com"  # express mode names no location
_REFRESH_MARGIN = timedelta(minutes=5)  # google-auth's own clock skew is 3m20s: refresh before

AccessToken = str | TokenCallable
"""A bearer token, or a callable (sync or async) returning one on every request."""


class TokenSource(Protocol):
    async def token(self) -> str:
        """The bearer token for the next request."""
        ...


@dataclass(frozen=True)
class VertexPlace:
    """Where the requests go: a project and a location (``global`` or a region)."""

    project: str
    location: str

    @property
    def host(self) -> str:
        """``global`` is served at ``aiplatform.googleapis.com``, a region at its own host."""
        if self.location == "global":
            return "https://aiplatform.googleapis.com"
        return f"https://{self.location}-aiplatform.googleapis.com"

    def model_path(self, publisher: str, model: str, method: str) -> str:
        return (
            f"/v1/projects/{self.project}/locations/{self.location}"
            f"/publishers/{publisher}/models/{model}:{method}"
        )


def vertex_place(project: str | None, location: str | None) -> VertexPlace:
    """The project and location from the options, else ``GOOGLE_CLOUD_PROJECT`` and
    ``GOOGLE_CLOUD_LOCATION``; a missing one is a ``ConfigurationError`` naming both ways."""
    project = project or os.environ.get("GOOGLE_CLOUD_PROJECT") or None
    location = location or os.environ.get("GOOGLE_CLOUD_LOCATION") or None
    missing = [
        f"{name} (options={{{name!r}: ...}} or {env})"
        for name, value, env in (
            ("project", project, "GOOGLE_CLOUD_PROJECT"),
            ("location", location, "GOOGLE_CLOUD_LOCATION"),
        )
        if not value
    ]
    if missing or project is None or location is None:
        raise ConfigurationError(
            f"Vertex AI needs a project and a location; missing: {'; '.join(missing)}. "
            "Or pass api_key=... for express mode"
        )
    for name, value in (("project", project), ("location", location)):
        if not _is_segment(value):
            # Each goes into the URL's path (and location into the host).
            raise ConfigurationError(
                f"{name} {value!r} is not a Vertex AI {name} id (letters, digits, '-', '_', '.')"
            )
    return VertexPlace(project, location)


def token_source(access_token: AccessToken | None) -> TokenSource:
    """The token source for ``access_token`` (None: Application Default Credentials)."""
    if access_token is None:
        return _DefaultCredentials()
    if isinstance(access_token, str):
        if not access_token:
            raise ConfigurationError("access_token is empty")
        return _StaticToken(access_token)
    if callable(access_token):
        return _CallableToken(access_token)
    raise ConfigurationError(
        f"access_token must be a string or a callable returning one, not "
        f"{type(access_token).__name__}"
    )


def _is_segment(value: str) -> bool:
    return bool(value) and value[0] != "." and all(c.isalnum() or c in "-_." for c in value)


class _StaticToken:
    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "_StaticToken(...)"

    async def token(self) -> str:
        return self._token


class _CallableToken:
    def __init__(self, provider: TokenCallable) -> None:
        self._provider = provider

    def __repr__(self) -> str:
        return f"_CallableToken({getattr(self._provider, '__name__', 'callable')})"

    async def token(self) -> str:
        return await call_token(self._provider, "the access_token callable")


class _DefaultCredentials:
    """Application Default Credentials, loaded on the first request and refreshed near expiry."""

    def __init__(self) -> None:
        self._credentials: Any = None
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return "_DefaultCredentials()"

    async def token(self) -> str:
        async with self._lock:  # one refresh at a time, however many streams start at once
            if self._credentials is None:
                self._credentials = await asyncio.to_thread(_load_default_credentials)
            credentials = self._credentials
            if _needs_refresh(credentials):
                await asyncio.to_thread(_refresh, credentials)
            token = credentials.token
        if not isinstance(token, str) or not token:
            raise AuthenticationError("Application Default Credentials gave no access token")
        return token


def _needs_refresh(credentials: Any) -> bool:
    if not credentials.token:
        return True
    expiry = credentials.expiry  # naive UTC in google-auth
    if expiry is None:
        return False
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    return bool(expiry - _REFRESH_MARGIN <= now)


def _load_default_credentials() -> Any:
    try:
        import google.auth
        from google.auth.exceptions import DefaultCredentialsError
    except ImportError:
        raise ConfigurationError(
            "Vertex AI without access_token= or api_key= uses Application Default Credentials, "
            "which need google-auth: pip install 'rillet[vertex]'"
        ) from None
    try:
        credentials, _ = google.auth.default(scopes=[CLOUD_PLATFORM_SCOPE])
    except DefaultCredentialsError as error:
        raise ConfigurationError(f"no Application Default Credentials: {error}") from None
    return credentials


def _refresh(credentials: Any) -> None:
    from google.auth.exceptions import RefreshError
    from google.auth.transport.requests import Request

    try:
        credentials.refresh(Request())
    except RefreshError as error:
        raise AuthenticationError(
            f"refreshing Application Default Credentials failed: {error}"
        ) from None


class VertexAuth:
    """How one adapter authorizes: an express-mode key (``place`` None), or a bearer token
    from ``tokens`` for the project and location in ``place``."""

    def __init__(self, place: VertexPlace | None, tokens: TokenSource | None) -> None:
        self.place = place
        self.tokens = tokens

    @property
    def express(self) -> bool:
        return self.place is None

    def __repr__(self) -> str:
        # The project names who pays: like the account headers, it stays out of reprs.
        if self.place is None:
            return "VertexAuth(express)"
        return f"VertexAuth(location={self.place.location!r})"

    async def add_to(self, headers: dict[str, str]) -> None:
        """Put the bearer token in ``headers`` (nothing in express mode: the key is there)."""
        if self.tokens is not None:
            headers["authorization"] = f"Bearer {await self.tokens.token()}"


def vertex_auth(
    *,
    api_key: str | None,
    project: str | None,
    location: str | None,
    access_token: AccessToken | None,
    express_allowed: bool,
) -> tuple[VertexAuth, str | None]:
    """(the auth, the express-mode key) for these options.

    An ``api_key`` is express mode (with no project or token beside it); then ``access_token``
    or a project (option or ``GOOGLE_CLOUD_PROJECT``) means a bearer token; else
    ``GOOGLE_API_KEY`` is express mode; else the missing project is a ``ConfigurationError``.
    """
    if api_key and not express_allowed:
        raise ConfigurationError(
            "Claude on Vertex AI takes no API key (no express mode): pass access_token=... "
            "(options) or use Application Default Credentials"
        )
    if api_key:
        pairs = (("project", project), ("access_token", access_token))
        given = [name for name, value in pairs if value]
        if given:
            raise ConfigurationError(
                f"api_key is Vertex AI express mode, which takes no {' or '.join(given)}: "
                "pass one or the other"
            )
        return VertexAuth(None, None), api_key
    env_key = os.environ.get("GOOGLE_API_KEY")
    has_project = bool(project or os.environ.get("GOOGLE_CLOUD_PROJECT"))
    if express_allowed and env_key and access_token is None and not has_project:
        return VertexAuth(None, None), env_key
    place = vertex_place(project, location)
    return VertexAuth(place, token_source(access_token)), None


class VertexAuthorized(HTTPAdapter):
    """What a Vertex adapter adds to the wire's own adapter (``class VertexAdapter(
    VertexAuthorized, GeminiAdapter)``): ``project``, ``location`` and ``access_token``
    options, the host they choose, and the bearer token on every request."""

    express_allowed: ClassVar[bool] = False
    api_key_env: ClassVar[tuple[str, ...]] = ()  # GOOGLE_API_KEY is read by vertex_auth
    base_url_env: ClassVar[str | None] = None
    requires_api_key: ClassVar[bool] = False

    def __init__(
        self,
        *,
        project: str | None = None,
        location: str | None = None,
        access_token: AccessToken | None = None,
        **options: Any,
    ) -> None:
        self._auth, key = vertex_auth(
            api_key=options.pop("api_key", None),
            project=project,
            location=location,
            access_token=access_token,
            express_allowed=self.express_allowed,
        )
        place = self._auth.place
        host = _EXPRESS_HOST if place is None else place.host
        super().__init__(api_key=key, base_url=options.pop("base_url", None) or host, **options)

    def _repr_more(self) -> str:
        return f"{super()._repr_more()}, auth={self._auth!r}"

    async def authorize(self, method: str, url: str, headers: dict[str, str], body: bytes) -> None:
        await self._auth.add_to(headers)

"""Gemini on Vertex AI: the Gemini wire and mapper at Vertex's paths, with Vertex auth."""

from __future__ import annotations

from typing import Any, ClassVar

from rillet.protocol import LLMRequest
from rillet.providers.gemini import GeminiAdapter
from rillet.providers.vertex._auth import AccessToken, vertex_auth

__all__ = ["VertexAdapter"]

_EXPRESS_HOST = "https://aiplatform.googleapis.com"
_METHOD = "streamGenerateContent"


class VertexAdapter(GeminiAdapter):
    """``POST https://{location}-aiplatform.googleapis.com/v1/projects/{project}/locations/
    {location}/publishers/google/models/{model}:streamGenerateContent?alt=sse``.

    ``LLMClient(provider="vertex", model="gemini-2.5-flash", options={"project": "p",
    "location": "us-central1"})``. Location ``global`` is served at
    ``aiplatform.googleapis.com``. The bearer token: ``access_token`` (a string, or a callable,
    sync or async, called on every request), else Application Default Credentials
    (``rillet[vertex]``). Express mode: ``api_key=`` (or ``GOOGLE_API_KEY`` when no project is
    configured), sent as ``x-goog-api-key`` to ``aiplatform.googleapis.com/v1/publishers/google/
    models/{model}:streamGenerateContent``. ``base_url`` replaces the host (a proxy, the
    emulator); the path stays Vertex's.
    """

    provider_name: ClassVar[str] = "vertex"
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
        auth, key = vertex_auth(
            api_key=options.pop("api_key", None),
            project=project,
            location=location,
            access_token=access_token,
            express_allowed=True,
        )
        self._auth = auth
        host = _EXPRESS_HOST if auth.place is None else auth.place.host
        base_url = options.pop("base_url", None) or host
        super().__init__(api_key=key, base_url=base_url, **options)

    def _repr_more(self) -> str:
        return f", sse={self.sse}, auth={self._auth!r}"

    def url(self, request: LLMRequest) -> str:
        model = self.model_segment(request)
        place = self._auth.place
        if place is None:
            path = f"/v1/publishers/google/models/{model}:{_METHOD}"
        else:
            path = place.model_path("google", model, _METHOD)
        return self.endpoint(path, "alt=sse" if self.sse else "")

    def headers(self, api_key: str) -> dict[str, str]:
        headers = super().headers(api_key)
        if not self._auth.express:
            del headers["x-goog-api-key"]
        return headers

    async def authorize(self, method: str, url: str, headers: dict[str, str], body: bytes) -> None:
        await self._auth.add_to(headers)

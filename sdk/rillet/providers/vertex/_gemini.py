"""Gemini on Vertex AI: the Gemini wire and mapper at Vertex's paths, with Vertex auth."""

from __future__ import annotations

from typing import ClassVar

from rillet.protocol import LLMRequest
from rillet.providers.gemini import GeminiAdapter
from rillet.providers.vertex._auth import VertexAuthorized

__all__ = ["VertexAdapter"]

_METHOD = "streamGenerateContent"


class VertexAdapter(VertexAuthorized, GeminiAdapter):
    """``POST https://{location}-aiplatform.googleapis.com/v1/projects/{project}/locations/
    {location}/publishers/google/models/{model}:streamGenerateContent?alt=sse``.

    ``LLMClient(provider="vertex", model="gemini-2.5-flash", options={"project": "p",
    "location": "us-central1"})``. Location ``global`` is served at
    ``aiplatform.googleapis.com``. The bearer token: ``access_token`` (a string, or a callable,
    sync or async, called on every request), else Application Default Credentials
    (``rillet[vertex]``). Express mode: ``api_key=`` (or ``GOOGLE_API_KEY`` when no project is
    configured), sent as ``x-goog-api-key`` to ``aiplatform.googleapis.com/v1/publishers/google/
    models/{model}:streamGenerateContent``. ``base_url`` replaces the host (a proxy, the
    emulator); the path stays Vertex's. ``sse=False`` as for ``provider="gemini"``.
    """

    provider_name: ClassVar[str] = "vertex"
    express_allowed: ClassVar[bool] = True

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

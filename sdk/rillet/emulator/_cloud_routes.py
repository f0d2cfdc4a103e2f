"""The cloud platforms' paths on the emulator: Vertex AI (Gemini, Claude) and Azure OpenAI.

Each serves a wire the emulator already speaks, with the platform's own path, credentials and
auth errors:

- Vertex AI: ``/v1/projects/{p}/locations/{l}/publishers/google/models/{m}:streamGenerateContent``
  and ``.../publishers/anthropic/models/{m}:streamRawPredict`` take ``Authorization: Bearer``
  (the emulator's key is the token) and answer a bad one with Google's 401 ``UNAUTHENTICATED``;
  express mode (``/v1/publishers/google/models/{m}:streamGenerateContent``) takes
  ``x-goog-api-key``. Claude's body must have ``anthropic_version`` and no ``model`` (the path
  names it), or it gets Anthropic's 400, as Vertex passes it on.
- Azure OpenAI: ``/openai/v1/chat/completions``, ``/openai/v1/responses``, and with
  ``?api-version=`` ``/openai/deployments/{d}/chat/completions`` and ``/openai/responses``;
  ``api-key`` or ``Authorization: Bearer``, a bad one answered with Azure's 401 body.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import web

from rillet.emulator import _errors
from rillet.emulator.reply_server import Reply

__all__ = ["CloudRoute", "cloud_route"]

_Auth = Literal["bearer", "goog-key", "azure"]

_VERTEX = re.compile(
    r"/v1/projects/[^/]+/locations/[^/]+/publishers/(google|anthropic)/models/([^/:]+):(\w+)"
)
_EXPRESS = re.compile(r"/v1/publishers/google/models/([^/:]+):streamGenerateContent")
_DEPLOYMENT = re.compile(r"/openai/deployments/([^/]+)/chat/completions")
_AZURE_V1 = {"/openai/v1/chat/completions": "azure", "/openai/v1/responses": "azure-responses"}

_VERTEX_UNAUTHENTICATED = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)
_AZURE_DENIED = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide "
    "a valid key for an active subscription and use a correct regional API endpoint for your "
    "resource."
)
_AZURE_NO_VERSION = "Missing required query parameter: api-version"


@dataclass(frozen=True)
class CloudRoute:
    """Where a cloud platform's request goes: the wire, the model its path names, its auth."""

    wire: str
    model: str | None
    auth: _Auth

    def key(self, request: web.Request) -> tuple[bool, str]:
        """(missing, key) as the platform reads it."""
        headers = request.headers
        if self.auth == "goog-key":
            key = headers.get("x-goog-api-key", "").strip()
        elif self.auth == "azure":
            key = headers.get("api-key", "").strip() or _bearer(headers)
        else:
            key = _bearer(headers)
        return not key, key

    def auth_error(self, key: str | None) -> tuple[int, bytes]:
        """The platform's status and body for a missing (None) or wrong key."""
        if self.auth == "goog-key":
            return _errors.auth_error("gemini", key)
        if self.auth == "azure":
            return 401, _json({"error": {"code": "401", "message": _AZURE_DENIED}})
        error = {"code": 401, "message": _VERTEX_UNAUTHENTICATED, "status": "UNAUTHENTICATED"}
        return 401, _json({"error": error})

    def refusal(self, payload: object) -> bytes | None:
        """The 400 body for a Claude-on-Vertex body that names a model or lacks
        ``anthropic_version``; None for anything else."""
        if self.wire != "vertex-anthropic" or not isinstance(payload, dict):
            return None
        if "model" in payload:
            return _errors.http_error(self.wire, 400, "model: Extra inputs are not permitted")
        if "anthropic_version" not in payload:
            return _errors.http_error(self.wire, 400, "anthropic_version: Field required")
        return None

    def as_wire_body(self, payload: Any) -> Any:
        """The body as the wire's own API takes it, for its rules: Claude's model put back."""
        if self.wire != "vertex-anthropic" or not isinstance(payload, dict):
            return payload
        body = {key: value for key, value in payload.items() if key != "anthropic_version"}
        return {"model": self.model, **body}


def cloud_route(request: web.Request) -> CloudRoute | Reply | None:
    """The route of a cloud platform's request; a ready 404 for Azure's older paths without
    ``api-version``; None when no platform lives there."""
    if request.method != "POST":
        return None
    path = request.path
    sse = request.query.get("alt") == "sse"
    if found := _VERTEX.fullmatch(path):
        publisher, model, method = found.groups()
        if publisher == "anthropic" and method == "streamRawPredict":
            return CloudRoute("vertex-anthropic", model, "bearer")
        if publisher == "google" and method == "streamGenerateContent":
            return CloudRoute("vertex" if sse else "gemini-json", model, "bearer")
        return None
    if found := _EXPRESS.fullmatch(path):
        return CloudRoute("vertex" if sse else "gemini-json", found.group(1), "goog-key")
    if path in _AZURE_V1:
        return CloudRoute(_AZURE_V1[path], None, "azure")
    deployment = _DEPLOYMENT.fullmatch(path)
    if deployment is None and path != "/openai/responses":
        return None
    if not request.query.get("api-version"):
        body = {"error": {"code": "404", "message": _AZURE_NO_VERSION}}
        return Reply(404, _json(body), "application/json", content_length=True)
    if deployment is None:
        return CloudRoute("azure-responses", None, "azure")
    return CloudRoute("azure", deployment.group(1), "azure")


def _bearer(headers: Mapping[str, str]) -> str:
    scheme, _, token = headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _json(value: object) -> bytes:
    return json.dumps(value).encode()

"""Claude on Vertex AI: the Anthropic wire and mapper at ``:streamRawPredict``, Vertex auth."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar

from rillet._exceptions import ConfigurationError
from rillet.protocol import LLMRequest
from rillet.providers.anthropic import AnthropicAdapter
from rillet.providers.vertex._auth import VertexAuthorized

__all__ = ["VERTEX_ANTHROPIC_VERSION", "VertexAnthropicAdapter"]

VERTEX_ANTHROPIC_VERSION = "vertex-2023-10-16"
"""The ``anthropic_version`` Vertex AI asks for in the body (the official SDK's value)."""

# Vertex names Claude versions with "@" (claude-sonnet-4-5@20250929): one path segment still.
_MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]*")


class VertexAnthropicAdapter(VertexAuthorized, AnthropicAdapter):
    """``POST https://{location}-aiplatform.googleapis.com/v1/projects/{project}/locations/
    {location}/publishers/anthropic/models/{model}:streamRawPredict``.

    The body is the Messages API's with ``stream: true``, without ``model`` (it is in the path)
    and with ``anthropic_version`` (default ``vertex-2023-10-16``), as ``AnthropicVertex``
    sends it; ``anthropic_beta`` still goes in the ``anthropic-beta`` header. Auth and
    ``project`` / ``location`` as for ``provider="vertex"``, without express mode.
    """

    provider_name: ClassVar[str] = "vertex-anthropic"

    def __init__(
        self,
        *,
        anthropic_version: str = VERTEX_ANTHROPIC_VERSION,
        anthropic_beta: str | Sequence[str] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(
            anthropic_version=anthropic_version, anthropic_beta=anthropic_beta, **options
        )
        if self._auth.place is None:  # vertex_auth gives no express mode here: never
            raise ConfigurationError("Claude on Vertex AI needs a project and a location")
        self._place = self._auth.place

    def url(self, request: LLMRequest) -> str:
        model = request.model or ""
        if not _MODEL_NAME.fullmatch(model):
            raise ConfigurationError(
                f"model {model!r} is not a Vertex AI model name (letters, digits, '.', '-', "
                "'_', '@')"
            )
        return self.endpoint(self._place.model_path("anthropic", model, "streamRawPredict"))

    def headers(self, api_key: str) -> dict[str, str]:
        headers = super().headers(api_key)
        del headers["x-api-key"]
        del headers["anthropic-version"]  # in the body instead
        return headers

    def model_rules(self, body: dict[str, Any]) -> dict[str, Any]:
        body = super().model_rules(body)
        body.pop("model", None)
        return {"anthropic_version": self._version, **body}

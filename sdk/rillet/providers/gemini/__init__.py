"""Google Gemini ``streamGenerateContent`` (the Gemini Developer API)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import ClassVar

from rillet._error_kinds import ErrorTypes
from rillet._exceptions import ConfigurationError
from rillet._generated.wire_dicts.gemini_request_schema import GenerateContentRequest
from rillet.protocol import LLMRequest
from rillet.providers._http_adapter import HTTPAdapter
from rillet.providers.gemini._errors import ERROR_TYPES
from rillet.providers.gemini._mapper import GeminiMapper, parse_frame
from rillet.providers.gemini._request import build_body
from rillet.transport import ClientSession, ElementParser, HTTPTransport, Timeout

__all__ = ["GeminiAdapter"]

_MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class GeminiAdapter(HTTPAdapter):
    """``POST {base_url}/v1beta/models/{model}:streamGenerateContent?alt=sse``.

    ``sse=False`` (``LLMClient(provider="gemini", options={"sse": False})``) asks for the
    JSON-array form instead (no ``alt=sse``); the transport picks the framing from the response
    ``Content-Type`` either way. The key goes only in the ``x-goog-api-key`` header, never in the
    URL (``?key=`` would leak into logs and cassettes).
    """

    provider_name: ClassVar[str] = "gemini"
    api_key_env: ClassVar[tuple[str, ...]] = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
    base_url_env: ClassVar[str | None] = "GEMINI_BASE_URL"
    default_base_url: ClassVar[str] = "https://generativelanguage.googleapis.com"
    error_types: ClassVar[ErrorTypes] = ERROR_TYPES
    native_output: ClassVar[bool] = True
    parse_element: ClassVar[ElementParser | None] = parse_frame

    def __init__(
        self,
        *,
        sse: bool = True,
        model: str | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        session: ClientSession | None = None,
        transport: HTTPTransport | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(
            model=model,
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            session=session,
            transport=transport,
            headers=headers,
        )
        self.sse = sse

    def _repr_more(self) -> str:
        return f", sse={self.sse}"

    def url(self, request: LLMRequest) -> str:
        path = f"/v1beta/models/{self.model_segment(request)}:streamGenerateContent"
        return self.endpoint(path, "alt=sse" if self.sse else "")

    def model_segment(self, request: LLMRequest) -> str:
        """The request's model as one checked segment of the URL's path."""
        model = (request.model or "").removeprefix("models/")  # Google's resource name too
        if not _MODEL_NAME.fullmatch(model):
            # It goes into the URL's path: "/", "?", "%" or a dot segment would reach another
            # endpoint. A name is one segment, and cannot start with a dot.
            raise ConfigurationError(
                f"model {model!r} is not a Gemini model name (letters, digits, '.', '-', '_')"
            )
        return model

    def headers(self, api_key: str) -> dict[str, str]:
        headers = {"x-goog-api-key": api_key}
        if not self.sse:
            headers["accept"] = "application/json"
        return headers

    def body(self, request: LLMRequest) -> GenerateContentRequest:
        return build_body(request, provider=self.provider_name)

    def mapper(self, request: LLMRequest) -> GeminiMapper:
        return GeminiMapper(self.provider_name)

"""Amazon Bedrock ConverseStream (``POST /model/{modelId}/converse-stream``)."""

from __future__ import annotations

import os
from typing import Any, ClassVar
from urllib.parse import quote

from rillet._error_kinds import ErrorTypes
from rillet._exceptions import ConfigurationError
from rillet._generated.wire_dicts.bedrock_request_schema import ConverseStreamRequest
from rillet.protocol import LLMRequest
from rillet.providers._http_adapter import HTTPAdapter
from rillet.providers.bedrock._errors import ERROR_TYPES
from rillet.providers.bedrock._mapper import BedrockMapper
from rillet.providers.bedrock._request import build_body
from rillet.transport import EVENT_STREAM_CONTENT_TYPE

__all__ = ["BedrockAdapter"]


class BedrockAdapter(HTTPAdapter):
    """``POST {base_url}/model/{model}/converse-stream``, the model id percent-encoded (ids hold
    ``:``, ARNs ``/``); ``base_url`` defaults to ``https://bedrock-runtime.{region}.amazonaws.com``.

    ``region`` (else ``AWS_REGION``, ``AWS_DEFAULT_REGION``) picks the endpoint. A Bedrock API
    key (``api_key`` or ``AWS_BEARER_TOKEN_BEDROCK``) goes as ``Authorization: Bearer``.
    ``profile`` and ``credentials`` are for AWS credentials. Every other keyword is the
    ``HTTPAdapter``'s (``headers=`` still overrides any header set here).
    """

    provider_name: ClassVar[str] = "bedrock"
    api_key_env: ClassVar[tuple[str, ...]] = ("AWS_BEARER_TOKEN_BEDROCK",)
    default_base_url: ClassVar[str] = "https://bedrock-runtime.{region}.amazonaws.com"
    error_types: ClassVar[ErrorTypes] = ERROR_TYPES
    requires_api_key: ClassVar[bool] = False

    def __init__(
        self,
        *,
        region: str | None = None,
        profile: str | None = None,
        credentials: Any = None,
        **options: Any,
    ) -> None:
        self.region = _resolve_region(region) if options.get("base_url") is None else region
        super().__init__(**options)
        self._profile = profile
        self._credentials = credentials

    def _checked_base_url(self, given: str | None) -> str:
        if given is None:
            given = self.default_base_url.format(region=self.region)
        return super()._checked_base_url(given)

    def _repr_more(self) -> str:
        return f", region={self.region!r}"

    def url(self, request: LLMRequest) -> str:
        return self.endpoint(f"/model/{quote(request.model or '', safe='')}/converse-stream")

    def headers(self, api_key: str) -> dict[str, str]:
        return {"accept": EVENT_STREAM_CONTENT_TYPE}

    def body(self, request: LLMRequest) -> ConverseStreamRequest:
        return build_body(request)

    def mapper(self, request: LLMRequest) -> BedrockMapper:
        return BedrockMapper(self.provider_name)

    async def authorize(self, method: str, url: str, headers: dict[str, str], body: bytes) -> None:
        """A Bedrock API key as a bearer token. SigV4 with AWS credentials comes with
        ``_auth`` (``profile``, ``credentials``), not merged yet."""
        if not self._api_key:
            raise ConfigurationError(
                "no Bedrock credentials: pass api_key=... or set AWS_BEARER_TOKEN_BEDROCK"
            )
        headers["authorization"] = f"Bearer {self._api_key}"


def _resolve_region(region: str | None) -> str:
    """``region``, else ``AWS_REGION``, else ``AWS_DEFAULT_REGION``."""
    found = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if not found:
        raise ConfigurationError(
            "no AWS region for bedrock: pass options={'region': ...} or set AWS_REGION"
        )
    return found

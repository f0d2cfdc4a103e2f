"""Amazon Bedrock ConverseStream (``POST /model/{modelId}/converse-stream``)."""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import quote

from rillet._error_kinds import ErrorTypes
from rillet._exceptions import ConfigurationError
from rillet._generated.wire_dicts.bedrock_request_schema import ConverseStreamRequest
from rillet.protocol import LLMRequest
from rillet.providers._http_adapter import HTTPAdapter
from rillet.providers.bedrock._auth import BedrockAuth, resolve_region
from rillet.providers.bedrock._credentials import CredentialSource
from rillet.providers.bedrock._errors import ERROR_TYPES
from rillet.providers.bedrock._mapper import BedrockMapper
from rillet.providers.bedrock._request import build_body
from rillet.providers.bedrock._sigv4 import AWSCredentials
from rillet.transport import EVENT_STREAM_CONTENT_TYPE

__all__ = ["AWSCredentials", "BedrockAdapter", "CredentialSource"]


class BedrockAdapter(HTTPAdapter):
    """``POST {base_url}/model/{model}/converse-stream``, the model id percent-encoded (ids hold
    ``:``, ARNs ``/``); ``base_url`` defaults to ``https://bedrock-runtime.{region}.amazonaws.com``.

    ``region`` (else ``AWS_REGION``, ``AWS_DEFAULT_REGION``) picks the endpoint and signs the
    request. A Bedrock API key (``api_key``, else ``AWS_BEARER_TOKEN_BEDROCK`` unless
    ``credentials`` or ``profile`` is given) goes as ``Authorization: Bearer``; otherwise each
    request is signed with SigV4 over its exact bytes, with ``credentials`` (``AWSCredentials``
    or a ``CredentialSource``), the ``profile``'s, or those the environment gives (see
    ``_credentials``), looked up when the first request is sent. Every other keyword is the
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
        credentials: AWSCredentials | CredentialSource | None = None,
        **options: Any,
    ) -> None:
        # The default endpoint needs the region; a base_url of one's own (a proxy, the
        # emulator) needs it only to sign, and a bearer key not even then.
        if region or options.get("base_url") is None:
            self.region: str | None = resolve_region(region)
        else:
            self.region = _region_from_environment()
        super().__init__(**options)
        given_key = options.get("api_key")
        # AWS credentials asked for by name win over a key found in the environment.
        key = given_key or (self._api_key if credentials is None and profile is None else None)
        if not key and self.region is None:
            self.region = resolve_region(None)  # raises: a signature is made for a region
        self._api_key = key or ""
        self._auth = BedrockAuth.resolve(
            api_key=key or None, credentials=credentials, profile=profile, region=self.region or ""
        )

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
        """The bearer key, or a SigV4 signature over ``url`` and ``body`` as they are sent."""
        await self._auth.apply(method, url, headers, body)


def _region_from_environment() -> str | None:
    try:
        return resolve_region(None)
    except ConfigurationError:
        return None

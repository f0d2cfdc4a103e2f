"""What the two Azure adapters share: the endpoint, the optional API version, the credentials
(``AzureAccess``), and the adapter base that applies them (``AzureAuthorized``)."""

from __future__ import annotations

import os
from typing import Any, ClassVar

from rillet._exceptions import ConfigurationError
from rillet.providers._http_adapter import HTTPAdapter
from rillet.providers._token_callable import call_token
from rillet.providers.azure._endpoint import AzureTokenProvider, azure_endpoint

__all__ = ["AzureAccess", "AzureAuthorized"]


class AzureAccess:
    """The resource endpoint, ``api_version`` (None: the v1 API) and how requests authorize:
    an ``api-key`` header, or a Microsoft Entra ID token from ``token_provider`` per request."""

    def __init__(
        self,
        *,
        base_url: str | None,
        endpoint: str | None,
        api_key: str | None,
        api_version: str | None,
        token_provider: AzureTokenProvider | None,
    ) -> None:
        self.endpoint = azure_endpoint(base_url, endpoint)
        if api_version is not None and not api_version:
            raise ConfigurationError("api_version is empty (leave it out for the v1 API)")
        self.api_version = api_version
        if token_provider is not None and not callable(token_provider):
            raise ConfigurationError("azure_ad_token_provider must be a callable returning a token")
        if api_key and token_provider is not None:
            raise ConfigurationError(
                "api_key and azure_ad_token_provider are two ways to authorize: pass one"
            )
        self.api_key = api_key or (
            None if token_provider else os.environ.get("AZURE_OPENAI_API_KEY") or None
        )
        if self.api_key is None and token_provider is None:
            raise ConfigurationError(
                "no credentials for Azure OpenAI: pass api_key=... or set AZURE_OPENAI_API_KEY, "
                "or pass options={'azure_ad_token_provider': ...} (Microsoft Entra ID)"
            )
        self.token_provider = token_provider

    def __repr__(self) -> str:
        how = "entra-id" if self.token_provider is not None else "api-key"
        return f"AzureAccess({how}, api_version={self.api_version!r})"

    def key_headers(self) -> dict[str, str]:
        return {} if self.api_key is None else {"api-key": self.api_key}

    async def add_token(self, headers: dict[str, str]) -> None:
        if self.token_provider is not None:
            token = await call_token(self.token_provider, "azure_ad_token_provider")
            headers["authorization"] = f"Bearer {token}"


class AzureAuthorized(HTTPAdapter):
    """What an Azure adapter adds to the OpenAI adapter it extends (``class AzureChatAdapter(
    AzureAuthorized, OpenAIChatAdapter)``): the ``endpoint``, ``api_version`` and
    ``azure_ad_token_provider`` options, the ``api-key`` header or a fresh token per request,
    and bodies sent as given (a deployment name says nothing of the model behind it)."""

    api_key_env: ClassVar[tuple[str, ...]] = ()  # AZURE_OPENAI_API_KEY: read by AzureAccess
    base_url_env: ClassVar[str | None] = None
    requires_api_key: ClassVar[bool] = False

    def __init__(
        self,
        *,
        endpoint: str | None = None,
        api_version: str | None = None,
        azure_ad_token_provider: AzureTokenProvider | None = None,
        **options: Any,
    ) -> None:
        self._access = access = AzureAccess(
            base_url=options.pop("base_url", None),
            endpoint=endpoint,
            api_key=options.pop("api_key", None),
            api_version=api_version,
            token_provider=azure_ad_token_provider,
        )
        super().__init__(api_key=access.api_key, base_url=access.endpoint, **options)

    def _repr_more(self) -> str:
        return f", access={self._access!r}"

    def headers(self, api_key: str) -> dict[str, str]:
        return self._access.key_headers()

    def model_rules(self, body: dict[str, Any]) -> dict[str, Any]:
        return body

    async def authorize(self, method: str, url: str, headers: dict[str, str], body: bytes) -> None:
        await self._access.add_token(headers)

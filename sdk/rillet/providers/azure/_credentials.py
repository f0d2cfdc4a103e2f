"""What the two Azure adapters share: the endpoint, the optional API version, the credentials."""

from __future__ import annotations

import os

from rillet._exceptions import ConfigurationError
from rillet.providers._token_callable import call_token
from rillet.providers.azure._endpoint import AzureTokenProvider, azure_endpoint

__all__ = ["AzureAccess"]


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

"""Azure OpenAI Responses: the Responses wire and mapper at Azure's paths."""

from __future__ import annotations

from typing import Any, ClassVar

from rillet.protocol import LLMRequest
from rillet.providers.azure._credentials import AzureAccess
from rillet.providers.azure._endpoint import AzureTokenProvider, version_query
from rillet.providers.openai_responses import OpenAIResponsesAdapter

__all__ = ["AzureResponsesAdapter"]


class AzureResponsesAdapter(OpenAIResponsesAdapter):
    """``POST {endpoint}/openai/v1/responses``; with ``api_version``, the older
    ``{endpoint}/openai/responses?api-version=...`` (the Responses API was never under
    ``/deployments/``: the deployment goes in the body's ``model``, as the official SDK sends
    it). Credentials and endpoint as for ``provider="azure"``.
    """

    provider_name: ClassVar[str] = "azure-responses"
    api_key_env: ClassVar[tuple[str, ...]] = ()
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

    def url(self, request: LLMRequest) -> str:
        version = self._access.api_version
        if version is None:
            return self.endpoint("/openai/v1/responses")
        return self.endpoint("/openai/responses", version_query(version))

    def headers(self, api_key: str) -> dict[str, str]:
        return self._access.key_headers()

    def model_rules(self, body: dict[str, Any]) -> dict[str, Any]:
        return body  # a deployment name says nothing of the model behind it: sent as given

    async def authorize(self, method: str, url: str, headers: dict[str, str], body: bytes) -> None:
        await self._access.add_token(headers)

"""Azure OpenAI Chat Completions: the OpenAI Chat wire at Azure's paths, with Azure's quirks."""

from __future__ import annotations

from typing import Any, ClassVar

from rillet._generated.wire_dicts.openai_chat_request_schema import ChatCompletionRequest
from rillet.protocol import LLMRequest
from rillet.providers.azure._credentials import AzureAccess
from rillet.providers.azure._endpoint import (
    AzureTokenProvider,
    checked_deployment,
    version_query,
)
from rillet.providers.azure._filters import AzureChatMapper
from rillet.providers.openai_chat import OpenAIChatAdapter
from rillet.providers.openai_chat._request import build_body

__all__ = ["AzureChatAdapter"]


class AzureChatAdapter(OpenAIChatAdapter):
    """``POST {endpoint}/openai/v1/chat/completions``; with ``api_version``, the older
    ``{endpoint}/openai/deployments/{deployment}/chat/completions?api-version=...``.

    ``LLMClient(provider="azure", model="my-gpt-4o-deployment", base_url="https://res.openai.
    azure.com")``: the model is the deployment name. ``max_tokens`` goes as
    ``max_completion_tokens`` (the reasoning deployments refuse ``max_tokens``). The content
    filter's verdicts (``prompt_filter_results``, the ``content_filter_results`` of a filtered
    answer) are kept on the stop chunk's ``provider_details``.
    """

    provider_name: ClassVar[str] = "azure"
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

    def url(self, request: LLMRequest) -> str:
        version = self._access.api_version
        if version is None:
            return self.endpoint("/openai/v1/chat/completions")
        deployment = checked_deployment(request.model)
        path = f"/openai/deployments/{deployment}/chat/completions"
        return self.endpoint(path, version_query(version))

    def headers(self, api_key: str) -> dict[str, str]:
        return self._access.key_headers()

    def body(self, request: LLMRequest) -> ChatCompletionRequest:
        return build_body(
            request, max_tokens_field="max_completion_tokens", provider=self.provider_name
        )

    def mapper(self, request: LLMRequest) -> AzureChatMapper:
        return AzureChatMapper(self.provider_name)

    def model_rules(self, body: dict[str, Any]) -> dict[str, Any]:
        return body  # a deployment name says nothing of the model behind it: sent as given

    async def authorize(self, method: str, url: str, headers: dict[str, str], body: bytes) -> None:
        await self._access.add_token(headers)

"""Azure OpenAI Chat Completions: the OpenAI Chat wire at Azure's paths, with Azure's quirks."""

from __future__ import annotations

from typing import ClassVar

from rillet._generated.wire_dicts.openai_chat_request_schema import ChatCompletionRequest
from rillet.protocol import LLMRequest
from rillet.providers.azure._credentials import AzureAuthorized
from rillet.providers.azure._endpoint import checked_deployment, version_query
from rillet.providers.azure._filters import AzureChatMapper
from rillet.providers.openai_chat import OpenAIChatAdapter
from rillet.providers.openai_chat._request import build_body

__all__ = ["AzureChatAdapter"]


class AzureChatAdapter(AzureAuthorized, OpenAIChatAdapter):
    """``POST {endpoint}/openai/v1/chat/completions``; with ``api_version``, the older
    ``{endpoint}/openai/deployments/{deployment}/chat/completions?api-version=...``.

    ``LLMClient(provider="azure", model="my-gpt-4o-deployment", base_url="https://res.openai.
    azure.com")``: the model is the deployment name. ``max_tokens`` goes as
    ``max_completion_tokens`` (the reasoning deployments refuse ``max_tokens``). The content
    filter's verdicts (``prompt_filter_results``, the ``content_filter_results`` of a filtered
    answer) are kept on the stop chunk's ``provider_details``.
    """

    provider_name: ClassVar[str] = "azure"

    def url(self, request: LLMRequest) -> str:
        version = self._access.api_version
        if version is None:
            return self.endpoint("/openai/v1/chat/completions")
        deployment = checked_deployment(request.model)
        path = f"/openai/deployments/{deployment}/chat/completions"
        return self.endpoint(path, version_query(version))

    def body(self, request: LLMRequest) -> ChatCompletionRequest:
        return build_body(
            request, max_tokens_field="max_completion_tokens", provider=self.provider_name
        )

    def mapper(self, request: LLMRequest) -> AzureChatMapper:
        return AzureChatMapper(self.provider_name)

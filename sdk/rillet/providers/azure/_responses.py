"""Azure OpenAI Responses: the Responses wire and mapper at Azure's paths."""

from __future__ import annotations

from typing import ClassVar

from rillet.protocol import LLMRequest
from rillet.providers.azure._credentials import AzureAuthorized
from rillet.providers.azure._endpoint import version_query
from rillet.providers.openai_responses import OpenAIResponsesAdapter

__all__ = ["AzureResponsesAdapter"]


class AzureResponsesAdapter(AzureAuthorized, OpenAIResponsesAdapter):
    """``POST {endpoint}/openai/v1/responses``; with ``api_version``, the older
    ``{endpoint}/openai/responses?api-version=...`` (the Responses API was never under
    ``/deployments/``: the deployment goes in the body's ``model``, as the official SDK sends
    it). Credentials and endpoint as for ``provider="azure"``.
    """

    provider_name: ClassVar[str] = "azure-responses"

    def url(self, request: LLMRequest) -> str:
        version = self._access.api_version
        if version is None:
            return self.endpoint("/openai/v1/responses")
        return self.endpoint("/openai/responses", version_query(version))

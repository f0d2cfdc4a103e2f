"""Azure OpenAI: Chat Completions (``provider="azure"``) and Responses (``"azure-responses"``)."""

from rillet.providers.azure._chat import AzureChatAdapter
from rillet.providers.azure._responses import AzureResponsesAdapter

__all__ = ["AzureChatAdapter", "AzureResponsesAdapter"]

"""Azure OpenAI: the resource endpoint, the deployment path, and the credentials.

The same for Chat Completions and Responses: the endpoint comes from ``base_url`` or
``endpoint`` (options) or ``AZURE_OPENAI_ENDPOINT``; the key from ``api_key`` or
``AZURE_OPENAI_API_KEY`` (sent as ``api-key``), or, for Microsoft Entra ID, a token callable
``azure_ad_token_provider`` (sync or async, called on every request, sent as
``Authorization: Bearer``). The deployment name is the model.
"""

from __future__ import annotations

import os
import re
from urllib.parse import quote

from rillet._exceptions import ConfigurationError
from rillet.providers._token_callable import TokenCallable

__all__ = [
    "AzureTokenProvider",
    "azure_endpoint",
    "checked_deployment",
    "version_query",
]

AzureTokenProvider = TokenCallable
"""Returns a Microsoft Entra ID bearer token (e.g. azure-identity's
``get_bearer_token_provider``); called on every request."""

# A deployment name is one path segment (Azure allows letters, digits, '-', '_', '.').
_DEPLOYMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# What users paste from the portal or the OpenAI SDK's v1 examples: the API's own prefix.
_API_SUFFIX = re.compile(r"/openai(/v1)?/*$")


def azure_endpoint(base_url: str | None, endpoint: str | None) -> str:
    """The resource endpoint (``https://{resource}.openai.azure.com``), without ``/openai``."""
    if base_url and endpoint and base_url != endpoint:
        raise ConfigurationError("base_url and endpoint (options) both name the Azure endpoint")
    found = base_url or endpoint or os.environ.get("AZURE_OPENAI_ENDPOINT")
    if not found:
        raise ConfigurationError(
            "Azure OpenAI needs the resource endpoint: pass base_url=... (or "
            "options={'endpoint': ...}) or set AZURE_OPENAI_ENDPOINT"
        )
    return _API_SUFFIX.sub("", found.rstrip("/"))


def checked_deployment(model: str | None) -> str:
    model = model or ""
    if not _DEPLOYMENT.fullmatch(model):
        # It goes into the URL's path in the deployments form: "/", "?", "%" or a dot segment
        # would reach another endpoint.
        raise ConfigurationError(
            f"model {model!r} is not an Azure deployment name (letters, digits, '.', '-', '_')"
        )
    return model


def version_query(api_version: str) -> str:
    return f"api-version={quote(api_version, safe='')}"

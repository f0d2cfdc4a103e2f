"""Provider names -> adapters: the built-in ones and those registered by entry point.

A third-party package registers an adapter in its ``pyproject.toml``::

    [project.entry-points."rillet.adapters"]
    myprovider = "my_package.adapter:MyAdapter"

The target is a class with a ``from_config(config: AdapterConfig)`` classmethod, or any
callable taking an ``AdapterConfig`` and returning a ``ProviderAdapter``.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from rillet._exceptions import ConfigurationError
from rillet._redact import MIN_SECRET_CHARS, redact_headers, redact_url, request_secrets
from rillet.adapter import ProviderAdapter, as_provider_adapter
from rillet.timeout import Timeout

__all__ = [
    "ENTRY_POINT_GROUP",
    "AdapterConfig",
    "available_providers",
    "create_adapter",
    "load_adapter_factory",
]

ENTRY_POINT_GROUP = "rillet.adapters"

_BUILTIN: Mapping[str, str] = {
    "openai": "rillet.providers.openai_chat:OpenAIChatAdapter",
    "openai-responses": "rillet.providers.openai_responses:OpenAIResponsesAdapter",
    "anthropic": "rillet.providers.anthropic:AnthropicAdapter",
    "gemini": "rillet.providers.gemini:GeminiAdapter",
    "bedrock": "rillet.providers.bedrock:BedrockAdapter",
    "mock": "rillet.mock:MockAdapter",
}


@dataclass(frozen=True)
class AdapterConfig:
    """What ``LLMClient(provider=...)`` knows when it builds an adapter. Its repr shows no
    key, no credential of ``base_url`` and no value of a credential header in ``options``."""

    model: str | None = None
    api_key: str | None = field(default=None, repr=False)
    base_url: str | None = None
    timeout: Timeout = field(default_factory=Timeout)
    max_retries: int | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        options = dict(self.options)
        base_url = None if self.base_url is None else redact_url(self.base_url)
        headers = options.get("headers")
        if isinstance(headers, Mapping):
            key = [self.api_key] if self.api_key and len(self.api_key) >= MIN_SECRET_CHARS else []
            secrets = [*key, *request_secrets(headers, self.base_url or "")]
            options["headers"] = redact_headers(headers, secrets)
        return (
            f"AdapterConfig(model={self.model!r}, base_url={base_url!r}, "
            f"timeout={self.timeout!r}, max_retries={self.max_retries!r}, options={options!r})"
        )


def available_providers() -> list[str]:
    """Built-in provider names, then those registered by entry point."""
    names = list(_BUILTIN)
    names += sorted(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name not in names)
    return names


def load_adapter_factory(target: str) -> Any:
    """Import ``module:attribute`` (or a registered provider name) and return the target."""
    if ":" not in target:
        if target in _BUILTIN:
            target = _BUILTIN[target]
        else:
            found = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == target]
            if not found:
                raise ConfigurationError(
                    f"unknown provider {target!r}; known: {', '.join(available_providers())}"
                )
            return found[0].load()
    module_name, _, attribute = target.partition(":")
    try:
        module = importlib.import_module(module_name)
        return getattr(module, attribute)
    except (ImportError, AttributeError) as error:
        raise ConfigurationError(f"cannot load adapter {target!r}: {error}") from error


def create_adapter(name_or_target: str, config: AdapterConfig) -> ProviderAdapter:
    """Build the adapter for a provider name or a ``module:Class`` target."""
    factory = load_adapter_factory(name_or_target)
    from_config = getattr(factory, "from_config", None)
    adapter = from_config(config) if from_config is not None else factory(config)
    try:
        return as_provider_adapter(adapter)
    except ConfigurationError as error:
        raise ConfigurationError(f"{name_or_target!r} did not build an adapter: {error}") from None

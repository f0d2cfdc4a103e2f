"""Pure mappers: a request, a response, usage and an adapter -> GenAI attributes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from rillet.protocol import LLMRequest, LLMResponse, Usage
from rillet.telemetry import _semconv as sc

__all__ = [
    "Attributes",
    "finish_reason",
    "pick",
    "provider_name",
    "request_attributes",
    "response_attributes",
    "server_attributes",
    "token_counts",
    "usage_attributes",
]

Attributes = dict[str, Any]

_DEFAULT_PORTS = {"https": 443, "http": 80}


def provider_name(provider: str) -> str:
    """``gen_ai.provider.name`` for one of rillet's provider names."""
    return sc.PROVIDER_NAMES.get(provider, provider)


def request_attributes(operation: str, provider: str, request: LLMRequest) -> Attributes:
    """The operation, the provider and the request's settings that are set."""
    attributes: Attributes = {sc.OPERATION_NAME: operation, sc.PROVIDER_NAME: provider}
    if request.model is not None:
        attributes[sc.REQUEST_MODEL] = request.model
    if request.max_tokens is not None:
        attributes[sc.REQUEST_MAX_TOKENS] = request.max_tokens
    if request.temperature is not None:
        attributes[sc.REQUEST_TEMPERATURE] = request.temperature
    if request.top_p is not None:
        attributes[sc.REQUEST_TOP_P] = request.top_p
    if request.stop:
        attributes[sc.REQUEST_STOP_SEQUENCES] = list(request.stop)
    return attributes


def server_attributes(adapter: object) -> Attributes:
    """``server.address`` and ``server.port`` of an adapter with a ``base_url`` (HTTP ones)."""
    base_url = getattr(adapter, "base_url", None)
    if not isinstance(base_url, str):
        return {}
    try:
        parts = urlsplit(base_url)
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
    except ValueError:  # a malformed URL fails the call itself; telemetry stays quiet
        return {}
    if not parts.hostname:
        return {}
    attributes: Attributes = {sc.SERVER_ADDRESS: parts.hostname}
    if port is not None:
        attributes[sc.SERVER_PORT] = port
    return attributes


def finish_reason(response: LLMResponse) -> str | None:
    """The response's finish reason in the conventions' words."""
    if response.finish_reason is None:
        return None
    reason = response.finish_reason.value
    mapped = sc.FINISH_REASONS.get(reason)
    return mapped if mapped is not None else (response.provider_finish_reason or reason)


def response_attributes(provider: str, response: LLMResponse) -> Attributes:
    """What the (possibly partial) response says: id, model, finish reason, usage."""
    attributes: Attributes = {}
    if response.id:
        attributes[sc.RESPONSE_ID] = response.id
    if response.model:
        attributes[sc.RESPONSE_MODEL] = response.model
    reason = finish_reason(response)
    if reason is not None:
        attributes[sc.RESPONSE_FINISH_REASONS] = [reason]
    if response.usage is not None:
        attributes.update(usage_attributes(provider, response.usage))
    return attributes


def token_counts(provider: str, usage: Usage) -> tuple[int, int]:
    """Input and output tokens as the conventions count them: cached input tokens and
    reasoning tokens included, where the provider reports them apart."""
    input_tokens, output_tokens = usage.input_tokens, usage.output_tokens
    if provider == "anthropic":  # Anthropic's input_tokens leaves out cache reads and writes
        input_tokens += (usage.cached_input_tokens or 0) + (usage.cache_creation_input_tokens or 0)
    elif provider == "gcp.gemini":  # Gemini's candidatesTokenCount leaves out thoughts
        output_tokens += usage.reasoning_tokens or 0
    return input_tokens, output_tokens


def usage_attributes(provider: str, usage: Usage) -> Attributes:
    input_tokens, output_tokens = token_counts(provider, usage)
    attributes: Attributes = {
        sc.USAGE_INPUT_TOKENS: input_tokens,
        sc.USAGE_OUTPUT_TOKENS: output_tokens,
    }
    for key, value in (
        (sc.USAGE_CACHE_READ_INPUT_TOKENS, usage.cached_input_tokens),
        (sc.USAGE_CACHE_CREATION_INPUT_TOKENS, usage.cache_creation_input_tokens),
        (sc.USAGE_REASONING_OUTPUT_TOKENS, usage.reasoning_tokens),
    ):
        if value is not None:
            attributes[key] = value
    return attributes


def pick(attributes: Attributes, keys: Iterable[str]) -> Attributes:
    """The entries of ``attributes`` under ``keys`` (those present)."""
    return {key: attributes[key] for key in keys if key in attributes}

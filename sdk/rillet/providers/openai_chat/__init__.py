"""OpenAI Chat Completions, and the many servers that speak it (Groq, OpenRouter, vLLM, ...)."""

from __future__ import annotations

from typing import Any, ClassVar

from rillet._error_kinds import ErrorTypes
from rillet._generated.wire_dicts.openai_chat_request_schema import ChatCompletionRequest
from rillet.protocol import LLMRequest
from rillet.providers._http_adapter import HTTPAdapter
from rillet.providers._openai_models import apply_model_rules, at_openai
from rillet.providers.openai_chat._errors import ERROR_TYPES
from rillet.providers.openai_chat._mapper import ChatMapper
from rillet.providers.openai_chat._request import MaxTokensField, build_body

__all__ = ["OpenAIChatAdapter"]


class OpenAIChatAdapter(HTTPAdapter):
    """``POST {base_url}/chat/completions``; ``base_url`` includes ``/v1``, as in the official SDK.

    Usage is requested (``stream_options.include_usage``). ``max_tokens`` is sent as
    ``max_completion_tokens`` to OpenAI itself (its reasoning models refuse ``max_tokens``) and
    as ``max_tokens`` to other servers, which do not all know the newer name. At OpenAI, a
    reasoning model's refusals are caught before sending (``_openai_models``).
    """

    provider_name: ClassVar[str] = "openai"
    api_key_env: ClassVar[tuple[str, ...]] = ("OPENAI_API_KEY",)
    base_url_env: ClassVar[str | None] = "OPENAI_BASE_URL"
    default_base_url: ClassVar[str] = "https://api.openai.com/v1"
    error_types: ClassVar[ErrorTypes] = ERROR_TYPES
    native_output: ClassVar[bool] = True

    def url(self, request: LLMRequest) -> str:
        return self.endpoint("/chat/completions")

    def headers(self, api_key: str) -> dict[str, str]:
        return {"authorization": f"Bearer {api_key}"}

    def body(self, request: LLMRequest) -> ChatCompletionRequest:
        field: MaxTokensField = (
            "max_completion_tokens" if at_openai(self.base_url) else "max_tokens"
        )
        return build_body(request, max_tokens_field=field, provider=self.provider_name)

    def mapper(self, request: LLMRequest) -> ChatMapper:
        return ChatMapper(self.provider_name)

    def model_rules(self, body: dict[str, Any]) -> dict[str, Any]:
        effort = body.get("reasoning_effort")
        return apply_model_rules(body, base_url=self.base_url, effort=effort)

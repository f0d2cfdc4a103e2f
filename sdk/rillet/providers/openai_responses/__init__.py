"""OpenAI Responses API (``POST /v1/responses``), streamed as typed server-sent events."""

from __future__ import annotations

from typing import Any, ClassVar

from rillet._error_kinds import ErrorTypes
from rillet._generated.wire_dicts.openai_responses_request_schema import ResponseCreateRequest
from rillet.protocol import LLMRequest
from rillet.providers._http_adapter import HTTPAdapter
from rillet.providers._openai_models import apply_model_rules, responses_effort
from rillet.providers.openai_responses._errors import ERROR_TYPES
from rillet.providers.openai_responses._mapper import ResponsesMapper
from rillet.providers.openai_responses._request import PROVIDER, build_body

__all__ = ["OpenAIResponsesAdapter"]


class OpenAIResponsesAdapter(HTTPAdapter):
    """``POST {base_url}/responses``; ``base_url`` includes ``/v1``, as in the official SDK.

    Stateless: every request has ``store: false`` and carries the whole conversation, with
    earlier reasoning sent back as its encrypted content.
    """

    provider_name: ClassVar[str] = PROVIDER
    api_key_env: ClassVar[tuple[str, ...]] = ("OPENAI_API_KEY",)
    base_url_env: ClassVar[str | None] = "OPENAI_BASE_URL"
    default_base_url: ClassVar[str] = "https://api.openai.com/v1"
    error_types: ClassVar[ErrorTypes] = ERROR_TYPES
    native_output: ClassVar[bool] = True

    def url(self, request: LLMRequest) -> str:
        return self.endpoint("/responses")

    def headers(self, api_key: str) -> dict[str, str]:
        return {"authorization": f"Bearer {api_key}"}

    def body(self, request: LLMRequest) -> ResponseCreateRequest:
        return build_body(request, provider=self.provider_name)

    def mapper(self, request: LLMRequest) -> ResponsesMapper:
        return ResponsesMapper(self.provider_name)

    def model_rules(self, body: dict[str, Any]) -> dict[str, Any]:
        effort = responses_effort(body)
        return apply_model_rules(body, base_url=self.base_url, effort=effort)

"""Anthropic Messages (``POST /v1/messages`` with ``stream: true``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from rillet._error_kinds import ErrorTypes
from rillet._generated.wire_dicts.anthropic_request_schema import MessageCreateRequest
from rillet.protocol import LLMRequest
from rillet.providers._http_adapter import HTTPAdapter
from rillet.providers.anthropic._errors import ERROR_TYPES
from rillet.providers.anthropic._mapper import AnthropicMapper
from rillet.providers.anthropic._request import build_body
from rillet.providers.anthropic._rules import apply_model_rules

__all__ = ["DEFAULT_ANTHROPIC_VERSION", "AnthropicAdapter"]

DEFAULT_ANTHROPIC_VERSION = "2023-06-01"


class AnthropicAdapter(HTTPAdapter):
    """``POST {base_url}/v1/messages``; ``base_url`` has no ``/v1``, as in the official SDK.

    The key goes in ``x-api-key``. ``anthropic_version`` sets the ``anthropic-version`` header;
    ``anthropic_beta`` (one name or several) sets ``anthropic-beta``.
    ``eager_input_streaming=True`` asks for fine-grained tool streaming on every tool: input
    streamed without Anthropic's buffering and JSON validation, so the complete input may not
    be JSON (after ``max_tokens``, say), which the response raises as
    ``InvalidToolArgumentsError`` with the raw text. One tool alone: send ``tools`` whole in
    ``provider_options`` with ``"eager_input_streaming": true`` on it. Every other keyword is
    the ``HTTPAdapter``'s (``headers=`` still overrides any header set here).
    """

    provider_name: ClassVar[str] = "anthropic"
    api_key_env: ClassVar[tuple[str, ...]] = ("ANTHROPIC_API_KEY",)
    base_url_env: ClassVar[str | None] = "ANTHROPIC_BASE_URL"
    default_base_url: ClassVar[str] = "https://api.anthropic.com"
    error_types: ClassVar[ErrorTypes] = ERROR_TYPES
    native_output: ClassVar[bool] = True

    def __init__(
        self,
        *,
        anthropic_version: str = DEFAULT_ANTHROPIC_VERSION,
        anthropic_beta: str | Sequence[str] | None = None,
        eager_input_streaming: bool = False,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self._eager_input_streaming = eager_input_streaming
        self._version = anthropic_version
        beta = [anthropic_beta] if isinstance(anthropic_beta, str) else list(anthropic_beta or ())
        self._beta = ",".join(beta)

    def url(self, request: LLMRequest) -> str:
        return self.endpoint("/v1/messages")

    def headers(self, api_key: str) -> dict[str, str]:
        headers = {"x-api-key": api_key, "anthropic-version": self._version}
        if self._beta:
            headers["anthropic-beta"] = self._beta
        return headers

    def body(self, request: LLMRequest) -> MessageCreateRequest:
        return build_body(
            request,
            provider=self.provider_name,
            eager_input_streaming=self._eager_input_streaming,
        )

    def mapper(self, request: LLMRequest) -> AnthropicMapper:
        return AnthropicMapper(self.provider_name)

    def model_rules(self, body: dict[str, Any]) -> dict[str, Any]:
        return apply_model_rules(body)

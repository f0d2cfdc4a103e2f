"""``LLMClient``: ``stream()`` and ``call()`` over any provider adapter."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

from rillet._exceptions import ConfigurationError
from rillet.adapter import CallOptions, ProviderAdapter
from rillet.protocol import (
    LLMRequest,
    LLMResponse,
    Message,
    ReasoningOptions,
    ToolDefinition,
    parse_messages,
)
from rillet.registry import AdapterConfig, create_adapter
from rillet.streaming import StreamingLLMResponse
from rillet.transport import Timeout

__all__ = ["LLMClient"]

MessagesInput = Sequence[Message | Mapping[str, Any]] | str
ToolsInput = Sequence[ToolDefinition | Mapping[str, Any]]


class LLMClient:
    """Streams from one provider.

    Give an adapter (``LLMClient(MockAdapter(...))``) or a provider name
    (``LLMClient(provider="anthropic", model=...)``): the key then comes from ``api_key`` or
    the provider's usual environment variable. ``timeout`` (a ``Timeout``, or a number meaning
    the idle timeout) and ``max_retries`` are the defaults for every call; each call may
    override them.
    """

    def __init__(
        self,
        adapter: ProviderAdapter | None = None,
        *,
        provider: str | None = None,
        model: str | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        if adapter is None:
            if provider is None:
                raise ConfigurationError("LLMClient needs an adapter or a provider name")
            adapter = create_adapter(
                provider,
                AdapterConfig(
                    model=model,
                    api_key=api_key,
                    base_url=base_url,
                    timeout=Timeout.coerce(timeout),
                    max_retries=max_retries,
                    options=dict(options or {}),
                ),
            )
        elif provider is not None and provider != adapter.provider:
            raise ConfigurationError(
                f"provider={provider!r} does not match the adapter's {adapter.provider!r}"
            )
        self._adapter = adapter
        self._model = model
        self._timeout = None if timeout is None else Timeout.coerce(timeout)
        self._max_retries = max_retries

    @property
    def adapter(self) -> ProviderAdapter:
        return self._adapter

    @property
    def provider(self) -> str:
        return self._adapter.provider

    def __repr__(self) -> str:
        return f"LLMClient(provider={self.provider!r}, model={self._model!r})"

    def build_request(
        self,
        messages: MessagesInput,
        *,
        model: str | None = None,
        tools: ToolsInput | None = None,
        tool_choice: str | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        stop: Sequence[str] | None = None,
        reasoning: ReasoningOptions | Mapping[str, Any] | None = None,
        provider_options: Mapping[str, Any] | None = None,
    ) -> LLMRequest:
        """The neutral request for ``messages`` (plain dicts or request models) and options."""
        if isinstance(messages, str):
            messages = [{"role": "user", "content": messages}]
        return LLMRequest.model_validate(
            {
                "model": model or self._model,
                "messages": parse_messages(messages),
                "tools": [
                    t if isinstance(t, ToolDefinition) else ToolDefinition.model_validate(t)
                    for t in tools or ()
                ],
                "tool_choice": tool_choice,
                "max_tokens": max_tokens,
                "temperature": temperature,
                "top_p": top_p,
                "stop": list(stop or ()),
                "reasoning": reasoning,
                "provider_options": dict(provider_options or {}),
            }
        )

    def stream(
        self,
        messages: MessagesInput | LLMRequest,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        **options: Any,
    ) -> StreamingLLMResponse:
        """Stream a response: ``async with client.stream(msgs) as s: async for chunk in s``.

        ``options`` are those of ``build_request`` (model, tools, max_tokens, ...).
        """
        request = (
            messages
            if isinstance(messages, LLMRequest)
            else self.build_request(messages, **options)
        )
        if request.model is None and self._model is not None:
            request = request.model_copy(update={"model": self._model})
        call_options = CallOptions(
            timeout=Timeout.coerce(timeout) if timeout is not None else self._timeout,
            max_retries=max_retries if max_retries is not None else self._max_retries,
        )
        return StreamingLLMResponse(self._adapter.stream(request, call_options))

    async def call(
        self,
        messages: MessagesInput | LLMRequest,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        **options: Any,
    ) -> LLMResponse:
        """The whole response at once (streamed underneath)."""
        async with self.stream(
            messages, timeout=timeout, max_retries=max_retries, **options
        ) as stream:
            return await stream.get_response()

    async def aclose(self) -> None:
        """Close the adapter's connections (a session passed in by the user stays open)."""
        await self._adapter.aclose()

    async def __aenter__(self) -> LLMClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

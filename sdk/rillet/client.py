"""``LLMClient``: ``stream()`` and ``call()`` over any provider adapter."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any, TypeVar, overload

from pydantic import TypeAdapter, ValidationError
from typing_extensions import Unpack

from rillet._arguments import check_max_retries, invalid_argument
from rillet._closing import AsyncClosing
from rillet._exceptions import ConfigurationError
from rillet._keep_frames import KeepFrames
from rillet._request_options import (
    MessagesInput,
    RequestOptions,
    ToolsInput,
    check_option_names,
    merge_options,
)
from rillet.adapter import CallSettings, ProviderAdapter, as_provider_adapter
from rillet.output._spec import OutputModeName, OutputSpec
from rillet.output._stream import (
    StructuredResponse,
    StructuredStream,
    tool_output_batches,
    tool_output_request,
)
from rillet.protocol import (
    LLMRequest,
    LLMResponse,
    StreamChunk,
    ToolDefinition,
    parse_messages,
)
from rillet.registry import AdapterConfig, create_adapter
from rillet.streaming import StreamingLLMResponse
from rillet.telemetry import _hooks as _telemetry
from rillet.telemetry import instrument_from_environment
from rillet.timeout import Timeout

__all__ = ["LLMClient", "MessagesInput", "RequestOptions", "ToolsInput"]

_TOOLS: TypeAdapter[list[ToolDefinition]] = TypeAdapter(list[ToolDefinition])
T = TypeVar("T")


class LLMClient(AsyncClosing):
    """Streams from one provider.

    Give an adapter (``LLMClient(MockAdapter(...))``) or a provider name
    (``LLMClient(provider="anthropic", model=...)``): the key then comes from ``api_key`` or
    the provider's usual environment variable. ``timeout`` (a ``Timeout``, or a number meaning
    the idle timeout) and ``max_retries`` are the defaults for every call; each call may
    override them.

    ``options`` are the adapter's own settings, for the adapter the client builds from
    ``provider`` (with an adapter given, they, ``api_key`` and ``base_url`` are a
    ``ConfigurationError``: set on the adapter): they become ``AdapterConfig.options``. A
    built-in adapter takes them as keyword arguments of its class (``{"sse": False}``: Gemini's
    JSON-array form; ``{"anthropic_beta": ...}``: Anthropic's beta header; ``{"headers": {...}}``
    or ``{"session": ...}``: any of them), a registered one as its ``from_config`` reads them.
    They are not request fields: those are the keyword arguments of ``stream()`` and ``call()``,
    ``provider_options`` among them (extra fields of the request body).

    Memory: by default a stream keeps the last 16 wire frames (``FRAME_WINDOW``; errors carry
    them) and the whole text (``stream.response``). ``keep_frames="all"`` keeps every frame
    (the whole body, to debug a stream from its first byte); ``keep_frames=False`` none, and
    ``keep_text=False`` no text (here, for every call, or per call), so that a consumer who
    keeps what it needs itself streams in memory that does not grow with the stream.

    Every argument is checked before anything is sent: a bad one is a ``ConfigurationError``
    naming it (``RequestValidationError`` for messages, tools and request fields).
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
        keep_frames: KeepFrames = True,
        keep_text: bool = True,
    ) -> None:
        instrument_from_environment()
        checked_timeout = None if timeout is None else Timeout.coerce(timeout)
        max_retries = check_max_retries(max_retries)
        if adapter is None:
            if provider is None:
                raise ConfigurationError("LLMClient needs an adapter or a provider name")
            adapter = create_adapter(
                provider,
                AdapterConfig(
                    model=model,
                    api_key=api_key,
                    base_url=base_url,
                    timeout=checked_timeout or Timeout(),
                    max_retries=max_retries,
                    options=dict(options or {}),
                ),
            )
        else:
            ignored = [
                name
                for name, value in (
                    ("api_key", api_key),
                    ("base_url", base_url),
                    ("options", options),
                )
                if value is not None
            ]
            if ignored:  # they configure the adapter built from a provider name; one is given
                raise ConfigurationError(
                    f"{', '.join(ignored)} cannot be used with an adapter given: they configure "
                    "the adapter LLMClient builds from provider=...; give them to the adapter"
                )
            adapter = as_provider_adapter(adapter)
            if provider is not None and provider != adapter.provider:
                raise ConfigurationError(
                    f"provider={provider!r} does not match the adapter's {adapter.provider!r}"
                )
        self._adapter = adapter
        self._model = model
        self._timeout = checked_timeout
        self._max_retries = max_retries
        self._keep_frames = keep_frames
        self._keep_text = keep_text

    @property
    def adapter(self) -> ProviderAdapter:
        return self._adapter

    @property
    def provider(self) -> str:
        return self._adapter.provider

    def __repr__(self) -> str:
        return f"LLMClient(provider={self.provider!r}, model={self._model!r})"

    def build_request(
        self, messages: MessagesInput, **fields: Unpack[RequestOptions]
    ) -> LLMRequest:
        """The neutral request for ``messages`` (plain dicts or request models) and the fields
        (``RequestOptions``: model, tools, tool_choice, max_tokens, temperature, top_p, stop,
        reasoning, provider_options); an invalid one is a ``RequestValidationError`` naming
        it, an unknown name a ``ConfigurationError``."""
        check_option_names(fields)
        if isinstance(messages, str):
            messages = [{"role": "user", "content": messages}]
        elif isinstance(messages, Iterator):  # read once: a failure validates it again
            messages = list(messages)
        tools = list(fields.get("tools") or ())
        stop = fields.get("stop")
        fields_given = {
            "model": fields.get("model") or self._model,
            "tool_choice": fields.get("tool_choice"),
            "max_tokens": fields.get("max_tokens"),
            "temperature": fields.get("temperature"),
            "top_p": fields.get("top_p"),
            "stop": [stop] if isinstance(stop, str) else list(stop or ()),
            "reasoning": fields.get("reasoning"),
            "provider_options": dict(fields.get("provider_options") or {}),
        }
        try:
            # One validation: the request's fields validate messages and tools as the
            # separate steps below do, which run only to name the argument at fault.
            return LLMRequest.model_validate({"messages": messages, "tools": tools, **fields_given})
        except ValidationError:
            pass
        try:
            parsed = parse_messages(messages)
        except ValidationError as error:
            raise invalid_argument(error, "messages") from error
        try:
            definitions = _TOOLS.validate_python(tools)
        except ValidationError as error:
            raise invalid_argument(error, "tools") from error
        try:
            return LLMRequest.model_validate(
                {"messages": parsed, "tools": definitions, **fields_given}
            )
        except ValidationError as error:
            raise invalid_argument(error) from error

    @overload
    def stream(
        self,
        messages: MessagesInput | LLMRequest,
        *,
        output: type[T] | OutputSpec[T],
        output_mode: OutputModeName = "auto",
        output_name: str | None = None,
        output_strict: bool = True,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        keep_frames: KeepFrames | None = None,
        keep_text: bool | None = None,
        **request_fields: Unpack[RequestOptions],
    ) -> StructuredStream[T]: ...

    @overload
    def stream(
        self,
        messages: MessagesInput | LLMRequest,
        *,
        output: Mapping[str, Any],
        output_mode: OutputModeName = "auto",
        output_name: str | None = None,
        output_strict: bool = True,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        keep_frames: KeepFrames | None = None,
        keep_text: bool | None = None,
        **request_fields: Unpack[RequestOptions],
    ) -> StructuredStream[dict[str, Any]]: ...

    @overload
    def stream(
        self,
        messages: MessagesInput | LLMRequest,
        *,
        output: None = None,
        output_mode: OutputModeName = "auto",
        output_name: str | None = None,
        output_strict: bool = True,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        keep_frames: KeepFrames | None = None,
        keep_text: bool | None = None,
        **request_fields: Unpack[RequestOptions],
    ) -> StreamingLLMResponse: ...

    def stream(
        self,
        messages: MessagesInput | LLMRequest,
        *,
        output: type[Any] | Mapping[str, Any] | OutputSpec[Any] | None = None,
        output_mode: OutputModeName = "auto",
        output_name: str | None = None,
        output_strict: bool = True,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        keep_frames: KeepFrames | None = None,
        keep_text: bool | None = None,
        **request_fields: Unpack[RequestOptions],
    ) -> StreamingLLMResponse:
        """Stream a response: ``async with client.stream(msgs) as s: async for chunk in s``.

        ``request_fields`` are the keyword arguments of ``build_request`` (model, tools,
        max_tokens, ...); with an ``LLMRequest`` they are merged into it, and one the request
        already sets to another value is a ``ConfigurationError``. An unknown name is a
        ``ConfigurationError`` too.
        ``keep_frames``: the wire frames kept for errors: the last 16 (True), all of them
        (``"all"``), none (False). ``keep_text=False``: ``stream.response`` keeps no content or
        reasoning text (tool calls, usage and the rest are still kept). None: the client's
        setting.

        ``output``: a pydantic model class, any type a pydantic ``TypeAdapter`` takes, or a
        JSON Schema: the answer is asked for as JSON that fits it, and the stream is a
        ``StructuredStream`` (typed partial values as they arrive, the validated value at the
        end). ``output_mode``: ``native`` (the provider's structured-output form), ``tool``
        (one forced tool whose arguments are the output) or ``auto`` (native where the adapter
        has it). ``output_name`` names the schema (default: the type's name);
        ``output_strict=False`` asks the provider not to enforce it. An ``OutputSpec`` may be
        given as ``output`` (the ``output_*`` arguments are then its own). An ``LLMRequest``
        that carries ``output`` itself is streamed as a ``StructuredStream[dict[str, Any]]``
        (its value is JSON, unwrapped when the format is wrapped; its ``mode`` is honoured).
        """
        if isinstance(messages, LLMRequest):
            check_option_names(request_fields)
            request = self._with_options(messages, request_fields)
        else:
            request = self.build_request(messages, **request_fields)
        if request.model is None and self._model is not None:
            request = request.model_copy(update={"model": self._model})
        max_retries = check_max_retries(max_retries)
        settings = CallSettings(
            timeout=Timeout.coerce(timeout) if timeout is not None else self._timeout,
            max_retries=max_retries if max_retries is not None else self._max_retries,
            keep_frames=self._keep_frames if keep_frames is None else keep_frames,
        )
        keep = self._keep_text if keep_text is None else keep_text
        if isinstance(output, OutputSpec):
            return self._structured(request, output, settings, keep)
        if output is not None:
            return self._structured(
                request,
                OutputSpec(output, name=output_name, strict=output_strict, mode=output_mode),
                settings,
                keep,
            )
        if request.output is not None:  # an LLMRequest(output=...) given whole: read it as JSON
            return self._structured(request, OutputSpec.from_format(request.output), settings, keep)
        batches = self._adapter.stream_batches(request, settings)
        telemetry = _telemetry.chat
        if telemetry is not None:
            return telemetry.stream(self._adapter, request, batches, keep)
        return StreamingLLMResponse(batches=batches, keep_text=keep)

    def _structured(
        self, request: LLMRequest, spec: OutputSpec[T], settings: CallSettings, keep_text: bool
    ) -> StructuredStream[T]:
        if not keep_text:
            raise ConfigurationError(
                "output= needs the response's text: keep_text=False cannot be used with it"
            )
        if request.output is not None and request.output != spec.format:
            raise ConfigurationError(
                "output is set both by the LLMRequest and as output=: give it once"
            )
        request = request.model_copy(update={"output": spec.format})
        native = bool(getattr(self._adapter, "native_output", False))
        if spec.format.mode.value == "native" and not native:
            raise ConfigurationError(
                f"{self._adapter.provider} has no native structured output: use "
                "output_mode='tool' or 'auto'"
            )
        batches: AsyncIterator[Sequence[StreamChunk]]
        if spec.format.mode.value == "tool" or not native:
            request = tool_output_request(request)
            batches = tool_output_batches(
                self._adapter.stream_batches(request, settings), spec.name
            )
        else:
            batches = self._adapter.stream_batches(request, settings)
        telemetry = _telemetry.chat
        if telemetry is not None:
            return telemetry.structured_stream(self._adapter, request, batches, spec)
        return StructuredStream(spec, batches=batches)

    @overload
    async def call(
        self,
        messages: MessagesInput | LLMRequest,
        *,
        output: type[T] | OutputSpec[T],
        output_mode: OutputModeName = "auto",
        output_name: str | None = None,
        output_strict: bool = True,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        **request_fields: Unpack[RequestOptions],
    ) -> StructuredResponse[T]: ...

    @overload
    async def call(
        self,
        messages: MessagesInput | LLMRequest,
        *,
        output: Mapping[str, Any],
        output_mode: OutputModeName = "auto",
        output_name: str | None = None,
        output_strict: bool = True,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        **request_fields: Unpack[RequestOptions],
    ) -> StructuredResponse[dict[str, Any]]: ...

    @overload
    async def call(
        self,
        messages: MessagesInput | LLMRequest,
        *,
        output: None = None,
        output_mode: OutputModeName = "auto",
        output_name: str | None = None,
        output_strict: bool = True,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        **request_fields: Unpack[RequestOptions],
    ) -> LLMResponse: ...

    async def call(
        self,
        messages: MessagesInput | LLMRequest,
        *,
        output: type[Any] | Mapping[str, Any] | OutputSpec[Any] | None = None,
        output_mode: OutputModeName = "auto",
        output_name: str | None = None,
        output_strict: bool = True,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        **request_fields: Unpack[RequestOptions],
    ) -> LLMResponse:
        """The whole response at once (streamed underneath); with ``output``, a
        ``StructuredResponse`` whose ``output`` is the validated value (see ``stream``)."""
        async with self.stream(
            messages,
            output=output,
            output_mode=output_mode,
            output_name=output_name,
            output_strict=output_strict,
            timeout=timeout,
            max_retries=max_retries,
            **request_fields,
        ) as stream:
            return await stream.get_response()

    def _with_options(self, request: LLMRequest, options: RequestOptions) -> LLMRequest:
        """``request`` with ``options`` merged in (validated as ``build_request`` would)."""
        names = [name for name, value in options.items() if value is not None]
        if not names:
            return request
        given = self.build_request([], **options)
        return merge_options(request, given, names)

    async def aclose(self) -> None:
        """Close the adapter's connections (a session passed in by the user stays open)."""
        await self._adapter.aclose()

"""``AgentRuntime`` runs a strategy and delivers its events; ``RuntimeBuilder`` makes one.

    runtime = (
        RuntimeBuilder()
        .with_client(client)
        .with_tools(get_weather)
        .with_on_event(print_event)
        .build()
    )
    result = await runtime.run("What's the weather in Paris?")
    result.response.text, result.messages

    async with runtime.events("...") as events:   # the same events, pulled
        async for event in events:
            ...

Every run emits ``AGENT_RUN_START`` first and exactly one terminal event last:
``AGENT_RUN_END`` (``run`` returns the ``AgentResult``), ``AGENT_ERROR`` (``run`` raises the
error: a ``RilletError`` from the model call, or ``MaxStepsExceededError``) or
``AGENT_CANCELLED``. Cancelling ``run`` cancels the in-flight model stream (closing its
connection) and tool calls, emits ``AGENT_CANCELLED``, and re-raises ``CancelledError``.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, Generic, TypeVar, cast, overload

from typing_extensions import Unpack

from rillet._closing import AsyncClosing
from rillet._deprecation import RenamedAttribute, warn_renamed
from rillet._exceptions import ConfigurationError, RilletError
from rillet._request_options import check_option_names
from rillet.agent._output import RunOutput
from rillet.agent.context import RunContext
from rillet.agent.events import (
    AgentCancelledEvent,
    AgentErrorEvent,
    AgentEvent,
    AgentRunEndEvent,
    AgentRunStartEvent,
)
from rillet.agent.executor import CallbackPolicy, EventCallback, EventDispatcher, EventSink
from rillet.agent.result import AgentResult, OutputT
from rillet.agent.strategy import Strategy, ToolLoopStrategy
from rillet.agent.sync import SyncRuntime
from rillet.agent.tools import AgentTool, ToolInput, as_tool
from rillet.client import LLMClient, RequestOptions
from rillet.output._spec import OutputModeName, OutputSpec
from rillet.protocol import Message, SystemMessage, UserMessage, parse_messages
from rillet.sync import SyncLLMClient
from rillet.telemetry import _hooks as _telemetry

__all__ = ["AgentEventStream", "AgentRuntime", "RunInput", "RuntimeBuilder"]

RunInput = str | Sequence[Message | Mapping[str, Any]]
"""A user prompt, or a conversation (request models or plain dicts)."""

DEFAULT_MAX_STEPS = 10
T = TypeVar("T")


class AgentRuntime(Generic[OutputT]):
    """Runs conversations with tools; build one with ``RuntimeBuilder``. Reusable, and runs
    may go on concurrently: each has its own state and event delivery.

    ``output`` (an ``OutputSpec``; ``RuntimeBuilder.with_output``) asks each run for a
    structured answer: ``result.output`` is its validated value, an ``OutputT``.

    ``request_fields`` go to ``LLMClient.build_request`` for every turn (``model``,
    ``max_tokens``, ...); ``callback_policy`` says how events reach callbacks. ``name`` names
    the agent in telemetry (``invoke_agent {name}`` spans).
    ``request_options`` and ``callback_options`` are their deprecated names.
    """

    request_options = RenamedAttribute[dict[str, Any]]("request_fields")
    callback_options = RenamedAttribute[CallbackPolicy]("callback_policy")

    def __init__(
        self,
        client: LLMClient,
        *,
        tools: Sequence[AgentTool] = (),
        callbacks: Sequence[EventCallback] = (),
        strategy: Strategy | None = None,
        max_steps: int = DEFAULT_MAX_STEPS,
        system_prompt: str | None = None,
        request_fields: Mapping[str, Any] | None = None,
        callback_policy: CallbackPolicy | None = None,
        events_queue_size: int = 256,
        name: str | None = None,
        output: OutputSpec[OutputT] | None = None,
        request_options: Mapping[str, Any] | None = None,
        callback_options: CallbackPolicy | None = None,
    ) -> None:
        if request_options is not None:
            warn_renamed("AgentRuntime(request_options=...)", "request_fields=...")
            request_fields = request_options if request_fields is None else request_fields
        if callback_options is not None:
            warn_renamed("AgentRuntime(callback_options=...)", "callback_policy=...")
            callback_policy = callback_options if callback_policy is None else callback_policy
        if max_steps < 1:
            raise ConfigurationError(f"max_steps must be at least 1, not {max_steps}")
        self.client = client
        self.tools: dict[str, AgentTool] = {}
        for item in tools:
            if item.name in self.tools:
                raise ConfigurationError(f"two tools are named {item.name!r}")
            self.tools[item.name] = item
        self.callbacks = list(callbacks)
        self.strategy: Strategy = strategy or ToolLoopStrategy()
        self.max_steps = max_steps
        self.system_prompt = system_prompt
        self.request_fields = dict(request_fields or {})
        self.callback_policy = callback_policy or CallbackPolicy()
        self.events_queue_size = events_queue_size
        self.name = name
        self.output: RunOutput | None = None
        if output is not None:
            self.output = RunOutput(
                output,
                native_output=bool(getattr(client.adapter, "native_output", False)),
                provider=client.provider,
                tool_names=list(self.tools),
                request_fields=self.request_fields,
            )

    async def run(
        self, prompt: RunInput, *, on_event: EventCallback | None = None
    ) -> AgentResult[OutputT]:
        """Run to the end: the ``AgentResult``, or the error the run ended in.

        ``on_event`` is one more callback, for this run only.
        """
        return await self._execute(prompt, extra=[on_event] if on_event else [])

    def events(self, prompt: RunInput) -> AgentEventStream[OutputT]:
        """The run's events, pulled: ``async with runtime.events(p) as events: async for ...``.

        The run starts at the first ``__anext__`` and goes at the reader's pace (its queue is
        bounded); after the terminal event iteration ends, or raises the run's error.
        Closing the iterator early cancels the run. Callbacks still get every event.
        """
        return AgentEventStream(self, prompt)

    def _messages(self, prompt: RunInput) -> list[Message]:
        messages: list[Message] = (
            [UserMessage(role="user", content=prompt)]
            if isinstance(prompt, str)
            else parse_messages(list(prompt))
        )
        if self.system_prompt and not (messages and isinstance(messages[0], SystemMessage)):
            messages.insert(0, SystemMessage(role="system", content=self.system_prompt))
        return messages

    async def _execute(
        self,
        prompt: RunInput,
        *,
        extra: Sequence[EventCallback] = (),
        sink: EventSink | None = None,
    ) -> AgentResult[OutputT]:
        dispatcher = EventDispatcher(
            f"run_{secrets.token_hex(8)}",
            [*self.callbacks, *extra],
            self.callback_policy,
            sink,
        )
        run = RunContext(
            client=self.client,
            tools=self.tools,
            messages=self._messages(prompt),
            max_steps=self.max_steps,
            dispatcher=dispatcher,
            request_fields=self.request_fields,
            output=self.output,
        )
        dispatcher.start()
        try:
            await run.emit(
                AgentRunStartEvent,
                provider=self.client.provider,
                model=self.request_fields.get("model"),
                tools=list(self.tools),
                max_steps=self.max_steps,
                stream=self.strategy.stream,
            )
            telemetry = _telemetry.agent
            result = await (
                self.strategy.execute(run)
                if telemetry is None
                else telemetry.invoke_agent(self, run, lambda: self.strategy.execute(run))
            )
            if self.output is not None and not run.output_given:
                raise ConfigurationError(
                    f"the strategy {type(self.strategy).__name__} gave no structured output: "
                    "with_output needs a strategy that reads run.output (ToolLoopStrategy does)"
                )
            await run.emit(
                AgentRunEndEvent, response=result.response, steps=result.steps, usage=result.usage
            )
            return cast("AgentResult[OutputT]", result)
        except asyncio.CancelledError:
            await run.emit(
                AgentCancelledEvent, block=False, steps=run.steps, response=run.last_response()
            )
            raise
        except Exception as error:
            partial = error.partial if isinstance(error, RilletError) else None
            await run.emit(
                AgentErrorEvent,
                steps=run.steps,
                error_type=type(error).__name__,
                code=error.error_code if isinstance(error, RilletError) else None,
                message=str(error),
                retryable=isinstance(error, RilletError) and error.retryable,
                response=partial or run.last_response(),
            )
            raise
        finally:
            await dispatcher.close()


class AgentEventStream(AsyncClosing, Generic[OutputT]):
    """An async iterator of one run's events, and an async context manager that ends the run.

    ``result`` is the ``AgentResult`` once the run has ended well.
    """

    def __init__(self, runtime: AgentRuntime[OutputT], prompt: RunInput) -> None:
        self._runtime = runtime
        self._prompt = prompt
        self._sink = EventSink(runtime.events_queue_size)
        self._task: asyncio.Task[None] | None = None
        self._result: AgentResult[OutputT] | None = None
        self._error: BaseException | None = None
        self._ended = False

    @property
    def result(self) -> AgentResult[OutputT]:
        if self._result is None:
            raise RuntimeError("the run has not ended well (yet)")
        return self._result

    async def _produce(self) -> None:
        try:
            self._result = await self._runtime._execute(self._prompt, sink=self._sink)
        except asyncio.CancelledError:
            self._sink.closed = True  # no reader waits for the end: never block on it
            raise
        except Exception as error:
            self._error = error
        await self._sink.put(None)

    def __aiter__(self) -> AsyncIterator[AgentEvent]:
        return self

    async def __anext__(self) -> AgentEvent:
        if self._ended:
            raise StopAsyncIteration
        if self._task is None:
            self._task = asyncio.create_task(self._produce(), name="rillet-agent-run")
        event = await self._sink.queue.get()
        if event is None:
            self._ended = True
            await self._task
            error, self._error = self._error, None
            if error is not None:
                raise error
            raise StopAsyncIteration
        return event

    async def aclose(self) -> None:
        """Stop reading; a run still going is cancelled (and emits ``AGENT_CANCELLED``)."""
        self._ended = True
        self._sink.closed = True
        task = self._task
        if task is not None:
            if not task.done():
                task.cancel()
            await asyncio.gather(task, return_exceptions=True)


class RuntimeBuilder(Generic[OutputT]):
    """Builds an ``AgentRuntime`` step by step; every ``with_`` returns the builder.
    ``with_output(X)`` makes it a ``RuntimeBuilder[X]``: its runtime's results carry an ``X``."""

    def __init__(self) -> None:
        self._client: LLMClient | SyncLLMClient | None = None
        self._tools: list[AgentTool] = []
        self._callbacks: list[EventCallback] = []
        self._strategy: Strategy | None = None
        self._max_steps = DEFAULT_MAX_STEPS
        self._system_prompt: str | None = None
        self._request_fields: dict[str, Any] = {}
        self._callback_policy = CallbackPolicy()
        self._events_queue_size = 256
        self._name: str | None = None
        self._output: OutputSpec[Any] | None = None

    def with_client(self, client: LLMClient | SyncLLMClient) -> RuntimeBuilder[OutputT]:
        """An ``LLMClient`` for ``build()``, a ``SyncLLMClient`` for ``build_sync()``."""
        self._client = client
        return self

    def with_tools(self, *tools: ToolInput) -> RuntimeBuilder[OutputT]:
        """Plain typed functions (sync or async) or tool objects (``AgentTool``)."""
        self._tools.extend(as_tool(item) for item in tools)
        return self

    def with_on_event(self, callback: EventCallback) -> RuntimeBuilder[OutputT]:
        """Add a callback: ``(event)`` or ``(event_type, payload)``, sync or async."""
        self._callbacks.append(callback)
        return self

    def with_max_steps(self, max_steps: int) -> RuntimeBuilder[OutputT]:
        """The most model turns a run may take (default 10)."""
        self._max_steps = max_steps
        return self

    def with_system_prompt(self, prompt: str | None) -> RuntimeBuilder[OutputT]:
        """Put first in each run's conversation, unless it already starts with a system message."""
        self._system_prompt = prompt
        return self

    def with_stream(self, stream: bool = True) -> RuntimeBuilder[OutputT]:
        """``False``: fetch each model turn whole (``LLMClient.call``), with no chunk events."""
        self._strategy = ToolLoopStrategy(stream=stream)
        return self

    def with_strategy(self, strategy: Strategy) -> RuntimeBuilder[OutputT]:
        self._strategy = strategy
        return self

    def with_request_fields(self, **fields: Unpack[RequestOptions]) -> RuntimeBuilder[OutputT]:
        """Fields of every turn's request (``LLMClient.build_request``): model, max_tokens, ...;
        typed, and an unknown name is a ``ConfigurationError`` here, not at the first turn."""
        check_option_names(fields)
        self._request_fields.update(fields)
        return self

    def with_request_options(self, **options: Any) -> RuntimeBuilder[OutputT]:
        """Deprecated: ``with_request_fields``."""
        warn_renamed("RuntimeBuilder.with_request_options", "with_request_fields")
        return self.with_request_fields(**options)

    def with_callback_policy(
        self,
        *,
        queue_size: int | None = None,
        drain_timeout: float | None = None,
        slow_callback: float | None = None,
    ) -> RuntimeBuilder[OutputT]:
        """How events reach callbacks (``CallbackPolicy``); a field not given keeps its value."""
        current = self._callback_policy
        self._callback_policy = CallbackPolicy(
            queue_size=current.queue_size if queue_size is None else queue_size,
            drain_timeout=current.drain_timeout if drain_timeout is None else drain_timeout,
            slow_callback=current.slow_callback if slow_callback is None else slow_callback,
        )
        return self

    def with_callback_options(self, **policy: Any) -> RuntimeBuilder[OutputT]:
        """Deprecated: ``with_callback_policy``."""
        warn_renamed("RuntimeBuilder.with_callback_options", "with_callback_policy")
        return self.with_callback_policy(**policy)

    def with_name(self, name: str | None) -> RuntimeBuilder[OutputT]:
        """The agent's name, for telemetry (``gen_ai.agent.name``)."""
        self._name = name
        return self

    def with_events_queue_size(self, size: int) -> RuntimeBuilder[OutputT]:
        """How many events ``runtime.events()`` buffers before the run waits for the reader."""
        self._events_queue_size = size
        return self

    @overload
    def with_output(
        self,
        output: type[T] | OutputSpec[T],
        *,
        mode: OutputModeName = "auto",
        name: str | None = None,
        strict: bool = True,
    ) -> RuntimeBuilder[T]: ...

    @overload
    def with_output(
        self,
        output: Mapping[str, Any],
        *,
        mode: OutputModeName = "auto",
        name: str | None = None,
        strict: bool = True,
    ) -> RuntimeBuilder[dict[str, Any]]: ...

    def with_output(
        self,
        output: type[Any] | OutputSpec[Any] | Mapping[str, Any],
        *,
        mode: OutputModeName = "auto",
        name: str | None = None,
        strict: bool = True,
    ) -> RuntimeBuilder[Any]:
        """Ask every run for a structured answer: ``X`` is a pydantic model class, a type a
        ``TypeAdapter`` takes, a JSON Schema, or an ``OutputSpec`` (as ``LLMClient.stream``'s
        ``output``). The run ends with the turn that gives it; ``result.output`` is the value,
        validated, and its pieces are ``AGENT_OUTPUT`` events as it streams. ``mode``:
        ``native`` (the provider's structured output, next to the tools), ``tool`` (one more
        tool whose call is the answer) or ``auto`` (native where the adapter has it)."""
        spec = (
            output
            if isinstance(output, OutputSpec)
            else OutputSpec(output, name=name, strict=strict, mode=mode)
        )
        builder = cast("RuntimeBuilder[Any]", self)
        builder._output = spec
        return builder

    def build(self) -> AgentRuntime[OutputT]:
        if self._client is None:
            raise ConfigurationError("RuntimeBuilder needs a client: .with_client(LLMClient(...))")
        if isinstance(self._client, SyncLLMClient):
            raise ConfigurationError("a SyncLLMClient runs agents with .build_sync()")
        return self._build(self._client)

    def build_sync(self) -> SyncRuntime[OutputT]:
        """A ``SyncRuntime``, for blocking code: needs ``.with_client(SyncLLMClient(...))``."""
        client = self._client
        if not isinstance(client, SyncLLMClient):
            raise ConfigurationError(
                "build_sync() needs a client: .with_client(SyncLLMClient(...))"
            )
        return SyncRuntime(client, self._build(client._client))

    def _build(self, client: LLMClient) -> AgentRuntime[OutputT]:
        return AgentRuntime[OutputT](
            client,
            tools=self._tools,
            callbacks=self._callbacks,
            strategy=self._strategy,
            max_steps=self._max_steps,
            system_prompt=self._system_prompt,
            request_fields=self._request_fields,
            callback_policy=self._callback_policy,
            events_queue_size=self._events_queue_size,
            name=self._name,
            output=self._output,
        )

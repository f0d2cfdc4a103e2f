"""``SyncLLMClient``: ``LLMClient`` for blocking code, over one event loop thread it owns.

    from rillet import MockAdapter, SyncLLMClient

    with SyncLLMClient(MockAdapter("Hello!")) as client:
        with client.stream("Hi") as stream:
            for chunk in stream:
                ...
        print(stream.response.text)

There is no second copy of the client: the async ``LLMClient`` runs on a daemon thread's event
loop, and each blocking call waits for its coroutine there. So the caller's thread never needs
an event loop of its own, and a loop already running in it (Jupyter) is no obstacle; several
threads may share one client. An interrupt (``KeyboardInterrupt``) while a call waits cancels
that call on the loop and waits for the cancellation to finish (a stream's connection is then
closed) before it is raised again.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import threading
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from types import TracebackType
from typing import Any, Generic, Literal, ParamSpec, Protocol, TypeVar, overload

from typing_extensions import Unpack

from rillet._keep_frames import KeepFrames
from rillet.accumulator import ResponseAccumulator
from rillet.adapter import ProviderAdapter
from rillet.client import LLMClient, MessagesInput, RequestOptions
from rillet.output._parser import OutputEvent
from rillet.output._spec import OutputModeName, OutputSpec
from rillet.output._stream import StructuredResponse, StructuredStream
from rillet.protocol import LLMRequest, LLMResponse, StreamChunk
from rillet.streaming import StreamingLLMResponse
from rillet.timeout import Timeout

__all__ = ["SyncIterator", "SyncLLMClient", "SyncStream", "SyncStructuredStream"]

_log = logging.getLogger("rillet.sync")

_T = TypeVar("_T")
_T_co = TypeVar("_T_co", covariant=True)
_R = TypeVar("_R")
_P = ParamSpec("_P")


class _LoopThread:
    """One daemon thread running one event loop, started on first use, for blocking callers.

    ``run`` waits in the calling thread for a coroutine run on the loop. ``close`` runs the
    ``at_close`` cleanups on the loop, then ends it (``asyncio.run`` cancels what is left and
    closes open async generators) and joins the thread.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None
        self._cleanups: list[Callable[[], Awaitable[None]]] = []
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def at_close(self, cleanup: Callable[[], Awaitable[None]]) -> None:
        self._cleanups.append(cleanup)

    def call(self, func: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        """``func(*args, **kwargs)`` called on the loop thread."""
        return self.run(_apply(func, *args, **kwargs))

    def run(self, coro: Coroutine[Any, Any, _T]) -> _T:
        """Run ``coro`` on the loop and wait for its result (or its exception)."""
        started: list[asyncio.Task[_T]] = []
        done = threading.Event()

        def start() -> None:
            task = asyncio.get_running_loop().create_task(coro)
            task.add_done_callback(lambda _: done.set())
            started.append(task)

        def cancel() -> None:  # queued after ``start``: the task exists
            started[0].cancel()

        try:
            loop = self._schedule(start)
        except BaseException:
            coro.close()
            raise
        try:
            done.wait()
        except BaseException:  # an interrupt: end the call on the loop before raising it
            with contextlib.suppress(RuntimeError):  # a closed loop has cancelled it already
                loop.call_soon_threadsafe(cancel)
            done.wait()
            if not started[0].cancelled():
                started[0].exception()  # it ended just before the cancel: retrieved, not logged
            raise
        task = started[0]
        if task.cancelled():
            raise RuntimeError(f"{self._name} was closed while a call was waiting")
        return task.result()

    def _schedule(self, callback: Callable[[], None]) -> asyncio.AbstractEventLoop:
        """Queue ``callback`` on the loop, starting it first if needed.

        Under the lock that ``close`` takes: whatever is queued here runs before the loop
        begins to stop, so each call either runs or is cancelled, never forgotten.
        """
        with self._lock:
            if self._closed:
                raise RuntimeError(f"{self._name} is closed")
            if self._loop is None:
                ready = threading.Event()
                thread = threading.Thread(
                    target=self._main, args=(ready,), name=self._name, daemon=True
                )
                thread.start()
                ready.wait()
                self._thread = thread
            if self._loop is None or self._loop.is_closed():
                raise RuntimeError(f"{self._name} could not start its event loop")
            if self._thread is threading.current_thread():
                # Waiting here would block the very loop that must answer.
                raise RuntimeError(f"{self._name} was called from its own event loop thread")
            self._loop.call_soon_threadsafe(callback)
            return self._loop

    def _main(self, ready: threading.Event) -> None:
        try:
            asyncio.run(self._serve(ready))
        finally:
            ready.set()

    async def _serve(self, ready: threading.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        ready.set()
        await self._stop.wait()
        for cleanup in self._cleanups:
            try:
                await cleanup()
            except Exception:
                _log.exception("closing %s failed", self._name)

    def close(self) -> None:
        """Stop the loop and its thread (once; a call from the loop thread does not wait)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            loop, thread, stop = self._loop, self._thread, self._stop
        if loop is None or thread is None or stop is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop has ended already
            loop.call_soon_threadsafe(stop.set)
        if thread is not threading.current_thread():
            thread.join()


async def _apply(func: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
    return func(*args, **kwargs)


class _AsyncSource(Protocol[_T_co]):
    """An async iterator that can be closed early (``StreamingLLMResponse`` and the like)."""

    def __anext__(self) -> Coroutine[Any, Any, _T_co]: ...

    def aclose(self) -> Coroutine[Any, Any, None]: ...


class _End(enum.Enum):
    END = enum.auto()


async def _next_or_end(source: _AsyncSource[_T]) -> _T | Literal[_End.END]:
    try:
        return await source.__anext__()
    except StopAsyncIteration:
        return _End.END


class SyncIterator(Generic[_T]):
    """A blocking iterator and context manager over an async one that runs on a loop thread.

    Leaving ``with`` or ``close()`` closes the async iterator at once; so does any exception
    (an interrupt too) raised while ``next`` waits.
    """

    def __init__(self, source: _AsyncSource[_T], client: SyncLLMClient) -> None:
        self._source = source
        self._client = client  # keeps the client, and so its loop thread, alive while iterating
        self._runner = client._runner
        self._closed = False

    def __iter__(self) -> SyncIterator[_T]:
        return self

    def __next__(self) -> _T:
        if self._closed:
            raise StopIteration
        item = self._wait(_next_or_end(self._source))
        if item is _End.END:
            self._closed = True
            raise StopIteration
        return item

    def _wait(self, coro: Coroutine[Any, Any, _R]) -> _R:
        """Run ``coro`` (which reads the source) on the loop; close the source if it fails."""
        try:
            return self._runner.run(coro)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Stop reading and close the async iterator (its connection) now."""
        if self._closed:
            return
        self._closed = True
        if not self._runner.closed:  # else the loop's end closed it already
            self._runner.run(self._source.aclose())

    def __enter__(self) -> SyncIterator[_T]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class SyncStream(SyncIterator[StreamChunk]):
    """``StreamingLLMResponse`` for blocking code: ``with client.stream(m) as s: for c in s``.

    Each ``next`` hands over the chunk the moment it arrives. ``response`` is the accumulated
    ``LLMResponse`` (read it from the thread that iterates); failures raise the same typed
    rillet errors, with ``partial``, as the async stream.
    """

    def __init__(self, stream: StreamingLLMResponse, client: SyncLLMClient) -> None:
        super().__init__(stream, client)
        self._stream = stream

    def __enter__(self) -> SyncStream:
        return self

    @property
    def response(self) -> LLMResponse:
        """The response accumulated so far."""
        return self._stream.response

    @property
    def accumulator(self) -> ResponseAccumulator:
        """The live accumulator (for ``partial_arguments`` and other on-demand views)."""
        return self._stream.accumulator

    def get_response(self) -> LLMResponse:
        """Read the rest of the stream and return the final response (or raise its error)."""
        return self._wait(self._stream.get_response())


class SyncStructuredStream(SyncStream, Generic[_T]):
    """``StructuredStream`` for blocking code: ``with client.stream(m, output=X) as s``.

    Iterate it for chunks, or ``for event in s.output_events()`` for the output's events as its
    JSON arrives; ``partial_output`` is the typed partial value so far, ``get_output()`` the
    validated value (``OutputValidationError`` if it does not fit, as in the async stream).
    """

    def __init__(self, stream: StructuredStream[_T], client: SyncLLMClient) -> None:
        super().__init__(stream, client)
        self._structured = stream

    def __enter__(self) -> SyncStructuredStream[_T]:
        return self

    @property
    def partial_output(self) -> _T | None:
        """The typed partial value so far (read it from the thread that iterates)."""
        return self._structured.partial_output

    def output_events(self) -> SyncIterator[OutputEvent]:
        """The output's events, reading the stream; ends with it (or raises its error)."""
        return SyncIterator(self._structured.output_events(), self._client)

    def get_response(self) -> StructuredResponse[_T]:
        """Read the rest of the stream; the final response with its validated ``output``."""
        return self._wait(self._structured.get_response())

    def get_output(self) -> _T:
        """Read the rest of the stream; the validated output."""
        return self._wait(self._structured.get_output())


class SyncLLMClient:
    """``LLMClient`` for blocking code: the same constructor, ``stream()`` and ``call()``.

    The async client is built on, and runs on, an event loop thread this client owns (an
    adapter passed in is used there too). ``close()`` (or leaving ``with``) closes the
    adapter's connections and ends the thread; a client that is garbage collected, or still
    open at exit, is closed then. Any number of threads may use one client at once.
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
        runner = _LoopThread("rillet-sync-client")
        try:
            # Built on the loop: what the adapter binds to a loop binds to the one it runs on.
            client = runner.call(
                LLMClient,
                adapter,
                provider=provider,
                model=model,
                api_key=api_key,
                base_url=base_url,
                timeout=timeout,
                max_retries=max_retries,
                options=options,
                keep_frames=keep_frames,
                keep_text=keep_text,
            )
        except BaseException:
            runner.close()
            raise
        runner.at_close(client.aclose)
        self._client = client  # both also used by ``rillet.agent.sync.SyncRuntime``
        self._runner = runner
        self._model = model
        self._close = weakref.finalize(self, runner.close)

    @property
    def adapter(self) -> ProviderAdapter:
        return self._client.adapter

    @property
    def provider(self) -> str:
        return self._client.provider

    @property
    def closed(self) -> bool:
        return self._runner.closed

    def __repr__(self) -> str:
        return f"SyncLLMClient(provider={self.provider!r}, model={self._model!r})"

    def build_request(
        self, messages: MessagesInput, **request_fields: Unpack[RequestOptions]
    ) -> LLMRequest:
        """The neutral request, as ``LLMClient.build_request`` builds it."""
        return self._client.build_request(messages, **request_fields)

    @overload
    def stream(
        self,
        messages: MessagesInput | LLMRequest,
        *,
        output: type[_T] | OutputSpec[_T],
        output_mode: OutputModeName = "auto",
        output_name: str | None = None,
        output_strict: bool = True,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        keep_frames: KeepFrames | None = None,
        keep_text: bool | None = None,
        **request_fields: Unpack[RequestOptions],
    ) -> SyncStructuredStream[_T]: ...

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
    ) -> SyncStructuredStream[dict[str, Any]]: ...

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
    ) -> SyncStream: ...

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
    ) -> SyncStream:
        """Stream a response: ``with client.stream(msgs) as s: for chunk in s: ...``.

        The arguments are those of ``LLMClient.stream``; the request goes out at the first
        ``next``. With ``output`` (or an ``LLMRequest`` carrying one) the stream is a
        ``SyncStructuredStream``.
        """

        def open_stream() -> StreamingLLMResponse:
            return self._client.stream(
                messages,
                output=output,
                output_mode=output_mode,
                output_name=output_name,
                output_strict=output_strict,
                timeout=timeout,
                max_retries=max_retries,
                keep_frames=keep_frames,
                keep_text=keep_text,
                **request_fields,
            )

        stream = self._runner.call(open_stream)
        if isinstance(stream, StructuredStream):
            return SyncStructuredStream(stream, self)
        return SyncStream(stream, self)

    @overload
    def call(
        self,
        messages: MessagesInput | LLMRequest,
        *,
        output: type[_T] | OutputSpec[_T],
        output_mode: OutputModeName = "auto",
        output_name: str | None = None,
        output_strict: bool = True,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        **request_fields: Unpack[RequestOptions],
    ) -> StructuredResponse[_T]: ...

    @overload
    def call(
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
    def call(
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

    def call(
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
        ``StructuredResponse`` whose ``output`` is the validated value."""
        return self._runner.run(
            self._client.call(
                messages,
                output=output,
                output_mode=output_mode,
                output_name=output_name,
                output_strict=output_strict,
                timeout=timeout,
                max_retries=max_retries,
                **request_fields,
            )
        )

    def close(self) -> None:
        """Close the adapter's connections and end the loop thread (open streams end too)."""
        self._close()

    def __enter__(self) -> SyncLLMClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

"""Delivering a run's events: to callbacks (push) and to an ``events()`` iterator (pull).

Callbacks come in four shapes, told apart by their signature: ``cb(event)`` or
``cb(event_type: str, payload: dict)`` (two required positional parameters; the payload is the
event as a plain dict), each either sync or ``async def``. A callback never breaks or stalls the run:

- A **sync** callback is called inline, in order, as each event is emitted. It must be quick:
  one that takes longer than ``slow_callback`` seconds gets a warning (once per run).
- An **async** callback gets one worker task per run, fed through a bounded queue, so it sees
  the run's events in order and a slow one never holds the stream up. When its queue is full
  the **oldest** waiting event is dropped (the stream keeps flowing, the newest events, the
  terminal one included, are kept) and the number dropped is logged when the run ends. At the
  end of the run its worker gets ``drain_timeout`` seconds to catch up; what is still waiting
  then is dropped, with a warning.
- An exception from a callback is logged on the ``rillet.agent`` logger with the callback and
  the event type, and the run goes on.

The pull side (``runtime.events()``) is bounded the other way: it blocks the run when its queue
is full, so the run goes at the pace of the code reading it, as a stream does.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from rillet._deprecation import renamed_attributes
from rillet.agent._callables import is_async_callable
from rillet.agent.events import AgentEvent, event_payload

__all__ = ["CallbackPolicy", "EventCallback", "EventDispatcher", "EventSink"]

_log = logging.getLogger("rillet.agent")

EventCallback = Callable[..., Any]
"""``(event) -> None``, ``async (event) -> None``, or ``(event_type, payload) -> None`` (sync or
async): see this module's docstring."""

EventT = TypeVar("EventT", bound=AgentEvent)


@dataclass(frozen=True)
class CallbackPolicy:
    """How events reach callbacks: how far an async one may fall behind, how long it gets to
    catch up at the end of a run, and when a sync one is too slow."""

    queue_size: int = 1024
    """Events an async callback may fall behind before the oldest waiting ones are dropped."""
    drain_timeout: float = 1.0
    """Seconds an async callback gets, once the run has ended, to finish the run's events."""
    slow_callback: float = 0.1
    """A sync callback taking longer than this (seconds) gets a warning: make it async."""


def _takes_type_and_payload(callback: EventCallback) -> bool:
    """True for the ``(event_type: str, payload: dict)`` shape: two required positionals."""
    try:
        signature = inspect.signature(callback)
    except (TypeError, ValueError):  # some builtins have no signature: assume ``(event)``
        return False
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    required = [
        p
        for p in signature.parameters.values()
        if p.kind in positional and p.default is inspect.Parameter.empty
    ]
    return len(required) >= 2


class _Subscriber:
    """One callback, adapted: its shape found once, from its signature."""

    def __init__(self, callback: EventCallback) -> None:
        self.callback = callback
        self.takes_type_and_payload = _takes_type_and_payload(callback)
        self.is_async = is_async_callable(callback)
        self.label = getattr(callback, "__qualname__", None) or repr(callback)

    def invoke(self, event: AgentEvent) -> Any:
        if self.takes_type_and_payload:
            return self.callback(event.type, event_payload(event))
        return self.callback(event)

    def log_failure(self, event: AgentEvent) -> None:
        _log.exception("on_event callback %s raised on %s", self.label, event.type)


class _Worker:
    """Delivers events to one async callback, in order, from a bounded drop-oldest queue."""

    def __init__(self, subscriber: _Subscriber, queue_size: int) -> None:
        self.subscriber = subscriber
        self._queue: deque[AgentEvent] = deque()
        self._size = max(1, queue_size)
        self._ready = asyncio.Event()
        self._closed = False
        self.dropped = 0
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(
            self._loop(), name=f"rillet-on-event-{self.subscriber.label}"
        )

    @property
    def waiting(self) -> int:
        return len(self._queue)

    def offer(self, event: AgentEvent) -> None:
        if len(self._queue) >= self._size:
            self._queue.popleft()
            self.dropped += 1
        self._queue.append(event)
        self._ready.set()

    def close(self) -> None:
        self._closed = True
        self._ready.set()

    async def _loop(self) -> None:
        while True:
            while self._queue:
                event = self._queue.popleft()
                try:
                    await self.subscriber.invoke(event)
                except Exception:
                    self.subscriber.log_failure(event)
            if self._closed:
                return
            self._ready.clear()
            await self._ready.wait()


class EventSink:
    """The pull side: a bounded queue that ``runtime.events()`` reads; ``None`` ends it."""

    def __init__(self, maxsize: int) -> None:
        self.queue: asyncio.Queue[AgentEvent | None] = asyncio.Queue(max(1, maxsize))
        self.closed = False
        """Set when the reader has gone: nothing more is put."""

    async def put(self, event: AgentEvent | None, *, block: bool = True) -> None:
        if self.closed:
            return
        if block:
            await self.queue.put(event)
        elif not self.queue.full():
            self.queue.put_nowait(event)


class EventDispatcher:
    """One run's events: stamps each with ``run_id``, ``sequence`` and ``timestamp``, delivers it.

    ``start()`` before the first event (it starts the async callbacks' workers), ``close()``
    after the last (it gives them ``drain_timeout`` to finish, then stops them).
    """

    def __init__(
        self,
        run_id: str,
        callbacks: list[EventCallback],
        policy: CallbackPolicy,
        sink: EventSink | None = None,
    ) -> None:
        self.run_id = run_id
        self._policy = policy
        self._sequence = 0
        subscribers = [_Subscriber(callback) for callback in callbacks]
        self._sync = [s for s in subscribers if not s.is_async]
        self._workers = [_Worker(s, policy.queue_size) for s in subscribers if s.is_async]
        self._warned: set[int] = set()
        self._sink = sink

    def start(self) -> None:
        for worker in self._workers:
            worker.start()

    async def emit(self, cls: type[EventT], /, *, block: bool = True, **fields: Any) -> EventT:
        """Build the next event of the run and deliver it; ``block=False`` never waits."""
        event = cls(run_id=self.run_id, sequence=self._sequence, timestamp=time.time(), **fields)
        self._sequence += 1
        for subscriber in self._sync:
            self._call_sync(subscriber, event)
        for worker in self._workers:
            worker.offer(event)
        if self._sink is not None:
            await self._sink.put(event, block=block)
        return event

    def _call_sync(self, subscriber: _Subscriber, event: AgentEvent) -> None:
        started = time.perf_counter()
        try:
            returned = subscriber.invoke(event)
        except Exception:
            subscriber.log_failure(event)
            return
        if inspect.isawaitable(returned):  # a lambda returning a coroutine: cannot be awaited
            if inspect.iscoroutine(returned):  # here without stalling the run
                returned.close()
            self._warn_once(
                subscriber, "on_event callback %s returned an awaitable: make it async def"
            )
        elapsed = time.perf_counter() - started
        if elapsed > self._policy.slow_callback:
            self._warn_once(
                subscriber,
                "on_event callback %s took %.3f s on %s; a sync callback holds the stream up: "
                "make it async def",
                elapsed,
                event.type,
            )

    def _warn_once(self, subscriber: _Subscriber, message: str, *args: object) -> None:
        if id(subscriber) not in self._warned:
            self._warned.add(id(subscriber))
            _log.warning(message, subscriber.label, *args)

    async def close(self) -> None:
        """Let the async callbacks catch up (at most ``drain_timeout``), then stop them."""
        tasks: list[asyncio.Task[None]] = []
        for worker in self._workers:
            worker.close()
            if worker.task is not None:
                tasks.append(worker.task)
        try:
            if tasks:
                await asyncio.wait(tasks, timeout=self._policy.drain_timeout)
        finally:
            for worker in self._workers:
                if worker.task is not None and not worker.task.done():
                    _log.warning(
                        "on_event callback %s was still busy %.2f s after the run ended: "
                        "%d event(s) not delivered",
                        worker.subscriber.label,
                        self._policy.drain_timeout,
                        worker.waiting + 1,
                    )
                    worker.task.cancel()
                if worker.dropped:
                    _log.warning(
                        "on_event callback %s fell behind: %d event(s) dropped (queue size %d)",
                        worker.subscriber.label,
                        worker.dropped,
                        self._policy.queue_size,
                    )
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)


if TYPE_CHECKING:
    CallbackOptions = CallbackPolicy  # the deprecated name, for type checkers until it goes
else:
    __getattr__ = renamed_attributes(
        __name__, {"CallbackOptions": ("CallbackPolicy", CallbackPolicy)}
    )

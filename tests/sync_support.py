"""Helpers for the blocking-client tests: a server on its own thread that holds a reply back,
an interrupt sent to the main thread, and a check that no thread is left behind."""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType

from agent._support import event_cuts, openai_sse
from aiohttp import web

from rillet import SyncLLMClient

_POLL = 0.005


class HeldServer:
    """An OpenAI Chat SSE server on 127.0.0.1, on its own thread and event loop (the blocking
    client under test owns the test's thread).

    Each reply writes the body up to its first text, then holds the rest back until ``release`` is set
    (the server sets it itself once ``release_at`` requests have arrived). Then it writes the
    rest, or with ``drop=True`` ends the connection in the middle of the body. ``disconnects``
    counts replies whose client went away while held; ``completed`` those written to the end.
    """

    def __init__(
        self, text: str = "Hello", *, drop: bool = False, release_at: int | None = None
    ) -> None:
        self.body = openai_sse(text, piece=3)
        self.hold_after = event_cuts(self.body)[1]  # the role, then the first text
        self.drop = drop
        self.release_at = release_at
        self.release = threading.Event()
        self.requests = 0
        self.held = 0
        self.disconnects = 0
        self.completed = 0
        self.url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=asyncio.run, args=(self._serve(),), daemon=True)

    def client(self) -> SyncLLMClient:
        return SyncLLMClient(
            provider="openai", base_url=self.url, api_key="sk-test", model="gpt-test", timeout=5
        )

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        app = web.Application()
        app.router.add_post("/chat/completions", self._reply)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        self._ready.set()
        await self._stop.wait()
        await runner.cleanup()

    async def _reply(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        if self.release_at is not None and self.requests >= self.release_at:
            self.release.set()
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        # Counted before the first bytes leave: the client may read them (and look at ``held``)
        # before this coroutine resumes after the write.
        self.held += 1
        try:
            await response.write(self.body[: self.hold_after])
            while not self.release.is_set():
                transport = request.transport
                if transport is None or transport.is_closing():
                    self.disconnects += 1
                    return response
                await asyncio.sleep(_POLL)
        finally:
            self.held -= 1
        if self.drop and request.transport is not None:
            request.transport.close()
            return response
        await response.write(self.body[self.hold_after :])
        await response.write_eof()
        self.completed += 1
        return response

    def __enter__(self) -> HeldServer:
        self._thread.start()
        assert self._ready.wait(5), "the server did not start"
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        held = self.held
        self.release.set()
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(5)
        assert not self._thread.is_alive(), "the server did not stop"
        if exc is None:
            assert held == 0, f"{held} replies still held: a client left a connection open"


def wait_until(condition: Callable[[], bool], timeout: float = 3.0) -> None:
    """Poll ``condition`` until it holds; fail the test after ``timeout`` seconds."""
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out waiting"
        time.sleep(_POLL)


@contextmanager
def interrupt_main_after(delay: float) -> Iterator[None]:
    """Send SIGINT to the main thread after ``delay`` seconds, as Ctrl-C does: the blocking wait
    in progress there is interrupted and raises ``KeyboardInterrupt``. The block must end
    promptly after the signal (the interrupted call must not wait for its own end first)."""
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("signals reach only the main thread")
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    main = threading.main_thread().ident
    assert main is not None
    sent: list[float] = []

    def interrupt() -> None:
        sent.append(time.monotonic())
        signal.pthread_kill(main, signal.SIGINT)

    timer = threading.Timer(delay, interrupt)
    timer.start()
    try:
        yield
        assert sent, "the block ended before the interrupt"
        assert time.monotonic() - sent[0] < 1.0, "the interrupt was not handled promptly"
    finally:
        timer.cancel()
        timer.join()
        signal.signal(signal.SIGINT, previous)


def loop_threads() -> list[threading.Thread]:
    """The clients' event loop threads still running."""
    return [t for t in threading.enumerate() if t.name == "rillet-sync-client" and t.is_alive()]


@contextmanager
def no_new_threads() -> Iterator[None]:
    """Fail when a thread started inside the block is still running at its end."""
    before = set(threading.enumerate())
    yield
    left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not left, f"threads left running: {left}"

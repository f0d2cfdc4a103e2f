"""Fixtures for the transport tests: a fault server, a transport whose back-off sleeps are
recorded, and a guard that fails a test leaving a task, a connection or a resource behind."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator

import pytest

from rillet.testing import FaultServer
from rillet.transport import HTTPTransport, RetryPolicy, Timeout

from ._support import SleepRecorder, assert_no_connection_in_use


@pytest.fixture
async def no_leaks() -> AsyncIterator[None]:
    """Debug mode (aiohttp then warns about unclosed responses) and no task left over."""
    loop = asyncio.get_running_loop()
    loop.set_debug(True)
    loop.slow_callback_duration = 10.0  # the 20 MB tests are slow by design, not a leak
    before = asyncio.all_tasks()
    yield
    for _ in range(5):
        await asyncio.sleep(0)
    leftover = {t for t in asyncio.all_tasks() - before if t is not asyncio.current_task()}
    assert not leftover, f"tasks left running: {leftover}"
    # ResourceWarnings are raised from __del__: collect now, so that they fail this test.
    gc.collect()


@pytest.fixture
async def server(no_leaks: None) -> AsyncIterator[FaultServer]:
    async with FaultServer() as fault_server:
        yield fault_server
        # Every reply must have ended: a client that went away must have been noticed.
        await fault_server.wait_finished(timeout=3.0)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
async def transport(no_leaks: None, sleeps: SleepRecorder) -> AsyncIterator[HTTPTransport]:
    """A transport with short timeouts, no jitter, and back-off sleeps that take no time."""
    async with HTTPTransport(
        timeout=Timeout(connect=2.0, idle=2.0),
        retry_policy=RetryPolicy(jitter=0.0, sleep=sleeps),
    ) as http:
        yield http
        assert_no_connection_in_use(http)

"""Fixtures for the transport tests: a fault server and a transport whose back-off sleeps are
recorded, both under ``no_leaks`` (tests/conftest.py) and checking that no connection or reply
is left half-done."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from rillet.testing import FaultServer
from rillet.transport import HTTPTransport, RetryPolicy, Timeout, _stream

from ._support import SleepRecorder, assert_no_connection_in_use


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


@pytest.fixture(params=["direct", "wait", "read"])
def every_read_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs a test over every way ``FrameStream`` reads and waits for bytes: the reader's own
    buffer and future (``"direct"``, with no total deadline), aiohttp's ``read_nowait`` and
    ``_wait`` (``"wait"``, as with one), and the public ``read`` kept for an aiohttp without
    them (``"read"``)."""
    if request.param != "direct":
        monkeypatch.setattr(_stream, "_DIRECT_READER", False)
    if request.param == "read":
        monkeypatch.setattr(_stream, "_LOW_LEVEL_READER", False)
    return str(request.param)

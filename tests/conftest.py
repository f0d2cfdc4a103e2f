"""Shared test set-up: the tests folder is importable (``real_streams``), leaks fail tests."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator

import pytest


@pytest.fixture
async def no_leaks() -> AsyncIterator[None]:
    """Fails a test that leaves a task running or a resource unclosed.

    The loop runs in debug mode, so aiohttp and asyncio warn about unclosed responses and
    transports; pytest's ``filterwarnings = error`` turns those ResourceWarnings into failures.
    """
    loop = asyncio.get_running_loop()
    loop.set_debug(True)
    loop.slow_callback_duration = 10.0  # some tests are slow by design (20 MB events), not leaky
    before = asyncio.all_tasks()
    yield
    for _ in range(5):
        await asyncio.sleep(0)
    leftover = {t for t in asyncio.all_tasks() - before if t is not asyncio.current_task()}
    assert not leftover, f"tasks left running: {leftover}"
    # ResourceWarnings are raised from __del__: collect now, so that they fail this test.
    gc.collect()

"""Conformance tests leave nothing running: no task, no unclosed resource."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator

import pytest


@pytest.fixture(autouse=True)
async def no_leaks() -> AsyncIterator[None]:
    """No task outlives its test; ResourceWarnings (unclosed sessions) fail it here."""
    before = asyncio.all_tasks()
    yield
    for _ in range(5):
        await asyncio.sleep(0)
    leftover = {t for t in asyncio.all_tasks() - before if t is not asyncio.current_task()}
    assert not leftover, f"tasks left running: {leftover}"
    gc.collect()

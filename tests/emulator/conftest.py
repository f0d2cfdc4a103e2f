"""Fixtures for the emulator tests: a guard that fails a test leaving a task or resource behind."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Iterator

import pytest


@pytest.fixture(scope="package", autouse=True)
def _frozen_gc() -> Iterator[None]:
    """Objects from before these tests (imports, schemas) are left out of each collection:
    ``gc.collect()`` after every test then costs a millisecond instead of fifty."""
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


@pytest.fixture
async def no_leaks() -> AsyncIterator[None]:
    """No task left over when the test ends; ResourceWarnings (unclosed sockets) fail it."""
    before = asyncio.all_tasks()
    yield
    for _ in range(5):
        await asyncio.sleep(0)
    leftover = {t for t in asyncio.all_tasks() - before if t is not asyncio.current_task()}
    assert not leftover, f"tasks left running: {leftover}"
    gc.collect()

"""Fixtures for the emulator tests (``no_leaks`` is in tests/conftest.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="package", autouse=True)
def _frozen_gc() -> Iterator[None]:
    """Objects from before these tests (imports, schemas) are left out of each collection:
    ``gc.collect()`` after every test then costs a millisecond instead of fifty."""
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()

"""Conformance tests leave nothing running: no task, no unclosed resource."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _checked_for_leaks(no_leaks: None) -> None:
    """Every conformance test runs under ``no_leaks`` (tests/conftest.py)."""

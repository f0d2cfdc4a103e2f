"""Fixtures for the emulator tests (``no_leaks`` and the frozen collector are in
tests/conftest.py)."""

"""Shared test set-up: the tests folder is importable (``real_streams``), leaks fail tests."""

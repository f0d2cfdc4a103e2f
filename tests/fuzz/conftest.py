"""Hypothesis profiles for the fuzzers: ``ci`` (bounded and reproducible) when ``CI`` is set,
``dev`` otherwise; ``HYPOTHESIS_PROFILE`` picks one by name."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,  # a loaded CI machine is slow, not wrong
    derandomize=True,  # the same examples on every run: a failure reproduces
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=100, deadline=None)
_ON_CI = os.environ.get("CI", "").lower() not in ("", "0", "false")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if _ON_CI else "dev"))

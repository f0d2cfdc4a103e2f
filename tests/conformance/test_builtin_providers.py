"""The suite runs for every built-in provider: the whole catalogue on the emulator, then every
cassette replayed whole, one byte at a time and at random splits (targets in parallel
processes, as ``rillet conformance`` runs them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rillet.conformance.catalogue import CASES
from rillet.conformance.pool import run_targets
from rillet.conformance.runner import BUILTIN_TARGETS, CaseResult, Target

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"


@pytest.fixture(scope="module")
def results() -> dict[str, list[CaseResult]]:
    names = [case.name for case in CASES]
    by_target: dict[str, list[CaseResult]] = {}
    for result in run_targets(BUILTIN_TARGETS, names, cassettes=CASSETTES, jobs=2):
        by_target.setdefault(result.target, []).append(result)
    return by_target


@pytest.mark.parametrize("target", BUILTIN_TARGETS, ids=[t.label for t in BUILTIN_TARGETS])
def test_every_case_passes(results: dict[str, list[CaseResult]], target: Target) -> None:
    mine = results[target.label]
    report = [
        f"{r.case} ({r.source}): {v.rule}: {v.message} | expected {v.expected} | got {v.got}"
        for r in mine
        for v in r.violations
    ]
    assert report == []
    elsewhere = [c.name for c in CASES if not c.applies_to(target.wire)]
    assert [r.case for r in mine if r.status != "pass"] == elsewhere  # skipped, not failed
    assert [r.case for r in mine if r.source == "emulator"] == [c.name for c in CASES]
    replayed = [r.case for r in mine if r.source == "cassette"]
    assert replayed == [c.name for c in CASES if c.cassette and c.applies_to(target.wire)]

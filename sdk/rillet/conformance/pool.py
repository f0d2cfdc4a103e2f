"""Targets in parallel: one process per target, as many at once as there are cores.

Replaying a cassette a byte at a time costs CPU in the event loop of one process, so the
targets of a run go to worker processes (``spawn``: nothing of the parent's event loop is
inherited). Each worker runs ``run_target`` and sends back its results without their
observations, which hold exceptions that need not survive pickling.
"""

from __future__ import annotations

import asyncio
import dataclasses
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from rillet.conformance.catalogue import CASES
from rillet.conformance.runner import CaseResult, Target, run_target

__all__ = ["PARALLEL_FROM", "default_jobs", "run_targets"]


PARALLEL_FROM = 40
"""Runs (cases x targets) below which starting processes costs more than it saves."""


def default_jobs(targets: int, cases: int = PARALLEL_FROM) -> int:
    """One process per target, up to the cores, for a run big enough to be worth it."""
    if targets * cases < PARALLEL_FROM:
        return 1
    return max(1, min(targets, os.cpu_count() or 1))


def _work(
    target: Target, names: Sequence[str], cassettes: str | None, record: bool, seed: int
) -> list[CaseResult]:
    from rillet.conformance.replay import recorder, replayer

    root = Path(cassettes) if cassettes is not None else None
    cases = [case for case in CASES if case.name in names]
    results = asyncio.run(
        run_target(
            target,
            cases,
            replay=replayer(root, seed) if root is not None else None,
            recorder=recorder(root) if root is not None and record else None,
        )
    )
    return [dataclasses.replace(result, observation=None) for result in results]


def run_targets(
    targets: Sequence[Target],
    names: Sequence[str],
    *,
    cassettes: Path | None = None,
    record: bool = False,
    seed: int = 0,
    jobs: int | None = None,
    on_target: Callable[[list[CaseResult]], None] | None = None,
) -> list[CaseResult]:
    """Run the named cases for every target, ``jobs`` targets at a time; results in target
    order. ``on_target`` hears of each target's results as soon as they are in."""
    workers = default_jobs(len(targets), len(names)) if jobs is None else max(1, jobs)
    root = str(cassettes) if cassettes is not None else None
    if workers == 1:
        done = []
        for target in targets:
            results = _work(target, names, root, record, seed)
            if on_target is not None:
                on_target(results)
            done.append(results)
        return [result for results in done for result in results]
    by_target: dict[int, list[CaseResult]] = {}
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {
            pool.submit(_work, target, list(names), root, record, seed): index
            for index, target in enumerate(targets)
        }
        for future in as_completed(futures):
            results = future.result()
            by_target[futures[future]] = results
            if on_target is not None:
                on_target(results)
    return [result for index in sorted(by_target) for result in by_target[index]]

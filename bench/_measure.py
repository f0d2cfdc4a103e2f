"""Shared helpers: CPU timing, memory, the machine description, tables, worker processes."""

from __future__ import annotations

import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"


async def cpu_and_wall(run: Callable[[], Awaitable[int]]) -> tuple[float, float, int]:
    """(CPU seconds of this process, wall seconds, what ``run`` returned) for one run.

    The server lives in another process, so ``process_time`` is the client's CPU alone (all
    its threads: an SDK that decodes in a worker thread is still charged for it)."""
    gc.collect()
    cpu, wall = time.process_time(), time.perf_counter()
    count = await run()
    return time.process_time() - cpu, time.perf_counter() - wall, count


def repeats(events: int, us_per_event: float | None, cap: int, budget_s: float) -> int:
    """How many runs a consumer gets: ``cap``, or fewer when its cost per event measured so far
    says they would take more than ``budget_s`` CPU seconds (at least one)."""
    if us_per_event is None:
        return cap
    return max(1, min(cap, int(budget_s / (us_per_event * 1e-6 * events))))


async def best_of_rounds(
    runs: Mapping[str, int], drain: Callable[[str], Awaitable[int]]
) -> tuple[dict[str, tuple[float, float]], dict[str, int]]:
    """Run ``drain(name)`` ``runs[name]`` times for each name, in interleaved rounds (so that a
    noisy machine's noise hits all alike). Returns the best (CPU, wall) seconds of each name
    and what its last run returned."""
    best = {name: (float("inf"), float("inf")) for name in runs}
    items: dict[str, int] = {}
    for round_ in range(max(runs.values(), default=0)):
        for name, count in runs.items():
            if round_ < count:
                cpu, wall, items[name] = await cpu_and_wall(lambda name=name: drain(name))
                best[name] = (min(best[name][0], cpu), min(best[name][1], wall))
    return best, items


def per_event(cpu: float, wall: float, events: int, floor_cpu: float) -> dict[str, Any]:
    """The row fields of one consumer's best run over ``events`` wire events."""
    return {
        "wire_events": events,
        "cpu_s": cpu,
        "wall_s": wall,
        "cpu_us_per_event": cpu / events * 1e6,
        "events_per_s": events / wall,
        "x_floor": cpu / floor_cpu,
    }


def rss_mb() -> float:
    """The resident set size now, in MB (Linux ``/proc``; else the peak so far)."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1e6
    except OSError:
        return peak_rss_mb()


def peak_rss_mb() -> float:
    """The peak resident set size of this process so far, in MB.

    Linux: ``VmHWM`` of ``/proc/self/status``, the high-water mark of this program's own
    memory (``ru_maxrss`` would not do in a worker: Linux carries it across ``exec`` from the
    forked parent). Elsewhere ``ru_maxrss``."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1e3  # kB
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1e6 if sys.platform == "darwin" else peak / 1e3


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def machine() -> dict[str, Any]:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions = {}
    for package in (
        "rillet",
        "aiohttp",
        "pydantic",
        "pydantic-core",
        "openai",
        "anthropic",
        "google-genai",
        "litellm",
        "pydantic-ai-slim",
        "httpx",
    ):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "versions": versions,
    }


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], title: str = "") -> str:
    """A plain-text table (numbers right-aligned), ready to print or paste into Markdown."""

    def cell(value: object) -> str:
        if value is None:
            return "-"
        if isinstance(value, float):
            if value != value:  # NaN
                return "-"
            if abs(value) >= 1000:
                return f"{value:,.0f}"
            if abs(value) >= 100:
                return f"{value:.0f}"
            if abs(value) >= 10:
                return f"{value:.1f}"
            return f"{value:.2f}"
        if isinstance(value, int):
            return f"{value:,}"
        return str(value)

    cells = [[cell(v) for v in row] for row in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)
    ]
    numeric = [
        all(isinstance(row[i], (int, float)) or row[i] is None for row in rows) if rows else False
        for i in range(len(headers))
    ]

    def line(values: Sequence[str]) -> str:
        parts = [
            v.rjust(w) if numeric[i] else v.ljust(w)
            for i, (v, w) in enumerate(zip(values, widths, strict=True))
        ]
        return "| " + " | ".join(parts) + " |"

    out = [f"\n### {title}\n"] if title else []
    out.append(line(list(headers)))
    out.append(
        "|"
        + "|".join(
            ("-" * (w + 1) + ":") if numeric[i] else "-" * (w + 2) for i, w in enumerate(widths)
        )
        + "|"
    )
    out += [line(r) for r in cells]
    return "\n".join(out)


def run_worker(script: Path, args: dict[str, Any], timeout: float = 900) -> dict[str, Any]:
    """Run ``script --worker ARGS`` in a fresh interpreter (so that its peak RSS is its own)
    and return the JSON object it prints last."""
    done = subprocess.run(
        [sys.executable, str(script), "--worker", json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=BENCH.parent,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        return {"error": f"worker failed (exit {done.returncode}): " + " | ".join(tail)[:400]}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def write_json(name: str, data: Any) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / name
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return path

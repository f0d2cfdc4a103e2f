"""Every benchmark under ``bench/``, in one run, against one loopback server: a table per
benchmark, the targets with their verdicts, and one JSON file of everything.

    pip install -e ".[bench]"          # the official SDKs, litellm, pydantic-ai, psutil
    python bench/run_all.py            # the full run (over half an hour on 2 cores)
    python bench/run_all.py --quick    # N = 2k and 20k, fewer runs, smaller memory stream
    python bench/run_all.py --only pipeline,ttfc

The server is a child process, so every CPU figure is the client's alone; consumers are
interleaved so that a noisy machine's noise hits all of them alike. Results go to
``bench/results/run-<time>.json`` and ``bench/results/latest.json`` (git-ignored) and the
tables to ``bench/results/latest.md``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import bench_accumulator
import bench_bedrock
import bench_concurrency
import bench_live
import bench_live_inprocess
import bench_memory
import bench_output
import bench_per_stream
import bench_pipeline
import bench_reassembly
import bench_steady
import bench_transport
import bench_ttfc
from _measure import RESULTS, machine, table, write_json
from _server import BodyServer

Section = tuple[Callable[[str, bool], dict[str, Any]], Callable[[dict[str, Any]], str]]

# bench_live_inprocess (events per row, rounds, streams open at once), full and --quick.
_INPROCESS = {False: (60_000, 3, (1, 100, 1000)), True: (3_000, 2, (1, 100))}
SECTIONS: dict[str, Section] = {
    "transport": (bench_transport.run, bench_transport.report),
    "pipeline": (bench_pipeline.run, bench_pipeline.report),
    "steady": (bench_steady.run, bench_steady.report),
    "ttfc": (bench_ttfc.run, bench_ttfc.report),
    "reassembly": (bench_reassembly.run, bench_reassembly.report),
    "concurrency": (bench_concurrency.run, bench_concurrency.report),
    "memory": (bench_memory.run, bench_memory.report),
    "accumulator": (lambda url, quick: bench_accumulator.run(), bench_accumulator.report),
    "output": (bench_output.run, bench_output.report),
    "bedrock": (bench_bedrock.run, bench_bedrock.report),
    "live": (bench_live.run, bench_live.report),
    "live-inprocess": (
        lambda url, quick: {"rows": bench_live_inprocess.run(*_INPROCESS[quick])},
        lambda result: bench_live_inprocess.report(result["rows"]),
    ),
    "per-stream": (bench_per_stream.run, bench_per_stream.report),
}


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("holds" if ok else "MISSED")


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets, each with the figure it is judged on (all from this run)."""
    out: list[dict[str, Any]] = []

    def add(name: str, figure: str, ok: bool | None) -> None:
        out.append({"target": name, "figure": figure, "verdict": _verdict(ok)})

    transport = results.get("transport", {}).get("rows", [])
    for fmt in sorted({r["format"] for r in transport}):
        worst = max(
            r["x_floor"]
            for r in transport
            if r["format"] == fmt and r["reader"] == "transport + wire models"
        )
        add(
            f"transport framing+decoding <= 1.0x floor ({fmt})",
            f"{worst:.2f}x (worst N)",
            worst <= 1.0,
        )

    pipeline = results.get("pipeline", {}).get("rows", [])
    # Live streams' issue: bursts no worse than 0.75x the floor (1.0x for the Gemini JSON
    # array), judged at the largest N and, stream after stream, in steady state.
    burst_limit = {"gemini-json": 1.0}
    if pipeline:
        big_n = max(r["n"] for r in pipeline)
        for r in pipeline:
            if r["consumer"] == "rillet" and r["n"] == big_n:
                limit = burst_limit.get(r["format"], 0.75)
                add(
                    f"burst <= {limit}x floor ({r['format']})",
                    f"{r['x_floor']:.2f}x at N={big_n:,}",
                    r["x_floor"] <= limit,
                )
    for r in results.get("steady", {}).get("rows", []):
        if r["consumer"] == "rillet":
            limit = burst_limit.get(r["format"], 0.75)
            gen2 = r["collections_per_stream"][2]
            add(
                f"burst in steady state <= {limit}x floor ({r['format']})",
                f"{r['x_floor']:.2f}x, {gen2:.1f} full collections per stream",
                r["x_floor"] <= limit,
            )

    def cpu(fmt: str, n: int, consumer: str) -> float | None:
        return next(
            (
                r["cpu_us_per_event"]
                for r in pipeline
                if (r["format"], r["n"], r["consumer"]) == (fmt, n, consumer)
            ),
            None,
        )

    if pipeline:
        sizes = sorted({r["n"] for r in pipeline})
        big = sizes[-1]
        for fmt in sorted({r["format"] for r in pipeline}):
            ratios = [
                r["x_floor"] for r in pipeline if r["format"] == fmt and r["consumer"] == "rillet"
            ]
            add(
                f"rillet <= 1.2x floor per event ({fmt})",
                f"{max(ratios):.2f}x (worst N)",
                max(ratios) <= 1.2,
            )
            values = [v for v in (cpu(fmt, n, "rillet") for n in sizes) if v is not None]
            floors = [v for v in (cpu(fmt, n, "floor") for n in sizes) if v is not None]
            if len(values) > 1 and len(values) == len(floors):
                # Judged on the cost per event beside the floor's at each N: on a shared
                # machine the floor itself drifts with N (caches, the server's pace), and
                # that drift is not rillet's.
                relative = [v / f for v, f in zip(values, floors, strict=True)]
                drift = max(relative) / min(relative)
                add(
                    f"rillet flat in N, <= 1.1x drift ({fmt})",
                    f"{drift:.2f}x beside the floor; rillet "
                    + " / ".join(f"{v:.1f}" for v in values)
                    + f" us ({max(values) / min(values):.2f}x), floor "
                    + " / ".join(f"{v:.1f}" for v in floors)
                    + f" us ({max(floors) / min(floors):.2f}x)",
                    drift <= 1.1,
                )
        for fmt, consumer, factor in (
            ("openai-chat", "openai create", 8),
            ("anthropic", "anthropic create", 2),
            ("gemini-sse", "google-genai", 10),
            ("openai-chat", "pydantic-ai", 20),
            ("openai-chat", "litellm", 20),
            ("anthropic", "litellm", 20),
        ):
            theirs, ours = cpu(fmt, big, consumer), cpu(fmt, big, "rillet")
            if theirs is None or ours is None:
                add(f">= {factor}x less CPU than {consumer} ({fmt})", "not measured", None)
                continue
            add(
                f">= {factor}x less CPU than {consumer} ({fmt})",
                f"{theirs / ours:.1f}x at N={big:,}",
                theirs / ours >= factor,
            )

    ttfc = results.get("ttfc", {}).get("rows", [])
    for row in ttfc:
        if row["consumer"] == "rillet":
            add(
                f"time to first chunk <= floor + 0.3 ms ({row['format']})",
                f"+{row['overhead_ms']:.3f} ms (median {row['median_ms']:.3f} ms)",
                row["overhead_ms"] <= 0.3,
            )

    bedrock = results.get("bedrock", {}).get("rows", [])
    for regime in sorted({r["regime"] for r in bedrock}):
        by_consumer = {r["consumer"]: r for r in bedrock if r["regime"] == regime}
        ours = by_consumer.get("rillet")
        add(
            f"rillet <= 1.2x floor per event (bedrock, {regime})",
            f"{ours['x_floor']:.2f}x" if ours else "not measured",
            ours["x_floor"] <= 1.2 if ours else None,
        )
        theirs = by_consumer.get("boto3 (thread)")
        if ours and theirs:
            factor = theirs["cpu_s"] / ours["cpu_s"]
            add(
                f">= 10x less CPU than boto3 (bedrock, {regime})",
                f"{factor:.1f}x (boto3 itself {theirs['x_floor']:.1f}x the floor)",
                factor >= 10,
            )
        else:
            add(f">= 10x less CPU than boto3 (bedrock, {regime})", "not measured", None)

    reassembly = results.get("reassembly", {}).get("rows", [])
    helper = next((r for r in reassembly if r["consumer"] == "anthropic .stream()"), None)
    if helper and "x_rillet" in helper:
        add(
            "reassembly >= 50x faster than the anthropic helper",
            f"{helper['x_rillet']:.0f}x",
            helper["x_rillet"] >= 50,
        )

    concurrency = results.get("concurrency", {}).get("rows", [])
    for row in concurrency:
        if row["consumer"].startswith("rillet") and "x_floor_rate" in row:
            add(
                f"concurrency >= 80% of the floor's rate ({row['consumer']})",
                f"{row['x_floor_rate']:.0%}, peak RSS {row['peak_rss_mb']:.0f} MB",
                row["x_floor_rate"] >= 0.8,
            )

    memory = results.get("memory", {}).get("rows", [])
    for row in memory:
        if row["consumer"].startswith("rillet") and "growth_mb" in row:
            add(
                f"memory flat over the {results['memory']['bytes'] / 1e6:.0f} MB stream ({row['consumer']})",
                f"{row['growth_mb']:+.1f} MB after the first tenth (peak {row['peak_rss_mb']:.0f} MB)",
                row["growth_mb"] <= 5.0,
            )
    for name, figure, ok in bench_live.targets(results.get("live", {})):
        add(name, figure, ok)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer runs")
    parser.add_argument("--only", default="", help="comma-separated: " + ",".join(SECTIONS))
    args = parser.parse_args()
    chosen = [s for s in (args.only.split(",") if args.only else SECTIONS) if s]
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    info = machine()
    print(
        f"rillet benchmarks: {info['nproc']} CPUs ({info['cpu']}), Python {info['python']}"
        + (" (quick)" if args.quick else ""),
        flush=True,
    )
    started = time.time()
    results: dict[str, Any] = {}
    texts: list[str] = []
    with BodyServer() as server:
        for name in chosen:
            run, report = SECTIONS[name]
            print(f"\n== {name}", flush=True)
            section_started = time.time()
            results[name] = run(server.url, args.quick)
            results[name]["seconds"] = round(time.time() - section_started, 1)
            texts.append(report(results[name]))
            print(texts[-1], flush=True)
    verdicts = targets(results)
    summary = table(
        ["target", "figure", "verdict"],
        [[t["target"], t["figure"], t["verdict"]] for t in verdicts],
        "Targets (ratios from this run)",
    )
    print(summary)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    document = {
        "machine": info,
        "quick": args.quick,
        "seconds": round(time.time() - started, 1),
        "results": results,
        "targets": verdicts,
    }
    write_json(f"run-{stamp}.json", document)
    path = write_json("latest.json", document)
    header = (
        f"Machine: {info['nproc']} CPUs, {info['cpu']}, Python {info['python']} "
        f"({info['platform']}); {time.strftime('%Y-%m-%d')}\n"
    )
    (RESULTS / "latest.md").write_text(header + "\n".join(texts) + "\n" + summary + "\n")
    print(f"\nwritten: {path} and {RESULTS / 'latest.md'} ({document['seconds']:.0f} s)")


if __name__ == "__main__":
    main()

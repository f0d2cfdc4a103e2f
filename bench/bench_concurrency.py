"""1,000 concurrent streams on one event loop: aggregate events/s and peak RSS.

    python bench/bench_concurrency.py [--streams 1000] [--events 200] [--quick]

Each consumer runs in a fresh interpreter (so that its peak RSS is its own): it warms up with
one stream, notes its RSS, then opens ``streams`` OpenAI chat streams of ``events`` text deltas
at once on one event loop (no connection limit) and reads them all to the end, three times
(the best is kept). Aggregate events/s is every wire event of every stream over the wall time
of the whole batch.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any

import _consumers
from _measure import machine, peak_rss_mb, rss_mb, run_worker, table, write_json
from _server import BodyServer

FMT = "openai-chat"
CONSUMERS = {
    "floor": _consumers.Floor,
    "rillet": _consumers.Rillet,
    "rillet lean": _consumers.RilletLean,
}


async def _worker(args: dict[str, Any]) -> dict[str, Any]:
    consumer = CONSUMERS[args["consumer"]](args["url"], pool_limit=0)
    await consumer.start()
    model = f"text-{args['events']}"
    try:
        await consumer.drain(FMT, model)
        baseline = rss_mb()
        best_wall = best_cpu = float("inf")
        for _ in range(args["runs"]):
            cpu, wall = time.process_time(), time.perf_counter()
            counts = await asyncio.gather(
                *(consumer.drain(FMT, model) for _ in range(args["streams"]))
            )
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            best_wall, best_cpu = min(best_wall, wall), min(best_cpu, cpu)
    finally:
        await consumer.close()
    return {
        "consumer": args["consumer"],
        "streams": args["streams"],
        "items": sum(counts),
        "runs": args["runs"],
        "cpu_s": best_cpu,
        "wall_s": best_wall,
        "baseline_rss_mb": baseline,
        "peak_rss_mb": peak_rss_mb(),
    }


def run(url: str, quick: bool = False, streams: int = 1000, events: int = 200) -> dict[str, Any]:
    if quick:
        streams = 300
    rows = []
    wire = events + 3  # the role chunk, the deltas, the finish chunk, the usage chunk
    for name in CONSUMERS:
        result = run_worker(
            Path(__file__),
            {"consumer": name, "url": url, "streams": streams, "events": events, "runs": 3},
        )
        if "error" in result:
            rows.append({"consumer": name, "error": result["error"]})
            print(f"  {name}: {result['error']}", flush=True)
            continue
        result["events"] = streams * wire
        result["events_per_s"] = result["events"] / result["wall_s"]
        result["cpu_us_per_event"] = result["cpu_s"] / result["events"] * 1e6
        rows.append(result)
        print(
            f"  {name:<14}{result['events_per_s']:>12,.0f} events/s  peak RSS "
            f"{result['peak_rss_mb']:.0f} MB (baseline {result['baseline_rss_mb']:.0f} MB)",
            flush=True,
        )
    floor = next((r for r in rows if r["consumer"] == "floor" and "error" not in r), None)
    for row in rows:
        if floor and "error" not in row:
            row["x_floor_rate"] = row["events_per_s"] / floor["events_per_s"]
    return {"format": FMT, "streams": streams, "events_per_stream": wire, "rows": rows}


def report(result: dict[str, Any]) -> str:
    return table(
        [
            "consumer",
            "events/s",
            "of floor's rate",
            "CPU us/event",
            "wall s",
            "baseline RSS MB",
            "peak RSS MB",
        ],
        [
            [
                r["consumer"],
                r.get("events_per_s"),
                r.get("x_floor_rate"),
                r.get("cpu_us_per_event"),
                r.get("wall_s"),
                r.get("baseline_rss_mb"),
                r.get("peak_rss_mb"),
            ]
            for r in result["rows"]
        ],
        f"{result['streams']:,} concurrent streams on one event loop "
        f"({result['events_per_stream']} events each, {result['format']})",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(asyncio.run(_worker(json.loads(args.worker)))))
        return
    with BodyServer() as server:
        result = run(server.url, args.quick, args.streams, args.events)
    print(report(result))
    write_json("concurrency.json", {"machine": machine(), **result})


if __name__ == "__main__":
    main()

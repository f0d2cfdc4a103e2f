"""Burst reads in steady state: the floor and rillet, stream after stream with no garbage
collection forced between them, as in a long-running application.

    python bench/bench_steady.py [--quick]

``bench_pipeline`` collects garbage before every run and keeps each consumer's best run, which
is right for comparing decoding work but hides one cost: a consumer that keeps many tracked
objects alive across a read (a 64 KiB read of Gemini JSON elements, each parsed into nine
containers, holds some 1,300) pushes them past the collector's youngest generation, and the
oldest generation's growth brings on full collections, whose cost grows with the whole heap.
Here each consumer reads the same 20,000-event body ``rounds`` times, interleaved, and the
figure is the median (a full collection every few streams is part of the cost), beside the
collections each stream brought on.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
from typing import Any

import _bodies
import _consumers
from _measure import machine, median, table, write_json
from _server import BodyServer

MODEL = "text-20000"


async def measure(url: str, rounds: int) -> dict[str, Any]:
    consumers = await _consumers.start_all(url, [_consumers.Floor, _consumers.Rillet])
    rows: list[dict[str, Any]] = []
    try:
        for fmt in _bodies.FORMATS:
            for c in consumers:  # warm-up: connections, the server's first build of the body
                await c.drain(fmt, MODEL)
            gc.collect()  # once: from here on, the collector runs as it would
            cpu: dict[str, list[float]] = {c.name: [] for c in consumers}
            collections = {c.name: [0, 0, 0] for c in consumers}
            events = 0
            for _ in range(rounds):
                for c in consumers:
                    before = [s["collections"] for s in gc.get_stats()]
                    started = time.process_time()
                    count = await c.drain(fmt, MODEL)
                    cpu[c.name].append(time.process_time() - started)
                    after = [s["collections"] for s in gc.get_stats()]
                    collections[c.name] = [
                        total + a - b
                        for total, a, b in zip(collections[c.name], after, before, strict=True)
                    ]
                    if c.name == "floor":
                        events = count  # the wire events
            floor = median(cpu["floor"])
            for c in consumers:
                row = {
                    "format": fmt,
                    "consumer": c.name,
                    "streams": rounds,
                    "cpu_us_per_event": median(cpu[c.name]) / events * 1e6,
                    "x_floor": median(cpu[c.name]) / floor,
                    "collections_per_stream": [n / rounds for n in collections[c.name]],
                }
                rows.append(row)
                print(
                    f"  {fmt:<17}{c.name:<8}{row['cpu_us_per_event']:>8.2f} us/event"
                    f"{row['x_floor']:>7.2f}x floor  collections/stream (gen 0, 1, 2): "
                    + ", ".join(f"{n:.1f}" for n in row["collections_per_stream"]),
                    flush=True,
                )
    finally:
        await _consumers.close_all(consumers)
    return {"rows": rows, "tracked_objects": len(gc.get_objects())}


def report(result: dict[str, Any]) -> str:
    lines = [
        [
            r["format"],
            r["consumer"],
            r["cpu_us_per_event"],
            r["x_floor"],
            " / ".join(f"{n:.1f}" for n in r["collections_per_stream"]),
        ]
        for r in result["rows"]
    ]
    return table(
        ["format", "consumer", "CPU us/event", "x floor", "collections per stream (gen 0/1/2)"],
        lines,
        f"Burst reads in steady state, N = 20,000 (median of {result['rows'][0]['streams']} "
        f"streams each, no collection forced; {result['tracked_objects']:,} tracked objects "
        "in the process)",
    )


def run(url: str, quick: bool = False) -> dict[str, Any]:
    return asyncio.run(measure(url, 6 if quick else 16))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="6 streams each, not 16")
    args = parser.parse_args()
    with BodyServer() as server:
        result = run(server.url, args.quick)
    print(report(result))
    write_json("steady.json", {"machine": machine(), **result})


if __name__ == "__main__":
    main()

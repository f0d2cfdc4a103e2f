"""Time to first chunk: the median of 200 requests per consumer and wire format.

    python bench/bench_ttfc.py [--requests 200]

Each request streams a short body (20 text deltas) over a warm connection; the clock runs from
the consumer's call (request building included) until its first item is in hand: the floor's
first parsed data line, rillet's first chunk, an SDK's first event. The rest is read so that the
connection is reused. Requests are interleaved across consumers in rounds of ten.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

import _bodies
import _consumers
from _measure import machine, median, table, write_json
from _server import BodyServer

MODEL = "text-20"


async def measure(url: str, requests: int) -> dict[str, Any]:
    consumers = await _consumers.start_all(url, _consumers.ALL)
    rows: list[dict[str, Any]] = []
    try:
        for fmt in _bodies.FORMATS:
            active = [c for c in consumers if fmt in c.formats and not c.skip_reason]
            times: dict[str, list[float]] = {c.name: [] for c in active}
            for c in active:  # warm-up: a connection in the pool, lazy imports done
                for _ in range(3):
                    await c.first(fmt, MODEL)
            per_round = 10
            for _ in range(-(-requests // per_round)):
                for c in active:
                    for _ in range(per_round):
                        times[c.name].append(await c.first(fmt, MODEL))
            floor = median(times["floor"])
            for c in active:
                values = sorted(times[c.name])
                rows.append(
                    {
                        "format": fmt,
                        "consumer": c.name,
                        "requests": len(values),
                        "median_ms": median(values) * 1e3,
                        "p90_ms": values[int(len(values) * 0.9)] * 1e3,
                        "overhead_ms": (median(values) - floor) * 1e3,
                    }
                )
                print(
                    f"  {fmt:<17}{c.name:<24}{rows[-1]['median_ms']:>8.3f} ms"
                    f"  (+{rows[-1]['overhead_ms']:.3f} ms over the floor)",
                    flush=True,
                )
    finally:
        await _consumers.close_all(consumers)
    return {"rows": rows}


def report(result: dict[str, Any]) -> str:
    return table(
        ["format", "consumer", "median ms", "p90 ms", "over floor ms"],
        [
            [r["format"], r["consumer"], r["median_ms"], r["p90_ms"], r["overhead_ms"]]
            for r in result["rows"]
        ],
        "Time to first chunk (median of 200 requests, 20-event body, warm connection)",
    )


def run(url: str, quick: bool = False) -> dict[str, Any]:
    return asyncio.run(measure(url, 60 if quick else 200))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    with BodyServer() as server:
        result = run(server.url, args.quick)
    print(report(result))
    write_json("ttfc.json", {"machine": machine(), **result})


if __name__ == "__main__":
    main()

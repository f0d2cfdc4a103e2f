"""CPU per event and events/s of every consumer, per wire format, at N = 2k, 20k, 200k.

    python bench/bench_pipeline.py [--sizes 2000,20000,200000] [--quick]

Consumers: the floor (aiohttp ``readline`` + ``json.loads``), rillet's whole pipeline
(``LLMClient(provider=...).stream()`` read to the end: transport, adapter, accumulator), the
official SDKs and what users pick instead of one (see ``_consumers.py``). All read the same
bytes from the same loopback server in one run; runs are interleaved so that noise hits all
alike, and each figure is the best of its runs. CPU per event divides by the wire events (the
floor's count of data lines, or of array elements).
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

import _bodies
import _consumers
from _measure import best_of_rounds, machine, per_event, repeats, table, write_json
from _server import BodyServer

SIZES = (2_000, 20_000, 200_000)
BUDGET_S = 25.0  # CPU seconds one consumer may spend on its repeats at one size


async def measure(url: str, sizes: tuple[int, ...], cap: int) -> dict[str, Any]:
    consumers = await _consumers.start_all(url, _consumers.ALL)
    rows: list[dict[str, Any]] = []
    skipped = {c.name: c.skip_reason for c in consumers if c.skip_reason}
    try:
        for fmt in _bodies.FORMATS:
            active = [c for c in consumers if fmt in c.formats and not c.skip_reason]
            cost: dict[str, float] = {}
            for c in active:  # warm-up: imports, connections, the server's first build
                try:
                    await c.drain(fmt, "text-200")
                except Exception as error:
                    skipped[f"{c.name} ({fmt})"] = f"{type(error).__name__}: {error}"[:200]
            active = [c for c in active if f"{c.name} ({fmt})" not in skipped]
            for n in sizes:
                model = f"text-{n}"
                await active[0].drain(fmt, model)  # the server builds this body once
                by_name = {c.name: c for c in active}
                runs = {c.name: repeats(n, cost.get(c.name), cap, BUDGET_S) for c in active}
                best, items = await best_of_rounds(
                    runs,
                    lambda name, by_name=by_name, model=model, fmt=fmt: by_name[name].drain(
                        fmt, model
                    ),
                )
                events = items["floor"]
                floor_cpu = best["floor"][0]
                for c in active:
                    cpu, wall = best[c.name]
                    cost[c.name] = cpu / events * 1e6
                    rows.append(
                        {
                            "format": fmt,
                            "n": n,
                            "consumer": c.name,
                            "items": items[c.name],
                            "runs": runs[c.name],
                            **per_event(cpu, wall, events, floor_cpu),
                        }
                    )
                    print(
                        f"  {fmt:<17}{n:>8}  {c.name:<24}{cpu / events * 1e6:>9.2f} us/event"
                        f"{cpu / floor_cpu:>8.2f}x floor{events / wall:>12,.0f} events/s"
                        f"  ({runs[c.name]} run{'s' if runs[c.name] > 1 else ''})",
                        flush=True,
                    )
    finally:
        await _consumers.close_all(consumers)
    return {"rows": rows, "skipped": skipped}


def report(result: dict[str, Any]) -> str:
    rows = result["rows"]
    rillet = {
        (r["format"], r["n"]): r["cpu_us_per_event"] for r in rows if r["consumer"] == "rillet"
    }
    lines = [
        [
            r["format"],
            r["n"],
            r["consumer"],
            r["cpu_us_per_event"],
            r["x_floor"],
            r["cpu_us_per_event"] / rillet[(r["format"], r["n"])]
            if (r["format"], r["n"]) in rillet
            else None,
            r["events_per_s"],
        ]
        for r in rows
    ]
    text = table(
        ["format", "N", "consumer", "CPU us/event", "x floor", "x rillet", "events/s"],
        lines,
        "CPU per event and throughput (best of the runs)",
    )
    for name, reason in result.get("skipped", {}).items():
        text += f"\n(skipped {name}: {reason})"
    return text


def run(url: str, quick: bool = False, sizes: tuple[int, ...] | None = None) -> dict[str, Any]:
    sizes = sizes or ((2_000, 20_000) if quick else SIZES)
    return asyncio.run(measure(url, sizes, cap=3 if quick else 7))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default=None, help="comma-separated N (default 2000,20000,200000)"
    )
    parser.add_argument("--quick", action="store_true", help="N = 2k and 20k, fewer runs")
    args = parser.parse_args()
    sizes = tuple(int(s) for s in args.sizes.split(",")) if args.sizes else None
    with BodyServer() as server:
        result = run(server.url, args.quick, sizes)
    print(report(result))
    write_json("pipeline.json", {"machine": machine(), **result})


if __name__ == "__main__":
    main()

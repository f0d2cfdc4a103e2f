"""What a live stream costs once, and what each of its events costs: the floor and rillet.

    python bench/bench_per_stream.py [--quick] [--rounds 8] [--streams 100] [--formats ...]

A live stream's CPU is a cost per stream (the request built and sent, the response's headers
read, the stream's first and last chunks, the connection handed back) and a cost per event.
Here 100 streams at once (``--streams``) are read to the end twice over: a short stream (one
text delta: 4 to 6 wire events) and a long one (60 deltas), each delta ``GAP_US`` apart, as
``bench_live`` serves them (one event per write). The floor and rillet read in turns in one
process (``bench_live.in_turns``, as the CPU target's figure is measured), their batches
alternating, and each batch's CPU is divided by its streams. From the medians of the rounds, per consumer:

- per event: (long - short) / (the long stream's wire events - the short one's);
- per stream: short - its wire events x per event.

The per-stream figure is what the CPU per event of ``bench_live`` pays on top of the events'
own cost, spread over a stream's events: at 1,000 streams of 60 deltas, 1 us per event for
every 66 us per stream.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any

import bench_live
from _measure import machine, median, run_worker, table, write_json
from _server import BodyServer

SHORT, LONG = 1, 60  # text deltas of the two streams
GAP_US = 5_000  # between two deltas (as bench_live's 100 streams)
ROUNDS = {False: 8, True: 3}
STREAMS = 100


async def _worker(args: dict[str, Any]) -> dict[str, Any]:
    """Each consumer's CPU seconds per batch (rounds x (short, long)) and the wire events per
    stream of each length (the floor's count)."""
    fmt, streams = args["fmt"], args["streams"]
    models = {n: bench_live.live_model(fmt, n, GAP_US) for n in (SHORT, LONG)}
    # The warm-up reads both bodies once: imports, a connection, the server's builds of them.
    cpu, events = await bench_live.in_turns(
        args["url"], fmt, list(models.values()), streams, args["rounds"], list(models.values())
    )
    return {
        "cpu_s": {
            name: {str(n): by_model[m] for n, m in models.items()} for name, by_model in cpu.items()
        },
        "events": {str(n): events[m] / streams for n, m in models.items()},
    }


def _split(short_s: float, long_s: float, events: dict[str, float]) -> tuple[float, float]:
    """(us per stream, us per event) of a consumer whose streams cost ``short_s`` and
    ``long_s`` CPU seconds each."""
    short_events, long_events = events[str(SHORT)], events[str(LONG)]
    per_event = (long_s - short_s) / (long_events - short_events)
    return (short_s - short_events * per_event) * 1e6, per_event * 1e6


def measure(url: str, fmt: str, streams: int, rounds: int) -> dict[str, Any] | None:
    args = {"fmt": fmt, "streams": streams, "rounds": rounds, "url": url}
    found = run_worker(Path(__file__), args, timeout=900)
    if "cpu_s" not in found:
        print(f"  {fmt}: {found.get('error')}", flush=True)
        return None
    events = found["events"]
    row: dict[str, Any] = {"format": fmt, "streams": streams, "rounds": rounds}
    row["events_short"], row["events_long"] = events[str(SHORT)], events[str(LONG)]
    for name in ("floor", "rillet"):
        batches = found["cpu_s"][name]
        short_s = median(batches[str(SHORT)]) / streams
        long_s = median(batches[str(LONG)]) / streams
        row[f"{name}_stream_us"], row[f"{name}_event_us"] = _split(short_s, long_s, events)
    row["extra_stream_us"] = row["rillet_stream_us"] - row["floor_stream_us"]
    row["x_event"] = row["rillet_event_us"] / row["floor_event_us"]
    print(
        f"  {fmt:<17} per stream {row['floor_stream_us']:.0f} vs {row['rillet_stream_us']:.0f} "
        f"us, per event {row['floor_event_us']:.1f} vs {row['rillet_event_us']:.1f} us",
        flush=True,
    )
    return row


def run(
    url: str,
    quick: bool,
    formats: tuple[str, ...] = bench_live.FORMATS,
    streams: int = STREAMS,
    rounds: int | None = None,
) -> dict[str, Any]:
    rounds = rounds or ROUNDS[quick]
    return {"rows": [r for fmt in formats if (r := measure(url, fmt, streams, rounds)) is not None]}


def report(result: dict[str, Any]) -> str:
    rows = result["rows"]
    return table(
        [
            "format",
            "events (short/long)",
            "floor us/stream",
            "rillet us/stream",
            "rillet extra",
            "floor us/event",
            "rillet us/event",
            "x floor (event)",
        ],
        [
            [
                r["format"],
                f"{r['events_short']:.0f}/{r['events_long']:.0f}",
                r["floor_stream_us"],
                r["rillet_stream_us"],
                r["extra_stream_us"],
                r["floor_event_us"],
                r["rillet_event_us"],
                r["x_event"],
            ]
            for r in rows
        ],
        f"Live, what a stream costs once and per event ({rows[0]['streams'] if rows else STREAMS} "
        f"streams at once, {SHORT} and {LONG} deltas, medians of the rounds in turns)",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument("--rounds", type=int, help="rounds in turns (default 8; 3 with --quick)")
    parser.add_argument("--streams", type=int, default=STREAMS, help="streams at once")
    parser.add_argument("--formats", default=",".join(bench_live.FORMATS), help="comma-separated")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(asyncio.run(_worker(json.loads(args.worker)))))
        return
    formats = tuple(f for f in args.formats.split(",") if f)
    if unknown := set(formats) - set(bench_live.FORMATS):
        parser.error(f"unknown format(s): {', '.join(sorted(unknown))}")
    started = time.time()
    with BodyServer() as server:
        result = run(server.url, args.quick, formats, args.streams, args.rounds)
    print(report(result))
    written = write_json("per-stream.json", {"machine": machine(), **result})
    print(f"written: {written}\n({time.time() - started:.0f} s)")


if __name__ == "__main__":
    main()

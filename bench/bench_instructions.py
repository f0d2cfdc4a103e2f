"""Instructions per live event, counted: the floor's and rillet's, free of the machine's noise.

    python bench/bench_instructions.py [--streams 100] [--events 40] [--formats openai-chat,...]
                                       [--per-stream] [--sockets] [--cache]

CPU time on a shared machine moves by some 10% from run to run (see the README), which is the
whole margin the live target judges. An instruction count does not move: this benchmark runs
the in-process live streams of ``bench_live_inprocess`` (one event per read, every stream fed
once per turn of the loop) under valgrind's cachegrind, and counts the instructions each
consumer executes per event. Each (consumer, format) runs twice in a fresh interpreter, with
``events`` and ``3 * events`` deltas per stream; the difference between the two counts, over
the difference in events, is the cost of an event alone (the imports, the warm-up stream and
opening the streams cancel out). The producer that feeds the readers is counted the same way
and taken off both.

``--per-stream`` counts a whole stream of ``events`` deltas instead (from ``streams`` and
``3 * streams`` streams): what a stream costs once (its request, its headers, its first frame,
its end) shows beside its events.

``--sockets`` counts the live benchmark's own path instead: a ``_server`` child (native, not
counted) writes each stream one event per write, and the client under cachegrind reads it over
loopback TCP as ``bench_live``'s floor and rillet do, aiohttp's HTTP parser, the event loop's
selector and each stream's connection and request included (the kernel's work is not an
instruction of the process). Under valgrind the client runs some 50 times slower than natively,
so the events are written far apart (5 ms, or 2.5 ms per open stream): each read still holds one
event. The report gives each run's busy share (its CPU time over its wall time); a client busy
more than half the time may have fallen behind and read several events at once.

``--cache`` adds cachegrind's simulated first-level data-cache misses and last-level misses
(an 8 MiB last level), first-level instruction-cache misses and mispredicted branches (the
interpreter's dispatch is mostly indirect branches) per event. The simulation has no TLB, no
prefetcher and no neighbours, so it is a guide to what a consumer touches, not to what a miss
costs here.

Needs ``valgrind`` on the PATH (it is a system package, not a Python one); without it the
benchmark says so and measures nothing. It takes a few minutes (each run is some 50 times slower
than natively) and is not part of ``run_all.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from _measure import table
from _server import BodyServer, raise_open_files
from bench_live_inprocess import FORMATS, Live, stream_events

_CONSUMERS = ("producer", "floor", "rillet")  # bench_live_inprocess.Live.reads
_OVER_SOCKETS = ("floor", "rillet")  # bench_live.consumer_kinds: the server is not counted
_LAST_LEVEL = "--LL=8388608,16,64"
_BUSY = "busy:"  # the line a child over sockets prints its busy share on


def _gap_us(streams: int) -> int:
    """Between two events of a stream over sockets: the client under valgrind needs some 0.5 ms
    per event, so it is idle most of the time and each read holds one event."""
    return max(5_000, 2_500 * streams)


def _child(consumer: str, fmt: str, streams: int, per_stream: int) -> None:
    """One consumer reads ``streams`` live streams of ``per_stream`` deltas at once (after one
    stream alone, to warm up), as ``bench_live_inprocess`` feeds them."""
    live = Live(fmt, per_stream)

    async def main() -> None:
        for count in (1, streams):
            await live.at_once(live.reads[consumer], count)

    asyncio.run(main())


def _socket_child(consumer: str, fmt: str, streams: int, per_stream: int, url: str) -> None:
    """One consumer of ``bench_live`` reads ``streams`` live streams from the server at ``url``
    at once (after one short stream: imports, a connection), then prints its busy share."""
    import bench_live

    raise_open_files()  # a socket per stream
    kind = next(k for k in bench_live.consumer_kinds(fmt) if k.name == consumer)
    reader = bench_live.unbounded_connect(kind(url, pool_limit=0))
    model = bench_live.live_model(fmt, per_stream, _gap_us(streams))

    async def main() -> float:
        await reader.start()
        try:
            await reader.drain_first(fmt, bench_live.live_model(fmt, 3, _gap_us(1)))
            cpu, wall = time.process_time(), time.perf_counter()
            await asyncio.gather(*(reader.drain_first(fmt, model) for _ in range(streams)))
            return (time.process_time() - cpu) / (time.perf_counter() - wall)
        finally:
            await reader.close()

    print(_BUSY, asyncio.run(main()))


def _counted(
    consumer: str,
    fmt: str,
    streams: int,
    per_stream: int,
    cache: bool,
    folder: str,
    url: str | None = None,
) -> tuple[dict[str, float], int]:
    """Cachegrind's totals for one child run (and, over sockets, its busy share), and the wire
    events it read (all streams). In process unless a server's ``url`` is given."""
    out = Path(folder) / f"{consumer}-{fmt}-{streams}x{per_stream}.out"
    command = [
        "valgrind",
        "--tool=cachegrind",
        f"--cache-sim={'yes' if cache else 'no'}",
        *([_LAST_LEVEL, "--branch-sim=yes"] if cache else []),
        f"--cachegrind-out-file={out}",
        sys.executable,
        __file__,
        "--child",
        consumer,
        fmt,
        str(streams),
        str(per_stream),
        *([url] if url else []),
    ]
    # One hash seed: a string's hash moves where dicts probe, and with it a few instructions.
    environment = {**os.environ, "PYTHONHASHSEED": "0"}
    child = subprocess.run(
        command,
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent,
        env=environment,
    )
    names: list[str] = []
    totals: list[float] = []
    for line in out.read_text().splitlines():
        if line.startswith("events:"):
            names = line.split()[1:]
        elif line.startswith("summary:"):
            totals = [int(value) for value in line.split()[1:]]
    counts = dict(zip(names, totals, strict=True))
    for line in child.stdout.splitlines():
        if line.startswith(_BUSY):
            counts["busy"] = float(line.removeprefix(_BUSY))
    return counts, len(stream_events(fmt, per_stream)) * streams


def _difference(few: dict[str, float], many: dict[str, float], units: float) -> dict[str, float]:
    """What each unit between two runs cost, and the busier run's share."""
    counts = {name: (many[name] - few[name]) / units for name in many if name != "busy"}
    if "busy" in many:
        counts["busy"] = max(few["busy"], many["busy"])
    return counts


def _per_event(
    consumer: str, fmt: str, streams: int, events: int, cache: bool, folder: str, url: str | None
) -> dict[str, float]:
    short, short_events = _counted(consumer, fmt, streams, events, cache, folder, url)
    long, long_events = _counted(consumer, fmt, streams, 3 * events, cache, folder, url)
    return _difference(short, long, long_events - short_events)


def _per_stream(
    consumer: str, fmt: str, streams: int, events: int, cache: bool, folder: str, url: str | None
) -> dict[str, float]:
    """A whole stream's count (its request, headers, events and end), from ``streams`` and
    ``3 * streams`` streams of ``events`` deltas."""
    few, _ = _counted(consumer, fmt, streams, events, cache, folder, url)
    many, _ = _counted(consumer, fmt, 3 * streams, events, cache, folder, url)
    return _difference(few, many, 2 * streams)


def run(
    streams: int = 100,
    events: int = 40,
    formats: tuple[str, ...] = FORMATS,
    cache: bool = False,
    per_stream: bool = False,
    sockets: bool = False,
) -> dict[str, Any]:
    if shutil.which("valgrind") is None:
        return {"skipped": "valgrind is not on the PATH", "rows": []}
    consumers = _OVER_SOCKETS if sockets else _CONSUMERS
    jobs = [(consumer, fmt) for fmt in formats for consumer in consumers]
    count = _per_stream if per_stream else _per_event
    with contextlib.ExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory())
        url = stack.enter_context(BodyServer()).url if sockets else None
        pool = stack.enter_context(ThreadPoolExecutor(os.cpu_count() or 1))
        counted = dict(
            zip(
                jobs,
                pool.map(lambda job: count(*job, streams, events, cache, folder, url), jobs),
                strict=True,
            )
        )
    rows = []
    for fmt in formats:
        # In process, the producer that feeds the readers is taken off both.
        producer = counted.get(("producer", fmt), {})
        floor, ours = (
            {
                name: value if name == "busy" else value - producer.get(name, 0)
                for name, value in counted[consumer, fmt].items()
            }
            for consumer in ("floor", "rillet")
        )
        rows.append(
            {
                "format": fmt,
                "streams": streams,
                "floor": floor,
                "rillet": ours,
                "x_floor": ours["Ir"] / floor["Ir"],
            }
        )
    return {
        "rows": rows,
        "cache": cache,
        "unit": "stream" if per_stream else "event",
        "events": events,
        "sockets": sockets,
    }


def report(result: dict[str, Any]) -> str:
    if result.get("skipped"):
        return f"Instructions per live event: skipped ({result['skipped']})"
    cache, unit = result["cache"], result["unit"]
    columns = ["format", "streams", f"floor instr/{unit}", f"rillet instr/{unit}", "x floor"]
    if cache:
        columns += ["floor D1 misses", "rillet D1 misses", "floor LL misses", "rillet LL misses"]
        columns += [
            "floor I1 misses",
            "rillet I1 misses",
            "floor mispredicts",
            "rillet mispredicts",
        ]
    if result["sockets"]:
        columns += ["floor busy", "rillet busy"]
    rows = []
    for r in result["rows"]:
        row = [r["format"], r["streams"], r["floor"]["Ir"], r["rillet"]["Ir"], r["x_floor"]]
        if cache:
            row += [
                r["floor"]["D1mr"] + r["floor"]["D1mw"],
                r["rillet"]["D1mr"] + r["rillet"]["D1mw"],
                r["floor"]["DLmr"] + r["floor"]["DLmw"],
                r["rillet"]["DLmr"] + r["rillet"]["DLmw"],
                r["floor"]["I1mr"],
                r["rillet"]["I1mr"],
                r["floor"]["Bcm"] + r["floor"]["Bim"],
                r["rillet"]["Bcm"] + r["rillet"]["Bim"],
            ]
        if result["sockets"]:
            row += [r["floor"]["busy"], r["rillet"]["busy"]]
        rows.append(row)
    what = (
        f"Instructions per live stream of {result['events']} deltas"
        if unit == "stream"
        else "Instructions per live event"
    )
    where = (
        "over loopback sockets, one event per read, the server not counted"
        if result["sockets"]
        else "in process, one event per read, producer taken off"
    )
    return table(columns, rows, f"{what} (cachegrind; {where})")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        consumer, fmt, streams, per_stream, *url = sys.argv[2:]
        if url:
            _socket_child(consumer, fmt, int(streams), int(per_stream), url[0])
        else:
            _child(consumer, fmt, int(streams), int(per_stream))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=100)
    parser.add_argument("--events", type=int, default=40, help="deltas per stream (and 3x)")
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--cache", action="store_true", help="simulated cache misses too")
    parser.add_argument(
        "--per-stream",
        action="store_true",
        help="a whole stream's count (request, headers, events, end): streams and 3x streams",
    )
    parser.add_argument(
        "--sockets",
        action="store_true",
        help="over loopback sockets from the bench server, as bench_live reads",
    )
    args = parser.parse_args()
    formats = tuple(args.formats.split(","))
    result = run(args.streams, args.events, formats, args.cache, args.per_stream, args.sockets)
    print(report(result))


if __name__ == "__main__":
    main()

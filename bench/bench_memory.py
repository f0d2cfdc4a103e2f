"""Peak memory over a 100 MB stream whose consumer keeps nothing.

    python bench/bench_memory.py [--mb 100] [--quick]

One OpenAI chat stream of about 100 MB (~380k text deltas), read to the end by a consumer that
keeps nothing itself. Each consumer runs in a fresh interpreter: RSS is sampled as the stream
goes (every 20k items) and the peak is ``ru_maxrss``. "Growth" is the RSS at the end minus the
RSS after the first tenth of the stream: flat memory means no growth with the stream's length.

- rillet (default): keeps every frame (errors carry them) and the text (``stream.response``);
- rillet ``keep_frames=False``: keeps the text only (compacted: about its own size);
- rillet lean: ``keep_frames=False, keep_text=False``: keeps neither.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any

import _consumers
from _bodies import big_events
from _measure import machine, peak_rss_mb, rss_mb, run_worker, table, write_json
from _server import BodyServer

FMT = "openai-chat"
SAMPLE_EVERY = 20_000


class _RilletTextOnly(_consumers.Rillet):
    name = "rillet keep_frames=False"
    stream_options = {"keep_frames": False}


CONSUMERS: dict[str, type[_consumers.Consumer]] = {
    "floor": _consumers.Floor,
    "rillet": _consumers.Rillet,
    "rillet keep_frames=False": _RilletTextOnly,
    "rillet lean": _consumers.RilletLean,
    "openai create": _consumers.OpenAICreate,
}


async def _sampled(items: Any, samples: list[float]) -> int:
    count = 0
    async for _ in items:
        count += 1
        if not count % SAMPLE_EVERY:
            samples.append(rss_mb())
    return count


async def _worker(args: dict[str, Any]) -> dict[str, Any]:
    consumer = CONSUMERS[args["consumer"]](args["url"])
    await consumer.start()
    samples: list[float] = []
    try:
        await consumer.drain(FMT, "text-2000")  # warm-up
        baseline = rss_mb()
        started = time.process_time()
        model = f"big-{args['bytes']}"
        if isinstance(consumer, _consumers.Floor):
            count = await _floor_sampled(consumer, model, samples)
        else:
            async with consumer.open(FMT, model) as items:
                count = await _sampled(items, samples)
        cpu = time.process_time() - started
    finally:
        await consumer.close()
    samples.append(rss_mb())
    early = samples[max(0, len(samples) // 10 - 1)]
    return {
        "consumer": args["consumer"],
        "items": count,
        "cpu_s": cpu,
        "baseline_rss_mb": baseline,
        "early_rss_mb": early,
        "end_rss_mb": samples[-1],
        "peak_rss_mb": peak_rss_mb(),
        "growth_mb": samples[-1] - early,
        "samples_mb": [round(s, 1) for s in samples[:: max(1, len(samples) // 10)]],
    }


async def _floor_sampled(floor: _consumers.Floor, model: str, samples: list[float]) -> int:
    count = 0
    loads = json.loads
    async with floor._post(FMT, model) as response:
        readline = response.content.readline
        while line := await readline():
            if line[:5] == b"data:" and line[5:].strip() != b"[DONE]":
                loads(line[5:])
                count += 1
                if not count % SAMPLE_EVERY:
                    samples.append(rss_mb())
    return count


def run(url: str, quick: bool = False, megabytes: int = 100) -> dict[str, Any]:
    size = (20 if quick else megabytes) * 1_000_000
    rows = []
    for name in CONSUMERS:
        result = run_worker(
            Path(__file__), {"consumer": name, "url": url, "bytes": size}, timeout=1800
        )
        if "error" in result:
            rows.append({"consumer": name, "error": result["error"]})
            print(f"  {name}: {result['error']}", flush=True)
            continue
        rows.append(result)
        print(
            f"  {name:<26} peak {result['peak_rss_mb']:7.1f} MB  baseline "
            f"{result['baseline_rss_mb']:6.1f} MB  growth {result['growth_mb']:+7.1f} MB",
            flush=True,
        )
    return {"format": FMT, "bytes": size, "events": big_events(size), "rows": rows}


def report(result: dict[str, Any]) -> str:
    return table(
        [
            "consumer",
            "baseline RSS MB",
            "peak RSS MB",
            "peak - baseline MB",
            "growth after 1st tenth MB",
            "CPU s",
        ],
        [
            [
                r["consumer"],
                r.get("baseline_rss_mb"),
                r.get("peak_rss_mb"),
                r["peak_rss_mb"] - r["baseline_rss_mb"] if "peak_rss_mb" in r else None,
                r.get("growth_mb"),
                r.get("cpu_s"),
            ]
            for r in result["rows"]
        ],
        f"Memory over one {result['bytes'] / 1e6:.0f} MB stream ({result['events']:,} events), "
        "consumer keeps nothing",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--mb", type=int, default=100)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(asyncio.run(_worker(json.loads(args.worker)))))
        return
    with BodyServer() as server:
        result = run(server.url, args.quick, args.mb)
    print(report(result))
    write_json("memory.json", {"machine": machine(), **result})


if __name__ == "__main__":
    main()

"""CPU per event of each adapter's whole pipeline (transport, adapter, accumulator), beside
the floor: aiohttp ``readline`` + ``json.loads`` over the same bytes, in the same run.

    python bench/bench_pipeline.py [--sizes 2000,200000] [--repeat 3] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
from _bodies import BODIES
from _server import BodyServer

from rillet import LLMClient


async def _floor(session: aiohttp.ClientSession, url: str, model: str) -> int:
    events = 0
    async with session.post(url, data=json.dumps({"model": model}).encode()) as response:
        async for line in response.content:
            if line.startswith(b"data: ") and not line.startswith(b"data: [DONE]"):
                json.loads(line[6:])
                events += 1
    return events


async def _rillet(client: LLMClient) -> int:
    events = 0
    async with client.stream("bench") as stream:
        async for _ in stream:
            events += 1
    return events


async def _cpu(run: Callable[[], Awaitable[int]], repeat: int) -> tuple[float, int]:
    """Best CPU seconds of ``repeat`` runs (process time: this process only)."""
    best, count = float("inf"), 0
    for _ in range(repeat):
        started = time.process_time()
        count = await run()
        best = min(best, time.process_time() - started)
    return best, count


async def _measure(server_url: str, sizes: list[int], repeat: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    async with aiohttp.ClientSession() as session:
        for provider in BODIES:
            for n in sizes:
                model = str(n)
                base = f"{server_url}/v1" if provider.startswith("openai") else server_url
                client = LLMClient(
                    provider=provider, model=model, api_key="bench", base_url=base, timeout=120
                )
                floor_url = f"{server_url}/floor/{provider}"
                floor_cpu, floor_events = await _cpu(
                    lambda floor_url=floor_url, model=model: _floor(session, floor_url, model),
                    repeat,
                )
                ours_cpu, _ = await _cpu(lambda client=client: _rillet(client), repeat)
                await client.aclose()
                rows.append(
                    {
                        "provider": provider,
                        "events": n,
                        "floor_us_per_event": floor_cpu / floor_events * 1e6,
                        "rillet_us_per_event": ours_cpu / floor_events * 1e6,
                        "ratio": ours_cpu / floor_cpu,
                    }
                )
                print(
                    f"{provider:<18}{n:>8}{rows[-1]['floor_us_per_event']:>12.2f}"
                    f"{rows[-1]['rillet_us_per_event']:>12.2f}{rows[-1]['ratio']:>8.2f}",
                    flush=True,
                )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="2000,200000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, default=Path("bench/results/pipeline.json"))
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    bodies = {f"{p}-{n}": (ct, build(n)) for p, (ct, build) in BODIES.items() for n in sizes}
    print(f"{'provider':<18}{'events':>8}{'floor us':>12}{'rillet us':>12}{'ratio':>8}")
    with BodyServer(bodies) as server:
        rows = asyncio.run(_measure(server.url, sizes, args.repeat))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()

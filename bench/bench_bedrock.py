"""CPU per event of the Bedrock ConverseStream pipeline, beside a floor, boto3 and aioboto3.

    python bench/bench_bedrock.py [--quick] [--burst 20000] [--live 2000]

One realistic long answer (``_bodies.bedrock``: text deltas, then one tool call whose input
streams as fragments, every payload with Bedrock's ``p`` padding) in AWS event-stream frames,
read in two regimes:

- burst: the body written in 64 KiB pieces, many events to a read (a fast model, a slow
  reader, or a replay);
- live: one event per write, ``_server.LIVE_GAP_S`` apart, one event to a read (a model
  generating them): each event also pays for its wake-up of the event loop and its read.

Consumers, all reading the same bytes from the same loopback server in one run:

- floor: aiohttp ``iter_any`` + a minimal frame reader (prelude unpacked, both CRC32s checked
  with ``zlib.crc32`` as rillet checks them, headers skipped, the payload sliced) +
  ``json.loads`` of each payload: untyped, unvalidated, no chunks;
- rillet: ``LLMClient(provider="bedrock").stream()`` read to the end (bearer token, so no
  SigV4 work; transport, event-stream decoding, validation, mapping, accumulation);
- boto3: ``bedrock-runtime`` ``converse_stream`` with its ``response["stream"]`` consumed in a
  thread (``asyncio.to_thread``), as asyncio users must; it signs with fake credentials;
- aioboto3: the same call on aiobotocore, when it is installed.

CPU of the client process (all threads: boto3's worker thread is charged), best of the runs,
divided by the wire events (the floor's count of frames).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import struct
import time
import zlib
from collections.abc import AsyncIterable
from contextlib import AbstractAsyncContextManager
from typing import Any

import aiohttp
from _consumers import KEY, Consumer, close_all, start_all
from _measure import best_of_rounds, machine, per_event, repeats, table, write_json
from _server import LIVE_GAP_S, BodyServer

BURST_EVENTS = 20_000
LIVE_EVENTS = 2_000
BUDGET_S = 20.0  # CPU seconds one consumer may spend on its repeats in one regime
REGION = "us-east-1"
MESSAGES = [{"role": "user", "content": [{"text": "bench"}]}]
_FAKE_CREDENTIALS = {
    "aws_access_key_id": "AKIDBENCH0000000000",
    "aws_secret_access_key": "bench-secret-0000000000000000000000000",
}
_RETRIES_OFF = {"retries": {"max_attempts": 1, "mode": "standard"}}
_AIOBOTO3_MISSING = (
    "not installed: aiobotocore pins botocore exactly (aioboto3 15.5.0 would take boto3 and "
    "botocore back to 1.40.61); to measure it, pip install --target DIR aioboto3 and put DIR "
    "first on PYTHONPATH"
)


async def floor_read(reads: AsyncIterable[bytes]) -> tuple[int, float]:
    """The floor's reading of an event-stream body: each read's whole messages framed in place
    (``struct.unpack_from``, both CRC32s over a ``memoryview``), each payload through
    ``json.loads``; the bytes of an incomplete last message carried over. Returns the messages
    read and ``time.perf_counter()`` at the first."""
    loads, crc32, unpack_from = json.loads, zlib.crc32, struct.unpack_from
    clock = time.perf_counter
    count, first = 0, math.nan
    buffer = b""
    async for data in reads:
        buffer = buffer + data if buffer else data
        view = memoryview(buffer)
        start, size = 0, len(buffer)
        while size - start >= 16:
            total, headers, prelude_crc = unpack_from(">III", buffer, start)
            end = start + total
            if end > size:
                break
            if (
                crc32(view[start : start + 8]) != prelude_crc
                or crc32(view[start : end - 4]) != unpack_from(">I", buffer, end - 4)[0]
            ):
                raise ValueError("event stream: CRC32 mismatch")
            loads(buffer[start + 12 + headers : end - 4])
            if not count:
                first = clock()
            count += 1
            start = end
        view.release()
        buffer = buffer[start:]
    if buffer:
        raise ValueError("event stream: truncated frame at the end")
    return count, first


class Floor(Consumer):
    """The cheapest correct reading of the frames; see the module docstring."""

    name = "floor"

    async def start(self) -> None:
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self.pool_limit))

    async def drain(self, fmt: str, model: str) -> int:
        return (await self.drain_first(fmt, model))[0]

    async def drain_first(self, fmt: str, model: str) -> tuple[int, float]:
        started = time.perf_counter()
        # A request body as the other consumers send (the server reads it before answering).
        body = json.dumps({"messages": [{"role": "user", "content": [{"text": "bench"}]}]})
        url = f"{self.url}/model/{model}/converse-stream"
        async with self.session.post(url, data=body.encode()) as response:
            count, first = await floor_read(response.content.iter_any())
        return count, (first - started) if count else math.nan

    async def close(self) -> None:
        await self.session.close()


class Rillet(Consumer):
    """``LLMClient(provider="bedrock").stream()`` read to the end, with its defaults."""

    name = "rillet"
    transport_options: dict[str, Any] = {}  # more HTTPTransport arguments

    async def start(self) -> None:
        from rillet import LLMClient
        from rillet.errors import ConfigurationError
        from rillet.transport import HTTPTransport

        try:
            self.client = LLMClient(
                provider="bedrock",
                api_key=KEY,  # a Bedrock API key: sent as a bearer token
                base_url=self.url,
                options={
                    "region": REGION,
                    "transport": HTTPTransport(
                        max_retries=0, pool_limit=self.pool_limit, **self.transport_options
                    ),
                },
            )
        except ConfigurationError as error:  # a rillet without the bedrock provider
            self.skip_reason = f"bedrock adapter not available ({error})"

    async def drain(self, fmt: str, model: str) -> int:
        count = 0
        async with self.client.stream("bench", model=model) as stream:
            async for _ in stream:
                count += 1
        return count

    def open(self, fmt: str, model: str) -> AbstractAsyncContextManager[AsyncIterable[Any]]:
        return self.client.stream("bench", model=model)

    async def close(self) -> None:
        await self.client.aclose()


class Boto3(Consumer):
    """boto3 ``converse_stream``, its event stream consumed in a worker thread."""

    name = "boto3 (thread)"

    async def start(self) -> None:
        import boto3
        from botocore.config import Config

        pool = {"max_pool_connections": self.pool_limit} if self.pool_limit else {}
        self.client = boto3.client(
            "bedrock-runtime",
            region_name=REGION,
            endpoint_url=self.url,
            config=Config(**_RETRIES_OFF, **pool),  # type: ignore[arg-type]
            **_FAKE_CREDENTIALS,
        )

    def _drain(self, model: str, started: float = 0.0) -> tuple[int, float]:
        response = self.client.converse_stream(modelId=model, messages=MESSAGES)
        count, took = 0, math.nan
        for _ in response["stream"]:
            if not count:
                took = time.perf_counter() - started
            count += 1
        return count, took

    async def drain(self, fmt: str, model: str) -> int:
        return (await asyncio.to_thread(self._drain, model))[0]

    async def drain_first(self, fmt: str, model: str) -> tuple[int, float]:
        return await asyncio.to_thread(self._drain, model, time.perf_counter())

    async def close(self) -> None:
        self.client.close()


class AioBoto3(Consumer):
    """aioboto3 ``converse_stream`` (aiobotocore over aiohttp), its stream read with
    ``async for``."""

    name = "aioboto3"

    async def start(self) -> None:
        try:
            import aioboto3
        except ImportError:
            self.skip_reason = _AIOBOTO3_MISSING
            return
        from botocore.config import Config

        session = aioboto3.Session(region_name=REGION, **_FAKE_CREDENTIALS)
        self._context = session.client(
            "bedrock-runtime", endpoint_url=self.url, config=Config(**_RETRIES_OFF)
        )
        self.client = await self._context.__aenter__()

    async def drain(self, fmt: str, model: str) -> int:
        response = await self.client.converse_stream(modelId=model, messages=MESSAGES)
        count = 0
        async for _ in response["stream"]:
            count += 1
        return count

    async def close(self) -> None:
        await self._context.__aexit__(None, None, None)


ALL: list[type[Consumer]] = [Floor, Rillet, Boto3, AioBoto3]


async def measure(url: str, regimes: dict[str, str], cap: int) -> dict[str, Any]:
    consumers = await start_all(url, ALL)
    skipped = {c.name: c.skip_reason for c in consumers if c.skip_reason}
    for name, reason in skipped.items():
        print(f"  {name}: {reason}", flush=True)
    active = [c for c in consumers if not c.skip_reason]
    rows: list[dict[str, Any]] = []
    try:
        for c in list(active):  # warm-up: imports, connections, the server's first build
            try:
                await c.drain("bedrock", "bedrock-200")
            except Exception as error:
                skipped[c.name] = f"{type(error).__name__}: {error}"[:200]
                print(f"  skipping {c.name}: {skipped[c.name]}", flush=True)
                active.remove(c)
        cost: dict[str, float] = {}  # us per event in the regime before: sizes the repeats
        for regime, model in regimes.items():
            events = await active[0].drain("bedrock", model)  # the server builds it once
            by_name = {c.name: c for c in active}
            runs = {c.name: repeats(events, cost.get(c.name), cap, BUDGET_S) for c in active}
            best, items = await best_of_rounds(
                runs,
                lambda name, by_name=by_name, model=model: by_name[name].drain("bedrock", model),
            )
            events = items["floor"]
            floor_cpu = best["floor"][0]
            rillet_cpu = best["rillet"][0] if "rillet" in best else None
            for c in active:
                cpu, wall = best[c.name]
                cost[c.name] = cpu / events * 1e6
                rows.append(
                    {
                        "regime": regime,
                        "model": model,
                        "consumer": c.name,
                        "runs": runs[c.name],
                        **per_event(cpu, wall, events, floor_cpu),
                        "x_rillet": cpu / rillet_cpu if rillet_cpu else None,
                    }
                )
                print(
                    f"  {regime:<6}{events:>8}  {c.name:<16}{cpu / events * 1e6:>9.2f} us/event"
                    f"{cpu / floor_cpu:>8.2f}x floor{events / wall:>12,.0f} events/s"
                    f"  ({runs[c.name]} run{'s' if runs[c.name] > 1 else ''})",
                    flush=True,
                )
    finally:
        await close_all(consumers)
    return {"rows": rows, "skipped": skipped, "live_gap_s": LIVE_GAP_S}


def report(result: dict[str, Any]) -> str:
    text = table(
        ["regime", "events", "consumer", "CPU us/event", "x floor", "x rillet", "events/s"],
        [
            [
                r["regime"],
                r["wire_events"],
                r["consumer"],
                r["cpu_us_per_event"],
                r["x_floor"],
                r["x_rillet"],
                r["events_per_s"],
            ]
            for r in result["rows"]
        ],
        "Bedrock ConverseStream: CPU per event (burst: 64 KiB writes; live: one event per "
        f"write, {result['live_gap_s'] * 1e3:g} ms apart)",
    )
    for name, reason in result.get("skipped", {}).items():
        text += f"\n({name}: {reason})"
    return text


def run(
    url: str, quick: bool = False, burst: int | None = None, live: int | None = None
) -> dict[str, Any]:
    burst = burst or (BURST_EVENTS // 4 if quick else BURST_EVENTS)
    live = live or (LIVE_EVENTS // 4 if quick else LIVE_EVENTS)
    regimes = {"burst": f"bedrock-{burst}", "live": f"bedrock-{live}-live"}
    return asyncio.run(measure(url, regimes, cap=2 if quick else 5))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a quarter of the events, 2 runs")
    parser.add_argument("--burst", type=int, default=None, help=f"default {BURST_EVENTS}")
    parser.add_argument("--live", type=int, default=None, help=f"default {LIVE_EVENTS}")
    args = parser.parse_args()
    with BodyServer() as server:
        result = run(server.url, args.quick, args.burst, args.live)
    print(report(result))
    write_json("bedrock.json", {"machine": machine(), **result})


if __name__ == "__main__":
    main()

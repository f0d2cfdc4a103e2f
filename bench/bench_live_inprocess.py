"""Live streams without sockets: the CPU each consumer adds per event, free of kernel noise.

    python bench/bench_live_inprocess.py [--events 3000] [--rounds 7]

A producer task feeds one event per turn of the event loop into an aiohttp ``StreamReader``
(the object a response body is read from), so that every read holds one event and wakes its
reader, as on a live connection; no socket, no HTTP parser, no server process. Each consumer
reads the same events: the floor (``readline`` + ``json.loads``, or ``readuntil`` of the
element separator for the Gemini JSON array) and rillet (``LLMClient.stream()`` over a
transport that hands the reader to a real ``FrameStream``, with a credential to watch for, so
the secret scan runs). The producer alone is measured too and taken off both; the figure is
each consumer's own CPU per event, best of the rounds. On a shared machine this is the steady
figure to compare changes of the live path with (``bench_live.py`` measures the whole thing).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import _bodies
from _consumers import KEY, RILLET_PROVIDERS
from _measure import table
from aiohttp.streams import StreamReader
from multidict import CIMultiDict, CIMultiDictProxy

from rillet import LLMClient, Timeout
from rillet.transport import FrameStream, JSONArrayDecoder, SSEDecoder
from rillet.transport._read_guard import ReadGuard


class _Protocol:
    """What a ``StreamReader`` asks of its connection: never paused, always connected."""

    connected = True
    _reading_paused = False

    def pause_reading(self) -> None:
        pass

    def resume_reading(self, resume_parser: bool = True) -> None:
        pass


def _reader() -> StreamReader:
    return StreamReader(_Protocol(), 1 << 16, loop=asyncio.get_running_loop())  # type: ignore[arg-type]


async def _produce(reader: StreamReader, events: list[bytes]) -> None:
    for event in events:
        reader.feed_data(event)
        await asyncio.sleep(0)  # one event per turn of the loop: each read holds one
    reader.feed_eof()


class _ReaderTransport:
    """An ``HTTPTransport`` stand-in: each request's body is the producer's reader."""

    def __init__(self, events: list[bytes], content_type: str) -> None:
        self.events, self.content_type = events, content_type

    @contextlib.asynccontextmanager
    async def stream(self, method: str, url: str, **options: Any) -> AsyncIterator[FrameStream]:
        reader = _reader()
        producing = asyncio.ensure_future(_produce(reader, self.events))
        headers = CIMultiDictProxy(CIMultiDict({"content-type": self.content_type}))
        response: Any = SimpleNamespace(
            status=200, headers=headers, content=reader, connection=None
        )
        response.release = response.close = lambda: None
        guard = ReadGuard(response, 60.0)
        first = await reader.read(1 << 16)
        json_array = self.content_type.startswith("application/json")
        frames = FrameStream(
            response,
            JSONArrayDecoder() if json_array else SSEDecoder(),
            first,
            guard,
            content_type=self.content_type,
            retries=0,
            timeout=Timeout(idle=60.0),
            method=method,
            url=url,
            keep_frames=options.get("keep_frames", True),
            secrets=(KEY,),
        )
        try:
            yield frames
        finally:
            await frames.aclose()
            await producing

    async def aclose(self) -> None:
        pass


async def _floor(events: list[bytes], fmt: str) -> None:
    reader = _reader()
    producing = asyncio.ensure_future(_produce(reader, events))
    loads = json.loads
    if fmt == "gemini-json":
        while element := await reader.readuntil(b"\n,\r\n"):
            loads(element.strip(b"[,]\r\n"))
    else:
        while line := await reader.readline():
            if line[:5] == b"data:" and (data := line[5:].strip()) != b"[DONE]":
                loads(data)
    await producing


async def _measure(fmt: str, events_per_stream: int, rounds: int) -> dict[str, Any]:
    content_type, build = _bodies.TEXT[fmt]
    events = _bodies.events(content_type, build(events_per_stream))
    provider, suffix, options = RILLET_PROVIDERS[fmt]
    transport = _ReaderTransport(events, content_type.partition(";")[0])
    client = LLMClient(
        provider=provider,
        api_key=KEY,
        base_url="http://in-process" + suffix,
        model="bench",
        options={**options, "transport": transport},
    )

    async def rillet() -> None:
        async with client.stream("bench") as stream:
            async for _ in stream:
                pass

    async def producer() -> None:
        await _produce(_reader(), events)

    runs: dict[str, Callable[[], Awaitable[None]]] = {
        "producer": producer,
        "floor": lambda: _floor(events, fmt),
        "rillet": rillet,
    }
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(rounds):  # interleaved: a noisy spell hits all alike
        for name, run in runs.items():
            gc.collect()
            cpu = time.process_time()
            await run()
            best[name] = min(best[name], time.process_time() - cpu)
    count = len(events)
    floor = (best["floor"] - best["producer"]) / count * 1e6
    ours = (best["rillet"] - best["producer"]) / count * 1e6
    return {
        "format": fmt,
        "events": count,
        "producer_us": best["producer"] / count * 1e6,
        "floor_us": floor,
        "rillet_us": ours,
        "x_floor": ours / floor,
    }


def run(events: int = 3000, rounds: int = 7) -> list[dict[str, Any]]:
    return [asyncio.run(_measure(fmt, events, rounds)) for fmt in RILLET_PROVIDERS]


def report(rows: list[dict[str, Any]]) -> str:
    return table(
        ["format", "events", "producer us/event", "floor us/event", "rillet us/event", "x floor"],
        [
            [
                r["format"],
                r["events"],
                r["producer_us"],
                r["floor_us"],
                r["rillet_us"],
                r["x_floor"],
            ]
            for r in rows
        ],
        "Live, in process: each consumer's own CPU per event (one event per read, no sockets)",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    print(report(run(args.events, args.rounds)))


if __name__ == "__main__":
    main()

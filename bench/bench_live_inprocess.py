"""Live streams without sockets: the CPU each consumer adds per event, free of kernel noise.

    python bench/bench_live_inprocess.py [--events 3000] [--rounds 7] [--streams 1,1000]

A producer task feeds one event per turn of the event loop into an aiohttp ``StreamReader``
(the object a response body is read from), so that every read holds one event and wakes its
reader, as on a live connection; no socket, no HTTP parser, no server process. Each consumer
reads the same events: the floor (``readline`` + ``json.loads``, ``readuntil`` of the
element separator for the Gemini JSON array, for Bedrock's event stream each read's messages
framed in place with both CRCs checked) and rillet (``LLMClient.stream()`` over a
transport that hands the reader to a real ``FrameStream``, with a credential to watch for, so
the secret scan runs). The producer alone is measured too and taken off both; the figure is
each consumer's own CPU per event, best of the rounds. On a shared machine this is the steady
figure to compare changes of the live path with (``bench_live.py`` measures the whole thing).

With ``--streams N`` (N > 1), N streams are open at once and each turn of the loop brings one
event to every one of them, as many live connections would: what a stream keeps between two of
its events, and the garbage collector's work over all of them, then show in the figures (a
stream costs the same at 1 and 100, and more at 1,000). Each stream reads ``events / N``
deltas, at least 20; the time to open the streams is not counted.
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
import bench_bedrock
from _consumers import KEY, RILLET_PROVIDERS
from _headers import response_headers
from _measure import table
from aiohttp.streams import StreamReader
from multidict import CIMultiDict, CIMultiDictProxy

from rillet import LLMClient, Timeout
from rillet.transport import EventStreamDecoder, FrameStream, JSONArrayDecoder, SSEDecoder
from rillet.transport._read_guard import ReadGuard

# Every wire format: the text formats of the tables, and Bedrock's event stream (its floor reads
# as ``bench_bedrock``'s does).
_FORMATS = {**_bodies.TEXT, "bedrock": (_bodies.EVENT_STREAM, _bodies.bedrock)}
_PROVIDERS = {**RILLET_PROVIDERS, "bedrock": ("bedrock", "", {"region": bench_bedrock.REGION})}
FORMATS = tuple(_PROVIDERS)


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


async def _produce_all(readers: list[StreamReader], events: list[bytes]) -> None:
    for event in events:
        for reader in readers:
            reader.feed_data(event)
        await asyncio.sleep(0)  # one event per turn of the loop to every stream
    for reader in readers:
        reader.feed_eof()


class _ReaderTransport:
    """An ``HTTPTransport`` stand-in: each request's body is the producer's reader."""

    def __init__(self, events: list[bytes], content_type: str, fmt: str) -> None:
        self.events, self.content_type = events, content_type
        self.readers: list[StreamReader] = []  # fed by _produce_all, when there are any
        # The provider's usual headers, as the bench server sends them; parsed ahead of time,
        # as aiohttp parses them before the floor's first read too.
        self.headers = [
            CIMultiDictProxy(
                CIMultiDict({"content-type": content_type, **response_headers(fmt, served)})
            )
            for served in range(64)
        ]
        self.served = 0

    @contextlib.asynccontextmanager
    async def stream(self, method: str, url: str, **options: Any) -> AsyncIterator[FrameStream]:
        if self.readers:
            reader = self.readers.pop()
            producing: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            producing.set_result(None)
        else:
            reader = _reader()
            producing = asyncio.ensure_future(_produce(reader, self.events))
        self.served += 1
        headers = self.headers[self.served % len(self.headers)]
        response: Any = SimpleNamespace(
            status=200, headers=headers, content=reader, connection=None
        )
        response.release = response.close = lambda: None
        guard = ReadGuard(response, 60.0)
        first = await reader.read(1 << 16)
        decoder: SSEDecoder | JSONArrayDecoder | EventStreamDecoder
        if self.content_type.startswith("application/json"):
            decoder = JSONArrayDecoder(parse_element=options.get("parse_element"))
        elif self.content_type == _bodies.EVENT_STREAM:
            decoder = EventStreamDecoder()
        else:
            decoder = SSEDecoder()
        frames = FrameStream(
            response,
            decoder,
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


async def _floor_reads(reader: StreamReader, fmt: str) -> None:
    loads = json.loads
    if fmt == "bedrock":
        await bench_bedrock.floor_read(reader.iter_any())
    elif fmt == "gemini-json":
        while element := await reader.readuntil(b"\n,\r\n"):
            loads(element.strip(b"[,]\r\n"))
    else:
        while line := await reader.readline():
            if line[:5] == b"data:" and (data := line[5:].strip()) != b"[DONE]":
                loads(data)


async def _floor(events: list[bytes], fmt: str) -> None:
    reader = _reader()
    producing = asyncio.ensure_future(_produce(reader, events))
    await _floor_reads(reader, fmt)
    await producing


def stream_events(fmt: str, deltas: int) -> list[bytes]:
    """The wire events of one stream of ``deltas`` text deltas in ``fmt``, one per read."""
    content_type, build = _FORMATS[fmt]
    return _bodies.events(content_type, build(deltas))


class Live:
    """One format's live streams in process: each stream's ``events``, the stand-in
    ``transport`` that serves them, a rillet ``client`` over it, and what is compared here,
    by name (``reads``): the producer's share alone, the floor and rillet."""

    def __init__(self, fmt: str, deltas: int) -> None:
        self.events = stream_events(fmt, deltas)
        content_type = _FORMATS[fmt][0]
        provider, suffix, options = _PROVIDERS[fmt]
        self.transport = _ReaderTransport(self.events, content_type.partition(";")[0], fmt)
        self.client = LLMClient(
            provider=provider,
            api_key=KEY,
            base_url="http://in-process" + suffix,
            model="bench",
            options={**options, "transport": self.transport},
        )

        async def floor_reads(reader: StreamReader) -> None:
            await _floor_reads(reader, fmt)

        self.reads: dict[str, Callable[[StreamReader], Awaitable[None]]] = {
            "producer": _drain_only,
            "floor": floor_reads,
            "rillet": self.rillet_reads,
        }

    async def rillet_reads(self, _: StreamReader | None = None) -> None:
        async with self.client.stream("bench") as stream:
            async for _ in stream:
                pass

    async def at_once(
        self, consume: Callable[[StreamReader], Awaitable[None]], streams: int
    ) -> float:
        """``streams`` streams read by ``consume``, all opened and waiting before one event per
        turn of the loop is brought to each; the CPU seconds from the first event to the end."""
        readers = [_reader() for _ in range(streams)]
        self.transport.readers = list(readers)
        tasks = [asyncio.ensure_future(consume(reader)) for reader in readers]
        await asyncio.sleep(0)
        cpu = time.process_time()
        await _produce_all(readers, self.events)
        await asyncio.gather(*tasks)
        return time.process_time() - cpu


async def _measure(
    fmt: str, events_per_stream: int, rounds: int, streams: int = 1
) -> dict[str, Any]:
    live = Live(fmt, events_per_stream)
    events = live.events

    async def producer() -> None:
        await _produce(_reader(), events)

    async def timed(run: Callable[[], Awaitable[None]]) -> float:
        cpu = time.process_time()
        await run()
        return time.process_time() - cpu

    runs: dict[str, Callable[[], Awaitable[float]]]
    if streams == 1:
        runs = {
            "producer": lambda: timed(producer),
            "floor": lambda: timed(lambda: _floor(events, fmt)),
            "rillet": lambda: timed(live.rillet_reads),
        }
    else:
        runs = {
            name: (lambda consume=consume: live.at_once(consume, streams))
            for name, consume in live.reads.items()
        }
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(rounds):  # interleaved: a noisy spell hits all alike
        for name, run in runs.items():
            gc.collect()
            best[name] = min(best[name], await run())
    count = len(events) * streams
    floor = (best["floor"] - best["producer"]) / count * 1e6
    ours = (best["rillet"] - best["producer"]) / count * 1e6
    return {
        "format": fmt,
        "streams": streams,
        "events": count,
        "producer_us": best["producer"] / count * 1e6,
        "floor_us": floor,
        "rillet_us": ours,
        "x_floor": ours / floor,
    }


async def _drain_only(reader: StreamReader) -> None:
    """The producer's share when many streams are fed: a reader that takes the bytes only."""
    while await reader.read(1 << 16):
        pass


def run(
    events: int = 3000, rounds: int = 7, streams: tuple[int, ...] = (1,)
) -> list[dict[str, Any]]:
    return [
        asyncio.run(_measure(fmt, max(20, events // count) if count > 1 else events, rounds, count))
        for count in streams
        for fmt in _PROVIDERS
    ]


def report(rows: list[dict[str, Any]]) -> str:
    return table(
        [
            "format",
            "streams",
            "events",
            "producer us/event",
            "floor us/event",
            "rillet us/event",
            "x floor",
        ],
        [
            [
                r["format"],
                r["streams"],
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
    parser.add_argument(
        "--streams", default="1", help="comma-separated counts of streams open at once"
    )
    args = parser.parse_args()
    counts = tuple(int(count) for count in args.streams.split(","))
    print(report(run(args.events, args.rounds, counts)))


if __name__ == "__main__":
    main()

"""Benchmark of the transport's framing and decoding against a bare aiohttp floor.

    python bench/bench_transport.py [--quick]

A loopback aiohttp server, in its own process so that its CPU is not counted, serves N SSE
events: realistic OpenAI chat chunks (``data:`` lines of about 220 bytes, then ``data: [DONE]``)
and Anthropic ``content_block_delta`` events (``event:`` + ``data:`` lines). In this process, on
the same bytes and in the same run, we measure CPU time per event and events/s:

- ``floor``: aiohttp's ``resp.content`` readline loop plus ``json.loads`` of each data line;
- ``rillet+pydantic``: ``HTTPTransport.stream`` framing plus ``model_validate_json`` into a
  small model of the event (the chat chunk: id, model, choices[index, delta, finish_reason]);
- ``rillet+json``: the same framing plus ``json.loads`` (isolates the framing cost);
- ``floor framing`` / ``rillet framing``: the loops alone, nothing decoded.

Each figure is the best of several runs. Results go to ``bench/results/transport.json``. A
second table compares ``model_validate_json(data)`` with ``model_validate(json.loads(data))``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import multiprocessing
import platform
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pydantic
from aiohttp import web
from pydantic import BaseModel

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "sdk"))

from rillet.transport import HTTPTransport

RESULTS = Path(__file__).resolve().parent / "results" / "transport.json"
WORDS = ["Hello", " world", ",", " streaming", " tokens", " é", " 🙂", " are", " fun", "."]


class Delta(BaseModel):
    content: str | None = None
    role: str | None = None


class Choice(BaseModel):
    index: int
    delta: Delta
    finish_reason: str | None = None


class ChatChunk(BaseModel):
    id: str
    model: str
    choices: list[Choice]


class TextDelta(BaseModel):
    type: str
    text: str


class ContentBlockDelta(BaseModel):
    type: str
    index: int
    delta: TextDelta


MODELS: dict[str, type[BaseModel]] = {"openai": ChatChunk, "anthropic": ContentBlockDelta}


def chunk_line(i: int) -> bytes:
    chunk = {
        "id": "chatcmpl-9zX2bQk7Lr4mTn8WcYpE1aHs3uVd",
        "object": "chat.completion.chunk",
        "created": 1718000000 + i // 50,
        "model": "gpt-4o-mini-2024-07-18",
        "system_fingerprint": "fp_0ba0d124f1",
        "choices": [
            {
                "index": 0,
                "delta": {"content": WORDS[i % len(WORDS)]},
                "logprobs": None,
                "finish_reason": None,
            }
        ],
    }
    return b"data: " + json.dumps(chunk, separators=(",", ":")).encode() + b"\n\n"


def anthropic_event(i: int) -> bytes:
    delta = {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "text_delta", "text": WORDS[i % len(WORDS)]},
    }
    data = json.dumps(delta, separators=(",", ":")).encode()
    return b"event: content_block_delta\ndata: " + data + b"\n\n"


def sse_body(n: int, shape: str = "openai") -> bytes:
    if shape == "anthropic":
        return (
            b"".join(anthropic_event(i) for i in range(n))
            + b"event: message_stop\ndata: [DONE]\n\n"
        )
    return b"".join(chunk_line(i) for i in range(n)) + b"data: [DONE]\n\n"


# --- the server, in a child process -----------------------------------------------------------


def _serve(port_out: Any) -> None:
    bodies: dict[tuple[int, str], bytes] = {}

    async def handle(request: web.Request) -> web.StreamResponse:
        key = (int(request.query["n"]), request.query["shape"])
        body = bodies.get(key) or bodies.setdefault(key, sse_body(*key))
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for start in range(0, len(body), 65536):
            await response.write(body[start : start + 65536])
        await response.write_eof()
        return response

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/stream", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port_out.put(runner.addresses[0][1])
        await asyncio.Event().wait()

    asyncio.run(main())


# --- the variants -------------------------------------------------------------------------------

Variant = Callable[[str], Awaitable[int]]


def make_variants(
    session: aiohttp.ClientSession, transport: HTTPTransport, model: type[BaseModel]
) -> dict[str, Variant]:
    loads = json.loads
    validate = model.model_validate_json

    async def floor(url: str) -> int:
        count = 0
        async with session.get(url) as response:
            async for line in response.content:
                if line.startswith(b"data: "):
                    payload = line[6:].rstrip()
                    if payload != b"[DONE]":
                        loads(payload)
                        count += 1
        return count

    async def floor_framing(url: str) -> int:
        count = 0
        async with session.get(url) as response:
            async for line in response.content:
                if line.startswith(b"data: ") and line[6:].rstrip() != b"[DONE]":
                    count += 1
        return count

    async def rillet_pydantic(url: str) -> int:
        count = 0
        async with transport.stream("GET", url, headers={}) as stream:
            async for event in stream:
                if event.data != "[DONE]":
                    validate(event.data)
                    count += 1
        return count

    async def rillet_json(url: str) -> int:
        count = 0
        async with transport.stream("GET", url, headers={}) as stream:
            async for event in stream:
                if event.data != "[DONE]":
                    loads(event.data)
                    count += 1
        return count

    async def rillet_framing(url: str) -> int:
        count = 0
        async with transport.stream("GET", url, headers={}) as stream:
            async for event in stream:
                if event.data != "[DONE]":
                    count += 1
        return count

    return {
        "floor": floor,
        "rillet+pydantic": rillet_pydantic,
        "rillet+json": rillet_json,
        "floor framing": floor_framing,
        "rillet framing": rillet_framing,
    }


async def measure(variants: dict[str, Variant], url: str, n: int, runs: int) -> dict[str, Any]:
    """Best CPU and wall time of each variant; runs interleave so that noise hits all alike."""
    best: dict[str, list[float]] = {name: [float("inf"), float("inf")] for name in variants}
    for _ in range(runs):
        for name, variant in variants.items():
            gc.collect()
            cpu, wall = time.process_time(), time.perf_counter()
            count = await variant(url)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            if count != n:
                raise AssertionError(f"{name}: expected {n} events, got {count}")
            best[name] = [min(best[name][0], cpu), min(best[name][1], wall)]
    return {
        name: {
            "cpu_us_per_event": cpu / n * 1e6,
            "events_per_s": n / wall,
            "wall_s": wall,
        }
        for name, (cpu, wall) in best.items()
    }


def validation_micro() -> dict[str, float]:
    data = chunk_line(3)[6:].strip().decode()
    rounds = 100_000
    results = {}
    for name, fn in (
        ("model_validate_json(data)", lambda: ChatChunk.model_validate_json(data)),
        ("model_validate(json.loads(data))", lambda: ChatChunk.model_validate(json.loads(data))),
        ("json.loads(data)", lambda: json.loads(data)),
    ):
        best = float("inf")
        for _ in range(5):
            start = time.process_time()
            for _ in range(rounds):
                fn()
            best = min(best, time.process_time() - start)
        results[name] = best / rounds * 1e6
    return results


async def run(sizes: list[int]) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    ports = context.Queue()
    server = context.Process(target=_serve, args=(ports,), daemon=True)
    server.start()
    try:
        port = ports.get(timeout=30)
        base = f"http://127.0.0.1:{port}/stream"
        table: dict[str, dict[str, dict[str, Any]]] = {}
        async with aiohttp.ClientSession() as session, HTTPTransport(timeout=30.0) as transport:
            for shape, model in MODELS.items():
                variants = make_variants(session, transport, model)
                table[shape] = {}
                for n in sizes:
                    url = f"{base}?n={n}&shape={shape}"
                    await variants["floor"](url)  # warm-up: the server builds the body once
                    runs = max(3, min(15, 60_000 // n))
                    table[shape][str(n)] = await measure(variants, url, n, runs)
        return {"shapes": table, "validation_us": validation_micro()}
    finally:
        server.terminate()
        server.join()


def report(results: dict[str, Any]) -> None:
    header = (
        f"{'events':<10} {'N':>8}  {'variant':<16} {'CPU us/event':>12} {'x floor':>8} "
        f"{'events/s':>12}"
    )
    print(header)
    print("-" * len(header))
    for shape, sizes in results["shapes"].items():
        for n, variants in sizes.items():
            floor = variants["floor"]["cpu_us_per_event"]
            floor_framing = variants["floor framing"]["cpu_us_per_event"]
            for name, figures in variants.items():
                base = floor_framing if "framing" in name else floor
                cpu = figures["cpu_us_per_event"]
                print(
                    f"{shape:<10} {int(n):>8}  {name:<16} {cpu:>12.2f} {cpu / base:>7.2f}x "
                    f"{figures['events_per_s']:>12,.0f}"
                )
            print()
    print("(framing rows are compared with the floor's framing alone)")
    print()
    for name, micro in results["validation_us"].items():
        print(f"{name:<34} {micro:6.2f} us")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="N = 2k and 20k only")
    args = parser.parse_args()
    sizes = [2_000, 20_000] if args.quick else [2_000, 20_000, 200_000]
    results = asyncio.run(run(sizes))
    results["environment"] = {
        "python": platform.python_version(),
        "aiohttp": aiohttp.__version__,
        "pydantic": pydantic.VERSION,
        "machine": platform.machine(),
    }
    report(results)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten to {RESULTS}")


if __name__ == "__main__":
    main()

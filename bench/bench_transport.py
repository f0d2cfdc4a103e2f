"""The transport alone: framing and decoding, against the floor, per wire format and N.

    python bench/bench_transport.py [--quick]

Three readers of the same bodies from the same server, interleaved, best of the runs:

- ``floor``: aiohttp ``readline`` + ``json.loads`` of each data line (see ``_consumers.Floor``);
- ``transport + wire models``: ``HTTPTransport.stream`` framing (SSE, or the JSON array by its
  ``Content-Type``), each frame validated from its JSON text into the generated wire model the
  adapter uses for it (what the adapters' decoding costs, no mapping, no chunks);
- ``transport + json.loads``: the same framing, decoded like the floor (the framing's own cost).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Callable
from typing import Any

import _bodies
import _consumers
from _measure import cpu_and_wall, machine, table, write_json
from _server import BodyServer
from pydantic import BaseModel, TypeAdapter

from rillet._generated.providers.anthropic_schema import (
    ContentBlockStopEvent,
    MessageDeltaEvent,
    MessageStartEvent,
)
from rillet._generated.providers.openai_responses_schema import (
    ResponseCompletedEvent,
    ResponseCreatedEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputTextDeltaEvent,
)
from rillet._generated.wire_dicts.gemini_schema import GenerateContentResponse
from rillet.providers.anthropic._wire import BLOCK_DELTA_EVENT, BlockStartEvent
from rillet.providers.openai_chat._wire import CHUNK
from rillet.transport import Frame, HTTPTransport

SIZES = (2_000, 20_000, 200_000)

_BY_EVENT: dict[str, type[BaseModel]] = {
    "message_start": MessageStartEvent,
    "content_block_start": BlockStartEvent,
    "content_block_stop": ContentBlockStopEvent,
    "message_delta": MessageDeltaEvent,
    "response.created": ResponseCreatedEvent,
    "response.output_item.added": ResponseOutputItemAddedEvent,
    "response.output_text.delta": ResponseOutputTextDeltaEvent,
    "response.completed": ResponseCompletedEvent,
}


def _validator(fmt: str) -> Callable[[Frame], object]:
    """Frame -> its wire model, as the adapter for ``fmt`` decodes it."""
    if fmt == "openai-chat":
        chunk = CHUNK.validator.validate_json
        return lambda frame: None if frame.data == "[DONE]" else chunk(frame.data)
    if fmt.startswith("gemini"):
        frame_validator = TypeAdapter(GenerateContentResponse).validator
        return lambda frame: frame_validator.validate_json(frame.data)
    validators = {
        name: model.__pydantic_validator__.validate_json for name, model in _BY_EVENT.items()
    }
    validators["content_block_delta"] = BLOCK_DELTA_EVENT.validator.validate_json
    return lambda frame: validators[frame.event](frame.data) if frame.event in validators else None


async def measure(url: str, sizes: tuple[int, ...], cap: int) -> dict[str, Any]:
    floor = _consumers.Floor(url)
    await floor.start()
    transport = HTTPTransport(max_retries=0)
    loads = json.loads

    async def framed(fmt: str, model: str, decode: Callable[[Frame], object]) -> int:
        count = 0
        body = json.dumps({"model": model}).encode()
        async with transport.stream("POST", f"{url}/floor/{fmt}", headers={}, body=body) as frames:
            while batch := await frames.read_batch():
                for frame in batch:
                    decode(frame)
                count += len(batch)
        return count

    def json_decode(frame: Frame) -> object:
        return None if frame.data == "[DONE]" else loads(frame.data)

    rows: list[dict[str, Any]] = []
    try:
        for fmt in _bodies.FORMATS:
            validate = _validator(fmt)
            readers: dict[str, Callable[[str], Any]] = {
                "floor": lambda model, fmt=fmt: floor.drain(fmt, model),
                "transport + wire models": lambda model, fmt=fmt, v=validate: framed(fmt, model, v),
                "transport + json.loads": lambda model, fmt=fmt: framed(fmt, model, json_decode),
            }
            for n in sizes:
                model = f"text-{n}"
                await floor.drain(fmt, model)  # the server builds the body; connections warm
                best = {name: float("inf") for name in readers}
                for _ in range(cap if n < 200_000 else max(2, cap // 2)):
                    for name, read in readers.items():
                        cpu, _, _ = await cpu_and_wall(lambda read=read, model=model: read(model))
                        best[name] = min(best[name], cpu)
                events = await floor.drain(fmt, model)
                for name, cpu in best.items():
                    rows.append(
                        {
                            "format": fmt,
                            "n": n,
                            "reader": name,
                            "cpu_us_per_event": cpu / events * 1e6,
                            "x_floor": cpu / best["floor"],
                        }
                    )
                    print(
                        f"  {fmt:<17}{n:>8}  {name:<24}{cpu / events * 1e6:>8.2f} us/event"
                        f"{cpu / best['floor']:>7.2f}x floor",
                        flush=True,
                    )
    finally:
        await floor.close()
        await transport.aclose()
    return {"rows": rows}


def report(result: dict[str, Any]) -> str:
    return table(
        ["format", "N", "reader", "CPU us/event", "x floor"],
        [
            [r["format"], r["n"], r["reader"], r["cpu_us_per_event"], r["x_floor"]]
            for r in result["rows"]
        ],
        "Transport: framing + decoding into the wire models, against the floor",
    )


def run(url: str, quick: bool = False) -> dict[str, Any]:
    return asyncio.run(measure(url, (2_000, 20_000) if quick else SIZES, cap=3 if quick else 5))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    with BodyServer() as server:
        result = run(server.url, args.quick)
    print(report(result))
    write_json("transport.json", {"machine": machine(), **result})


if __name__ == "__main__":
    main()

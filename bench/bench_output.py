"""Typed partial objects from a streamed structured output: CPU to follow ~200 KB of JSON
arriving in 20,000 deltas, rillet beside the libraries that do it by re-parsing.

    python bench/bench_output.py [--quick]      # or: python bench/run_all.py --only output

About six minutes on 2 shared cores, nearly all of it the peers at 200 KB (instructor alone
takes two minutes); rillet's share is a few seconds.

The output (``_output_doc``: nested objects, arrays, long strings, ``\\uXXXX`` escapes and
surrogate pairs, cut anywhere) is served by the loopback server as OpenAI Chat content deltas.
In one run, each figure the best of its runs (``process_time``, the client's CPU alone):

- rillet in process: the parser alone (``JSONStreamParser.feed`` + ``OutputSpec.unwrap`` per
  delta: the field events), and the parser + ``PartialBuilder`` with the typed partial object
  read after every delta; end to end, ``LLMClient.stream(output=Catalogue)`` read through
  ``output_events()``, and read chunk by chunk with ``partial_output`` after each;
- instructor ``create_partial`` (JSON-schema mode), the openai SDK's
  ``chat.completions.stream(response_format=Catalogue)`` (``event.parsed`` per delta), and
  pydantic-ai ``run_stream`` + ``stream_output`` (``NativeOutput``), end to end against the
  same server;
- the baseline: pydantic ``TypeAdapter.validate_json(text_so_far, experimental_allow_partial=
  True)`` per delta, in process;
- references: one ``json.loads`` of the whole text, the parser fed the whole text at once.

Sizes: the output at 1/4, 1/2, 1, 2 and 4 times 200 KB, always in deltas of ~10 characters
(so twice the output is twice the deltas). The peers, quadratic, run up to 1x only. The chart
(``bench/results/output-cost.svg``) plots CPU against output size, log-log.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import itertools
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from _consumers import KEY, MESSAGES
from _measure import RESULTS, cpu_and_wall, table
from _output_doc import document, split
from pydantic import BaseModel, TypeAdapter, ValidationError

from rillet.output._parser import JSONStreamParser
from rillet.output._partial import PartialBuilder
from rillet.output._spec import OutputSpec

BASE = 20_000  # deltas of the 200 KB output
SCALES = (0.25, 0.5, 1, 2, 4)
PEER_SCALES = (0.25, 0.5, 1)
FIELD_EVENTS = "rillet parser + unwrap per delta (field events)"
PARTIAL = "rillet parser + PartialBuilder, read per delta"
REPARSE = "pydantic validate_json(so far, allow_partial) per delta"
E2E_EVENTS = "rillet output_events() (field events)"


class Warehouse(BaseModel):
    city: str
    coordinates: list[float]
    dock: int


class Attribute(BaseModel):
    name: str
    value: str


class Review(BaseModel):
    author: str
    stars: int
    text: str
    verified: bool


class Product(BaseModel):
    id: int
    name: str
    description: str
    price: float
    rating: float
    in_stock: bool
    discontinued: str | None
    warehouse: Warehouse
    tags: list[str]
    reviews: list[Review]
    attributes: list[Attribute]


class Catalogue(BaseModel):
    title: str
    summary: str
    products: list[Product]
    total: int


# -- in process ----------------------------------------------------------------------------------


def _cpu_once(work: Callable[[], object]) -> float:
    started = time.process_time()
    work()
    return time.process_time() - started


def _best(runs: int, work: Callable[[], object]) -> float:
    """The least CPU of ``runs`` runs of ``work`` (the least disturbed by the machine)."""
    return min(_cpu_once(work) for _ in range(runs))


def parser_events(deltas: list[str]) -> int:
    """rillet's field events: the parser fed delta by delta, its events at the model's paths."""
    spec = OutputSpec(Catalogue)
    parser = JSONStreamParser()
    feed, unwrap = parser.feed, spec.unwrap
    count = 0
    for delta in deltas:
        count += len(unwrap(feed(delta)))
    return count + len(unwrap(parser.close()))


def parser_partial(deltas: list[str]) -> int:
    """rillet's typed partial object, read after every delta."""
    spec = OutputSpec(Catalogue)
    parser = JSONStreamParser()
    builder = PartialBuilder(spec.target)
    feed, unwrap, apply = parser.feed, spec.unwrap, builder.apply
    for delta in deltas:
        apply(unwrap(feed(delta)))
        builder.value  # noqa: B018 (the read is what is measured)
    apply(unwrap(parser.close()))
    return len(builder.value.products)


def parser_whole(text: str) -> int:
    parser = JSONStreamParser()
    return len(parser.feed(text)) + len(parser.close())


def reparse(deltas: list[str]) -> int:
    """The baseline: the whole text so far re-parsed by pydantic after every delta."""
    adapter = TypeAdapter(Catalogue)
    text, failures = "", 0
    for delta in deltas:
        text += delta
        try:
            adapter.validate_json(text, experimental_allow_partial=True)
        except ValidationError:
            failures += 1  # a required field not there yet: the cost is paid all the same
    return failures


# -- end to end ----------------------------------------------------------------------------------


class _Peers:
    """The clients, built once inside the loop; each method reads one whole stream."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.skipped: dict[str, str] = {}

    async def start(self) -> None:
        from openai import AsyncOpenAI

        from rillet import LLMClient
        from rillet.transport import HTTPTransport

        self.rillet = LLMClient(
            provider="openai",
            api_key=KEY,
            base_url=self.url + "/v1",
            options={"transport": HTTPTransport(max_retries=0)},
        )
        self.openai = AsyncOpenAI(api_key=KEY, base_url=self.url + "/v1", max_retries=0)
        try:
            import instructor

            self.instructor: Any = instructor.from_openai(
                AsyncOpenAI(api_key=KEY, base_url=self.url + "/v1", max_retries=0),
                mode=instructor.Mode.JSON_SCHEMA,
            )
        except Exception as error:  # an optional package missing or broken here
            self.skipped["instructor"] = f"{type(error).__name__}: {error}"[:200]
        try:
            from pydantic_ai import Agent, NativeOutput
            from pydantic_ai.models.openai import OpenAIChatModel
            from pydantic_ai.providers.openai import OpenAIProvider

            provider = OpenAIProvider(openai_client=self.openai)
            self.pydantic_ai_model = lambda name: OpenAIChatModel(name, provider=provider)
            self.agent: Any = Agent(output_type=NativeOutput(Catalogue))
        except Exception as error:
            self.skipped["pydantic-ai"] = f"{type(error).__name__}: {error}"[:200]

    async def close(self) -> None:
        await self.rillet.aclose()
        await self.openai.close()

    async def rillet_events(self, model: str) -> int:
        count = 0
        async with self.rillet.stream("bench", model=model, output=Catalogue) as stream:
            async for _ in stream.output_events():
                count += 1
        return count

    async def rillet_partial(self, model: str) -> int:
        count = 0
        async with self.rillet.stream("bench", model=model, output=Catalogue) as stream:
            async for _ in stream:
                stream.partial_output  # noqa: B018 (the read is what is measured)
                count += 1
        return count

    async def rillet_chunks(self, model: str) -> int:
        """rillet reading the same stream without asking for the output: the transport's share."""
        count = 0
        async with self.rillet.stream("bench", model=model) as stream:
            async for _ in stream:
                count += 1
        return count

    async def instructor_partial(self, model: str) -> int:
        count = 0
        partials = self.instructor.chat.completions.create_partial(
            model=model, messages=MESSAGES, response_model=Catalogue, max_retries=0
        )
        async for _ in partials:
            count += 1
        return count

    async def openai_parsed(self, model: str) -> int:
        count = 0
        async with self.openai.chat.completions.stream(
            model=model,
            messages=MESSAGES,  # type: ignore[arg-type]
            response_format=Catalogue,
        ) as stream:
            async for event in stream:
                if event.type == "content.delta":
                    event.parsed  # noqa: B018
                    count += 1
        return count

    async def pydantic_ai_output(self, model: str) -> int:
        count = 0
        async with self.agent.run_stream("bench", model=self.pydantic_ai_model(model)) as result:
            async for _ in result.stream_output(debounce_by=None):
                count += 1
        return count


E2E: dict[str, tuple[str, str | None]] = {
    # name -> (method of _Peers, the package it needs)
    "rillet stream, chunks only (no output)": ("rillet_chunks", None),
    "rillet output_events() (field events)": ("rillet_events", None),
    "rillet partial_output per chunk": ("rillet_partial", None),
    "instructor create_partial": ("instructor_partial", "instructor"),
    "openai .stream(response_format=)": ("openai_parsed", None),
    "pydantic-ai stream_output": ("pydantic_ai_output", "pydantic-ai"),
}
PEERS = (
    "instructor create_partial",
    "openai .stream(response_format=)",
    "pydantic-ai stream_output",
)


async def _end_to_end(
    url: str, scales: tuple[float, ...], runs: int, rows: list[dict[str, Any]]
) -> dict[str, str]:
    peers = _Peers(url)
    await peers.start()
    for reason in peers.skipped.items():
        print(f"  skipping {reason[0]}: {reason[1]}", flush=True)
    try:
        for scale in scales:
            n = int(BASE * scale)
            model = f"output-{n}"
            await peers.rillet_chunks(model)  # the server builds the body once, outside timing
            for name, (method, package) in E2E.items():
                if (
                    package in peers.skipped
                    or name in peers.skipped
                    or (name in PEERS and scale not in PEER_SCALES)
                ):
                    continue
                run: Callable[[], Awaitable[int]] = functools.partial(getattr(peers, method), model)
                best = float("inf")
                try:
                    # The peers are quadratic: one run from 1/2x up keeps the whole run short.
                    for _ in range(runs if name not in PEERS or scale < 0.5 else 1):
                        cpu, _wall, _ = await cpu_and_wall(run)
                        best = min(best, cpu)
                except Exception as error:  # a peer that cannot read this stream: say why
                    peers.skipped[name] = f"{type(error).__name__}: {error}"[:300]
                    print(f"  {name} failed: {peers.skipped[name]}", flush=True)
                    continue
                rows.append({"path": name, "scale": scale, "deltas": n, "cpu_s": best})
                print(f"  {name:<42} x{scale:<5} {best:8.3f} s", flush=True)
    finally:
        await peers.close()
    return peers.skipped


def run(url: str, quick: bool) -> dict[str, Any]:
    runs = 2 if quick else 3
    scales = (0.25, 1, 2, 4) if quick else SCALES
    rows: list[dict[str, Any]] = []
    sizes: dict[float, int] = {}
    for scale in scales:
        n = int(BASE * scale)
        text = document(n)
        deltas = split(text, n)
        sizes[scale] = len(text.encode())
        for name, work in (
            ("json.loads(whole text)", functools.partial(json.loads, text)),
            ("rillet parser, whole text in one feed()", functools.partial(parser_whole, text)),
            (FIELD_EVENTS, functools.partial(parser_events, deltas)),
            (PARTIAL, functools.partial(parser_partial, deltas)),
        ):
            rows.append({"path": name, "scale": scale, "deltas": n, "cpu_s": _best(runs, work)})
        if scale in PEER_SCALES:
            rows.append(
                {
                    "path": REPARSE,
                    "scale": scale,
                    "deltas": n,
                    "cpu_s": _best(1 if scale >= 1 else runs, functools.partial(reparse, deltas)),
                }
            )
        for row in rows[-5:]:
            if row["scale"] == scale:
                print(f"  {row['path']:<56} x{scale:<5} {row['cpu_s']:8.4f} s", flush=True)
    skipped = asyncio.run(_end_to_end(url, scales, runs, rows))
    result = {"bytes": {str(k): v for k, v in sizes.items()}, "rows": rows, "skipped": skipped}
    result["chart"] = str(write_chart(result))
    return result


# -- the report ----------------------------------------------------------------------------------


def _cpu(rows: list[dict[str, Any]], path: str, scale: float) -> float | None:
    return next((r["cpu_s"] for r in rows if r["path"] == path and r["scale"] == scale), None)


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    rows = result["rows"]
    out: list[dict[str, Any]] = []

    def add(name: str, figure: str, ok: bool | None) -> None:
        out.append({"target": name, "figure": figure, "verdict": _verdict(ok)})

    ours_e2e = _cpu(rows, E2E_EVENTS, 1)
    for peer in PEERS:
        theirs = _cpu(rows, peer, 1)
        if theirs is None or ours_e2e is None:
            add(f">= 20x less CPU than {peer}", "not measured", None)
        else:
            add(
                f">= 20x less CPU than {peer}",
                f"{theirs / ours_e2e:.0f}x (end to end, 200 KB)",
                theirs / ours_e2e >= 20,
            )
    ours, theirs = _cpu(rows, FIELD_EVENTS, 1), _cpu(rows, REPARSE, 1)
    if ours and theirs:
        add(
            "field events >= 20x less CPU than the re-parse baseline",
            f"{theirs / ours:.0f}x (in process, 200 KB)",
            theirs / ours >= 20,
        )
    for path in (FIELD_EVENTS, PARTIAL, E2E_EVENTS):
        costs = [(s, _cpu(rows, path, s)) for s in (1, 2, 4)]
        known = [(s, c) for s, c in costs if c is not None]
        if len(known) < 2:
            continue
        growth = [b / a for (_, a), (_, b) in itertools.pairwise(known)]
        add(
            f"linear: 2x output <= 3x cost ({path})",
            " / ".join(f"{g:.2f}x" for g in growth) + " per doubling (1x->2x->4x)",
            max(growth) <= 3,
        )
    base = [_cpu(rows, REPARSE, s) for s in PEER_SCALES]
    if all(base):
        growth = [b / a for a, b in itertools.pairwise(base)]  # type: ignore[operator]
        add(
            "(baseline, for comparison) re-parse growth per doubling",
            " / ".join(f"{g:.2f}x" for g in growth) + " (1/4x->1/2x->1x)",
            None,
        )
    loads, events, whole = (
        _cpu(rows, p, 1)
        for p in ("json.loads(whole text)", FIELD_EVENTS, "rillet parser, whole text in one feed()")
    )
    if loads and events and whole:
        add(
            "parser (20,000 deltas) <= 2x one json.loads of the whole text",
            f"{events / loads:.1f}x (whole text in one feed(): {whole / loads:.1f}x)",
            events / loads <= 2,
        )
    return out


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "MISS")


def report(result: dict[str, Any]) -> str:
    rows = result["rows"]
    paths = list(dict.fromkeys(r["path"] for r in rows))
    scales = sorted({r["scale"] for r in rows})
    reference = _cpu(rows, E2E_EVENTS, 1)
    body = []
    for path in paths:
        line: list[object] = [path]
        line += [_ms(_cpu(rows, path, s)) for s in scales]
        one = _cpu(rows, path, 1)
        line.append(one / reference if one is not None and reference else None)
        body.append(line)
    sizes = result["bytes"]
    headers = [
        "path",
        *(f"{sizes[str(s)] / 1e3:.0f} KB ms" for s in scales),
        "x rillet events e2e @200 KB",
    ]
    text = table(
        headers,
        body,
        "Typed partial output: CPU ms to follow the whole stream (deltas of ~10 chars)",
    )
    verdicts = targets(result)
    text += "\n" + table(
        ["target", "figure", "verdict"],
        [[t["target"], t["figure"], t["verdict"]] for t in verdicts],
        "Output targets (ratios from this run)",
    )
    if result.get("chart"):
        text += f"\n\nchart: {result['chart']}"
    return text


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1e3


# -- the chart -----------------------------------------------------------------------------------

_COLOURS = [
    "#1b9e77",
    "#66a61e",
    "#7570b3",
    "#e7298a",
    "#d95f02",
    "#e6ab02",
    "#a6761d",
    "#666666",
    "#1f78b4",
    "#b2182b",
]


def write_chart(result: dict[str, Any], name: str = "output-cost.svg") -> Any:
    """A log-log SVG of CPU against output size, one line per path (no plotting library)."""
    import math

    rows = result["rows"]
    sizes = {float(k): v for k, v in result["bytes"].items()}
    paths = list(dict.fromkeys(r["path"] for r in rows))
    xs = [sizes[r["scale"]] / 1e3 for r in rows]
    ys = [max(r["cpu_s"], 1e-5) * 1e3 for r in rows]
    x0, x1 = math.floor(math.log10(min(xs))), math.ceil(math.log10(max(xs)))
    y0, y1 = math.floor(math.log10(min(ys))), math.ceil(math.log10(max(ys)))
    left, top, width, height = 70, 30, 560, 380

    def px(kb: float) -> float:
        return left + (math.log10(kb) - x0) / (x1 - x0) * width

    def py(ms: float) -> float:
        return top + height - (math.log10(ms) - y0) / (y1 - y0) * height

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 400}" height="{top + height + 60}" font-family="sans-serif" font-size="12">',
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="{left}" y="18" font-size="14">CPU to follow a streamed structured output (log-log; deltas of ~10 chars)</text>',
    ]
    for e in range(x0, x1 + 1):
        x = px(10**e)
        out.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + height}" stroke="#ddd"/>'
        )
        out.append(
            f'<text x="{x:.1f}" y="{top + height + 16}" text-anchor="middle">{10**e:g} KB</text>'
        )
    for e in range(y0, y1 + 1):
        y = py(10**e)
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + width}" y2="{y:.1f}" stroke="#ddd"/>'
        )
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{10**e:g} ms</text>')
    out.append(
        f'<text x="{left + width / 2}" y="{top + height + 40}" text-anchor="middle">output size (UTF-8 bytes)</text>'
    )
    out.append(
        f'<rect x="{left}" y="{top}" width="{width}" height="{height}" fill="none" stroke="#333"/>'
    )
    for index, path in enumerate(paths):
        colour = _COLOURS[index % len(_COLOURS)]
        points = sorted(
            (sizes[r["scale"]] / 1e3, max(r["cpu_s"], 1e-5) * 1e3)
            for r in rows
            if r["path"] == path
        )
        coords = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in points)
        dash = (
            ' stroke-dasharray="5,3"'
            if path.startswith(("json.loads", "rillet parser, whole", "rillet stream, chunks"))
            else ""
        )
        out.append(
            f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>'
        )
        for x, y in points:
            out.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{colour}"/>')
        ly = top + 10 + index * 18
        out.append(
            f'<line x1="{left + width + 15}" y1="{ly}" x2="{left + width + 40}" y2="{ly}" stroke="{colour}" stroke-width="2"{dash}/>'
        )
        label = path.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        out.append(f'<text x="{left + width + 46}" y="{ly + 4}">{label}</text>')
    out.append("</svg>")
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / name
    path.write_text("\n".join(out) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer sizes and runs")
    args = parser.parse_args()
    from _server import BodyServer

    with BodyServer() as server:
        result = run(server.url, args.quick)
    print(report(result))


if __name__ == "__main__":
    main()

"""Accumulator cost per chunk over 100k chunks, beside a plain list.append + "".join baseline.

    python bench/bench_accumulator.py [--chunks N]

Both sides get the same pre-built chunks in the same run; the best of five runs is reported.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

from rillet import (
    ContentChunk,
    FinishReason,
    StartChunk,
    StopChunk,
    StreamChunk,
    ToolCallChunk,
    ToolCallEndChunk,
    ToolCallStartChunk,
)
from rillet.accumulator import ResponseAccumulator


def _best_of(runs: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def _text_chunks(n: int) -> list[StreamChunk]:
    return [
        StartChunk(provider="bench"),
        *[ContentChunk(text=f"tok{i % 97} ") for i in range(n)],
        StopChunk(finish_reason=FinishReason.stop),
    ]


def _argument_chunks(n: int) -> list[StreamChunk]:
    value = "x" * 64
    fragments = ['{"items": [', *[f'"{value}{i}",' for i in range(n - 1)], f'"{value}"]}}']
    return [
        StartChunk(provider="bench"),
        ToolCallStartChunk(index=0, id="c", name="f"),
        *[ToolCallChunk(index=0, arguments_delta=f) for f in fragments],
        ToolCallEndChunk(index=0),
        StopChunk(finish_reason=FinishReason.tool_calls),
    ]


def _accumulate(chunks: list[StreamChunk]) -> object:
    accumulator = ResponseAccumulator()
    add = accumulator.add
    for chunk in chunks:
        add(chunk)
    return accumulator.snapshot()


def _baseline_text(chunks: list[StreamChunk]) -> object:
    parts: list[str] = []
    for chunk in chunks:
        if isinstance(chunk, ContentChunk):
            parts.append(chunk.text)
    return "".join(parts)


def _baseline_arguments(chunks: list[StreamChunk]) -> object:
    parts: list[str] = []
    for chunk in chunks:
        if isinstance(chunk, ToolCallChunk):
            parts.append(chunk.arguments_delta)
    return json.loads("".join(parts))


def run(chunks: int = 100_000) -> dict[str, object]:
    rows = []
    for name, build, baseline in (
        ("text", _text_chunks, _baseline_text),
        ("tool arguments", _argument_chunks, _baseline_arguments),
    ):
        for n in (chunks // 10, chunks):
            built = build(n)
            ours = _best_of(5, lambda built=built: _accumulate(built)) / len(built) * 1e9
            floor = (
                _best_of(5, lambda built=built, baseline=baseline: baseline(built))
                / len(built)
                * 1e9
            )
            rows.append(
                {
                    "workload": name,
                    "chunks": n,
                    "accumulator_ns": ours,
                    "baseline_ns": floor,
                    "ratio": ours / floor,
                }
            )
    return {"rows": rows}


def report(result: dict[str, object]) -> str:
    from _measure import table

    rows = result["rows"]
    assert isinstance(rows, list)
    return table(
        ["workload", "chunks", "accumulator ns/chunk", "append+join ns/chunk", "ratio"],
        [
            [r["workload"], r["chunks"], r["accumulator_ns"], r["baseline_ns"], r["ratio"]]
            for r in rows
        ],
        "Accumulator alone (pre-built chunks, in process)",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=100_000)
    args = parser.parse_args()
    result = run(args.chunks)
    print(report(result))
    from _measure import machine, write_json

    write_json("accumulator.json", {"machine": machine(), **result})


if __name__ == "__main__":
    main()

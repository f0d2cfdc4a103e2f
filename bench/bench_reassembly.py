"""Tool-call reassembly: 1 MB of JSON arguments in 10,000 fragments, to parsed arguments.

    python bench/bench_reassembly.py [--quick]

One tool call whose arguments (a JSON object of about 1 MB) stream as 10k fragments: OpenAI
chat ``tool_calls`` deltas and Anthropic ``input_json_delta`` events. Each consumer reads the
whole stream and ends with the parsed arguments in hand:

- rillet: ``LLMClient.stream()`` read to the end, then ``response.tool_calls[0].arguments``;
- openai ``.stream()`` helper: ``get_final_completion()``; with a plain tool its accumulated
  ``arguments`` string is then ``json.loads``-ed, with a ``strict`` tool the helper parses the
  arguments itself (partially, after every fragment, as its documentation describes);
- anthropic ``.stream()`` helper: ``get_final_message()``, whose ``tool_use`` block holds the
  input it parsed (partially, after every ``input_json_delta``).

CPU seconds of the client process, best of the runs (the slow helpers run once).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

import _consumers
from _bodies import tool_arguments
from _measure import cpu_and_wall, machine, table, write_json
from _server import BodyServer

SIZE = 1_000_000
FRAGMENTS = 10_000
_PARAMETERS = {
    "type": "object",
    "properties": {"rows": {"type": "array", "items": {"type": "string"}}},
    "required": ["rows"],
    "additionalProperties": False,
}


def _tool(strict: bool) -> dict[str, Any]:
    function: dict[str, Any] = {"name": "store_rows", "parameters": _PARAMETERS}
    if strict:
        function["strict"] = True
    return {"type": "function", "function": function}


async def measure(url: str, fragments: int, size: int, cap: int) -> dict[str, Any]:
    model = f"tools-{fragments}-{size}"
    expected = json.loads(tool_arguments(size))
    consumers = await _consumers.start_all(
        url, [_consumers.Rillet, _consumers.OpenAICreate, _consumers.AnthropicCreate]
    )
    by_name = {c.name: c for c in consumers}
    rillet = by_name["rillet"]

    async def rillet_run(fmt: str) -> dict[str, Any]:
        async with rillet.clients[fmt].stream("bench", model=model) as stream:  # type: ignore[attr-defined]
            response = await stream.get_response()
        return response.tool_calls[0].arguments

    async def openai_helper(strict: bool) -> dict[str, Any]:
        client = by_name["openai create"].client  # type: ignore[attr-defined]
        async with client.chat.completions.stream(
            model=model, messages=_consumers.MESSAGES, tools=[_tool(strict)]
        ) as stream:
            async for _ in stream:
                pass
            final = await stream.get_final_completion()
        function = final.choices[0].message.tool_calls[0].function
        if strict:
            return function.parsed_arguments  # type: ignore[no-any-return]
        return json.loads(function.arguments)  # type: ignore[no-any-return]

    async def anthropic_helper() -> dict[str, Any]:
        client = by_name["anthropic create"].client  # type: ignore[attr-defined]
        async with client.messages.stream(
            model=model, max_tokens=1024, messages=_consumers.MESSAGES
        ) as stream:
            async for _ in stream:
                pass
            final = await stream.get_final_message()
        return final.content[0].input  # type: ignore[no-any-return]

    cases: list[tuple[str, str, Any]] = [
        ("openai-chat", "rillet", lambda: rillet_run("openai-chat")),
        ("openai-chat", "openai .stream()", lambda: openai_helper(False)),
        ("openai-chat", "openai .stream() strict tool", lambda: openai_helper(True)),
        ("anthropic", "rillet", lambda: rillet_run("anthropic")),
        ("anthropic", "anthropic .stream()", anthropic_helper),
    ]
    rows: list[dict[str, Any]] = []
    try:
        for fmt, name, work in cases:
            owner = "rillet" if name == "rillet" else name.split()[0] + " create"
            if by_name[owner].skip_reason:
                rows.append(
                    {"format": fmt, "consumer": name, "skipped": by_name[owner].skip_reason}
                )
                continue
            best_cpu = best_wall = float("inf")
            runs = 0
            while runs < cap:
                result: dict[str, Any] = {}

                async def once(work: Any = work, result: dict[str, Any] = result) -> int:
                    result["arguments"] = await work()
                    return 1

                cpu, wall, _ = await cpu_and_wall(once)
                if result["arguments"] != expected:
                    raise AssertionError(f"{name}: the arguments came back wrong")
                best_cpu, best_wall = min(best_cpu, cpu), min(best_wall, wall)
                runs += 1
                if cpu > 5:  # the slow helpers: once is enough to see it
                    break
            rows.append(
                {
                    "format": fmt,
                    "consumer": name,
                    "cpu_s": best_cpu,
                    "wall_s": best_wall,
                    "runs": runs,
                }
            )
            print(f"  {fmt:<13}{name:<32}{best_cpu * 1e3:>10.1f} ms CPU ({runs} runs)", flush=True)
    finally:
        await _consumers.close_all(consumers)
    for row in rows:
        ours = next(
            (r for r in rows if r["format"] == row["format"] and r["consumer"] == "rillet"), None
        )
        if ours and "cpu_s" in row:
            row["x_rillet"] = row["cpu_s"] / ours["cpu_s"]
    return {"fragments": fragments, "bytes": size, "rows": rows}


def report(result: dict[str, Any]) -> str:
    return table(
        ["format", "consumer", "CPU ms", "wall ms", "x rillet"],
        [
            [
                r["format"],
                r["consumer"],
                r.get("cpu_s", float("nan")) * 1e3,
                r.get("wall_s", float("nan")) * 1e3,
                r.get("x_rillet"),
            ]
            for r in result["rows"]
        ],
        f"Tool-call reassembly: {result['bytes'] / 1e6:.0f} MB of arguments in {result['fragments']:,} fragments",
    )


def run(url: str, quick: bool = False) -> dict[str, Any]:
    return asyncio.run(measure(url, FRAGMENTS, SIZE, cap=2 if quick else 5))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    with BodyServer() as server:
        result = run(server.url, args.quick)
    print(report(result))
    write_json("reassembly.json", {"machine": machine(), **result})


if __name__ == "__main__":
    main()

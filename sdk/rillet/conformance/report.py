"""Conformance results for people (a rich table, failures expected beside got) and for CI
(JSON, JUnit XML)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from rillet._version import __version__
from rillet.conformance.runner import CaseResult

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

__all__ = ["failures", "matrix", "row_name", "summary", "table", "to_json", "to_junit"]

_STYLE = {"pass": "green", "fail": "bold red", "skip": "dim"}


def row_name(result: CaseResult) -> str:
    """The case, and where its bytes came from when not from the emulator."""
    return result.case if result.source == "emulator" else f"{result.case} · {result.source}"


def matrix(results: Sequence[CaseResult]) -> tuple[list[str], dict[str, dict[str, CaseResult]]]:
    """The targets (columns) and, per row name, each target's result; both in the order run."""
    targets = list(dict.fromkeys(r.target for r in results))
    rows: dict[str, dict[str, CaseResult]] = {}
    for result in results:
        rows.setdefault(row_name(result), {})[result.target] = result
    return targets, rows


def summary(results: Sequence[CaseResult]) -> dict[str, int]:
    counts = {"pass": 0, "fail": 0, "skip": 0}
    for result in results:
        counts[result.status] += 1
    return counts


def table(results: Sequence[CaseResult]) -> RenderableType:
    """Case x target: pass / FAIL / skip and the seconds each took."""
    from rich.table import Table

    targets, rows = matrix(results)
    counts = summary(results)
    grid = Table(
        title="rillet conformance",
        caption=f"{counts['pass']} passed, {counts['fail']} failed, {counts['skip']} skipped",
    )
    grid.add_column("case")
    for target in targets:
        grid.add_column(target, justify="center", no_wrap=True)
    for name, cells in rows.items():
        grid.add_row(name, *[_cell(cells.get(target)) for target in targets])
    return grid


def _cell(result: CaseResult | None) -> str:
    if result is None:
        return ""
    style = _STYLE[result.status]
    word = "FAIL" if result.status == "fail" else result.status
    timing = f" {result.seconds:.2f}s" if result.status != "skip" else ""
    return f"[{style}]{word}[/]{timing}"


def failures(results: Sequence[CaseResult]) -> Iterable[RenderableType]:
    """For each failure: its rules, then the first diverging chunk, expected beside got."""
    from rich import box
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    for result in results:
        if result.status != "fail":
            continue
        first = result.divergence
        rules = ", ".join(result.rules_failed)
        yield Text.assemble(
            ("✗ ", "bold red"),
            (f"{result.target} · {row_name(result)}", "bold"),
            f"  broke: {rules}",
        )
        if first is not None:
            where = f"chunk #{first.index}" if first.index is not None else "the outcome"
            yield Text(f"  at {where}: {first.rule}: {first.message}")
            pair = Table(box=box.SIMPLE, padding=(0, 1), expand=False)
            pair.add_column("expected", style="green", overflow="fold", ratio=1)
            pair.add_column("got", style="red", overflow="fold", ratio=1)
            pair.add_row(first.expected or "", first.got or "")
            yield Padding(pair, (0, 0, 0, 2))
        for other in result.violations:
            if other is not first:
                yield Text(f"    also {other.rule}: {other.message}", style="dim")


def print_report(console: Console, results: Sequence[CaseResult]) -> None:
    console.print(table(results))
    for part in failures(results):
        console.print(part)


def _result_json(result: CaseResult) -> dict[str, Any]:
    return {
        "target": result.target,
        "case": result.case,
        "source": result.source,
        "status": result.status,
        "seconds": round(result.seconds, 4),
        "reason": result.reason or None,
        "violations": [
            {
                "rule": v.rule,
                "message": v.message,
                "chunk": v.index,
                "expected": v.expected,
                "got": v.got,
            }
            for v in result.violations
        ],
    }


def to_json(results: Sequence[CaseResult], seconds: float) -> str:
    """``{"rillet", "passed", "failed", "skipped", "seconds", "results": [...]}``."""
    counts = summary(results)
    document = {
        "rillet": __version__,
        "passed": counts["pass"],
        "failed": counts["fail"],
        "skipped": counts["skip"],
        "seconds": round(seconds, 3),
        "results": [_result_json(r) for r in results],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def to_junit(results: Sequence[CaseResult]) -> str:
    """JUnit XML: one ``testsuite`` per target, one ``testcase`` per case and source."""
    root = ET.Element("testsuites", name="rillet conformance")
    for target in dict.fromkeys(r.target for r in results):
        mine = [r for r in results if r.target == target]
        counts = summary(mine)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=target,
            tests=str(len(mine)),
            failures=str(counts["fail"]),
            skipped=str(counts["skip"]),
            time=f"{sum(r.seconds for r in mine):.3f}",
        )
        for result in mine:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"rillet.conformance.{target}",
                name=row_name(result),
                time=f"{result.seconds:.3f}",
            )
            if result.status == "skip":
                ET.SubElement(case, "skipped", message=result.reason)
            elif result.status == "fail":
                first = result.divergence
                failure = ET.SubElement(
                    case,
                    "failure",
                    message="; ".join(f"{v.rule}: {v.message}" for v in result.violations),
                    type=",".join(result.rules_failed),
                )
                if first is not None:
                    failure.text = (
                        f"chunk: {first.index}\nexpected: {first.expected}\ngot: {first.got}\n"
                    )
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"

"""Conformance results as one self-contained HTML page: the case x target matrix coloured by
outcome with the seconds each run took, then each failure's rules and its first diverging chunk,
expected beside got.

The page has no script and loads nothing (inline CSS, system fonts): it opens offline, from a
CI artifact as well. Every text taken from the results is escaped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from rillet._version import __version__
from rillet.conformance.report import matrix, row_name, summary
from rillet.conformance.runner import CaseResult

__all__ = ["to_html"]

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1d1d1f; background: #fff; }
h1 { font-size: 1.4rem; margin: 0 0 0.5rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; }
h3 { font-size: 1rem; margin: 0 0 0.4rem; }
code, pre { font-family: ui-monospace, Menlo, Consolas, monospace; }
table { border-collapse: collapse; }
.summary span { padding: 0 0.3rem; border-radius: 3px; }
#matrix th, #matrix td { border: 1px solid #d0d0d0; padding: 0.3rem 0.7rem; }
#matrix thead th { background: #f2f2f2; }
#matrix tbody th, #matrix tfoot th { text-align: left; font-weight: normal; white-space: nowrap; }
#matrix td { text-align: center; white-space: nowrap; }
.pass { background: #d4f4dc; color: #0b6b2b; }
.fail { background: #fad2d2; color: #a10e0e; font-weight: bold; }
.skip { background: #ececec; color: #6b6b6b; }
.fail a { color: inherit; }
.seconds { font-size: 0.8em; font-weight: normal; opacity: 0.8; }
.failure { border-left: 4px solid #a10e0e; padding: 0.2rem 0 0.2rem 1rem; margin: 1rem 0; }
.pair { width: 100%; table-layout: fixed; }
.pair th { text-align: left; padding: 0.2rem 0.5rem; }
.pair td { vertical-align: top; padding: 0.3rem 0.5rem; }
.pair pre { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; font-size: 0.85rem; }
.expected { background: #eaf8ee; }
.got { background: #fdecec; }
.also { color: #6b6b6b; }
"""

_Cell = tuple[str, str]
"""A matrix cell's coordinates: target, row name."""


def to_html(results: Sequence[CaseResult], seconds: float = 0.0) -> str:
    """The page; ``seconds`` is the run's wall time (0: not known, not shown)."""
    failed = [r for r in results if r.status == "fail"]
    anchors = {(r.target, row_name(r)): f"failure-{n}" for n, r in enumerate(failed, 1)}
    counts = summary(results)
    title = f"rillet conformance: {counts['pass']} passed, {counts['fail']} failed"
    page = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<h1>rillet conformance</h1>",
        _summary(results, seconds),
        *_matrix(results, anchors),
        *_failures(failed, anchors),
        "</body>",
        "</html>",
    ]
    return "\n".join(page) + "\n"


def _summary(results: Sequence[CaseResult], seconds: float) -> str:
    counts = summary(results)
    took = f" in {seconds:.1f} s" if seconds else ""
    return (
        f'<p class="summary"><span class="pass">{counts["pass"]} passed</span> '
        f'<span class="fail">{counts["fail"]} failed</span> '
        f'<span class="skip">{counts["skip"]} skipped</span> '
        f"· {len(results)} runs{took} · rillet {escape(__version__)}</p>"
    )


def _matrix(results: Sequence[CaseResult], anchors: Mapping[_Cell, str]) -> list[str]:
    targets, rows = matrix(results)
    head = "".join(f'<th scope="col">{escape(target)}</th>' for target in targets)
    lines = [
        '<table id="matrix">',
        f'<thead><tr><th scope="col">case</th>{head}</tr></thead>',
        "<tbody>",
    ]
    for name, cells in rows.items():
        row = "".join(_cell(cells.get(target), anchors) for target in targets)
        lines.append(f'<tr><th scope="row">{escape(name)}</th>{row}</tr>')
    totals = "".join(
        f'<td class="seconds">{sum(r.seconds for r in results if r.target == target):.2f} s</td>'
        for target in targets
    )
    lines += ["</tbody>", f'<tfoot><tr><th scope="row">total</th>{totals}</tr></tfoot>', "</table>"]
    return lines


def _cell(result: CaseResult | None, anchors: Mapping[_Cell, str]) -> str:
    if result is None:
        return '<td class="none"></td>'
    if result.status == "skip":
        return f'<td class="skip" title="{escape(result.reason)}">skip</td>'
    word = "pass"
    if result.status == "fail":
        word = f'<a href="#{anchors[result.target, row_name(result)]}">FAIL</a>'
    took = f'<span class="seconds">{result.seconds:.2f} s</span>'
    return f'<td class="{result.status}">{word} {took}</td>'


def _failures(failed: Sequence[CaseResult], anchors: Mapping[_Cell, str]) -> list[str]:
    lines = ["<h2>Failures</h2>"] if failed else []
    for result in failed:
        lines += _failure(result, anchors[result.target, row_name(result)])
    return lines


def _failure(result: CaseResult, anchor: str) -> list[str]:
    """Its rules, then the first diverging chunk, expected beside got, then the other breaks."""
    first = result.divergence
    rules = ", ".join(f"<code>{escape(rule)}</code>" for rule in result.rules_failed)
    lines = [
        f'<section class="failure" id="{anchor}">',
        f"<h3>{escape(result.target)} · {escape(row_name(result))}</h3>",
        f'<p class="rules">broke: {rules}</p>',
    ]
    if first is not None:
        where = f"chunk #{first.index}" if first.index is not None else "the outcome"
        lines += [
            f"<p>at {where}: <code>{escape(first.rule)}</code>: {escape(first.message)}</p>",
            '<table class="pair">',
            "<thead><tr><th>expected</th><th>got</th></tr></thead>",
            f'<tbody><tr><td class="expected"><pre>{escape(first.expected or "")}</pre></td>'
            f'<td class="got"><pre>{escape(first.got or "")}</pre></td></tr></tbody>',
            "</table>",
        ]
    others = [v for v in result.violations if v is not first]
    if others:
        lines.append('<ul class="also">')
        lines += [
            f"<li>also <code>{escape(v.rule)}</code>: {escape(v.message)}</li>" for v in others
        ]
        lines.append("</ul>")
    lines.append("</section>")
    return lines

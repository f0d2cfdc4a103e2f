"""The live benchmark's chart: CPU per event against concurrent streams, one panel per wire
format, one line per consumer (dashed: on uvloop), log-log. Plain SVG, no plotting library."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from _measure import BENCH, RESULTS

_COLOURS = {
    "floor": "#333333",
    "rillet": "#d62728",
    "openai create": "#1f78b4",
    "openai .stream()": "#a6cee3",
    "openai responses.create": "#1f78b4",
    "anthropic create": "#e6ab02",
    "anthropic .stream()": "#a6761d",
    "google-genai": "#7570b3",
    "litellm": "#1b9e77",
    "pydantic-ai": "#e7298a",
    "boto3 (thread)": "#ff7f00",
}
_PANEL_W, _PANEL_H, _LEFT, _TOP, _GAP = 300, 210, 60, 50, 70
_COLUMNS = 3


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _panel(
    fmt: str, rows: list[dict[str, Any]], x: float, y: float, ys: tuple[int, int]
) -> list[str]:
    levels = (1, 10, 100, 1000, 10000)
    y0, y1 = ys

    def px(level: float) -> float:
        return x + math.log10(level) / 4 * _PANEL_W

    def py(us: float) -> float:
        return y + _PANEL_H - (math.log10(us) - y0) / (y1 - y0) * _PANEL_H

    out = [f'<text x="{x}" y="{y - 8}" font-size="13" font-weight="bold">{fmt}</text>']
    for level in levels:
        out.append(
            f'<line x1="{px(level):.1f}" y1="{y}" x2="{px(level):.1f}" y2="{y + _PANEL_H}" stroke="#ddd"/>'
        )
        out.append(
            f'<text x="{px(level):.1f}" y="{y + _PANEL_H + 14}" text-anchor="middle">{level:,}</text>'
        )
    for e in range(y0, y1 + 1):
        out.append(
            f'<line x1="{x}" y1="{py(10**e):.1f}" x2="{x + _PANEL_W}" y2="{py(10**e):.1f}" stroke="#ddd"/>'
        )
        out.append(f'<text x="{x - 5}" y="{py(10**e) + 4:.1f}" text-anchor="end">{10**e:g}</text>')
    out.append(
        f'<rect x="{x}" y="{y}" width="{_PANEL_W}" height="{_PANEL_H}" fill="none" stroke="#333"/>'
    )
    lines = dict.fromkeys((r["consumer"], r["loop"]) for r in rows)
    for consumer, loop in lines:
        points = sorted(
            (r["level"], r["cpu_us_per_event"])
            for r in rows
            if (r["consumer"], r["loop"]) == (consumer, loop)
        )
        colour = _COLOURS.get(consumer, "#999999")
        dash = ' stroke-dasharray="5,3"' if loop == "uvloop" else ""
        coords = " ".join(f"{px(lv):.1f},{py(us):.1f}" for lv, us in points)
        out.append(
            f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>'
        )
        out += [
            f'<circle cx="{px(lv):.1f}" cy="{py(us):.1f}" r="3" fill="{colour}"/>'
            for lv, us in points
        ]
    return out


def write(result: dict[str, Any], quick: bool = False) -> Path:
    """Write the chart (``bench/live-cpu.svg``; a quick run's under ``bench/results/``)."""
    rows = [r for r in result["rows"] if r.get("cpu_us_per_event")]
    formats = list(dict.fromkeys(r["format"] for r in rows))
    values = [r["cpu_us_per_event"] for r in rows] or [1.0, 10.0]
    ys = (math.floor(math.log10(min(values))), math.ceil(math.log10(max(values))))
    ys = (ys[0], max(ys[1], ys[0] + 1))
    panels_rows = max(1, -(-len(formats) // _COLUMNS))
    width = _LEFT + _COLUMNS * (_PANEL_W + _GAP) + 190
    height = _TOP + panels_rows * (_PANEL_H + _GAP) + 10
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="{_LEFT}" y="20" font-size="14">Live streams: client CPU per wire event (us, log) against concurrent streams (log); dashed: uvloop</text>',
    ]
    for index, fmt in enumerate(formats):
        x = _LEFT + (index % _COLUMNS) * (_PANEL_W + _GAP)
        y = _TOP + (index // _COLUMNS) * (_PANEL_H + _GAP)
        out += _panel(fmt, [r for r in rows if r["format"] == fmt], x, y, ys)
    legend_x = _LEFT + _COLUMNS * (_PANEL_W + _GAP) - 30
    consumers = list(dict.fromkeys(r["consumer"] for r in rows))
    for index, consumer in enumerate(consumers):
        ly = _TOP + 10 + index * 18
        colour = _COLOURS.get(consumer, "#999999")
        out.append(
            f'<line x1="{legend_x}" y1="{ly}" x2="{legend_x + 25}" y2="{ly}" stroke="{colour}" stroke-width="2"/>'
        )
        out.append(f'<text x="{legend_x + 31}" y="{ly + 4}">{_escape(consumer)}</text>')
    out.append("</svg>")
    folder = RESULTS if quick else BENCH
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "live-cpu.svg"
    path.write_text("\n".join(out) + "\n")
    return path

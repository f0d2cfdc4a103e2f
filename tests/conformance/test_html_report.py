"""``rillet conformance --html``: one self-contained page with the provider x case matrix coloured
by outcome, each run's seconds and the totals, and every failure's rules with expected beside got.
Read back with ``html.parser``, then rendered by a real headless Chromium."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import re
import struct
import subprocess
import zlib
from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from real_streams import missing

from rillet.cli import main
from rillet.conformance.catalogue import select
from rillet.conformance.observation import Observation, Violation
from rillet.conformance.replay import replayer
from rillet.conformance.report_html import to_html
from rillet.conformance.runner import BUILTIN_TARGETS, CaseResult, Target, run_suite

from .broken_adapters import TextMismatch

ROOT = Path(__file__).resolve().parents[2]
BROKEN = Target("TextMismatch", f"{TextMismatch.__module__}:TextMismatch", "openai")
CHROMIUM = Path("/usr/bin/chromium")

HOSTILE_TARGET = '"><img src=x onerror=alert(1)>'
HOSTILE_CASE = "<b>bold</b> & co"
HOSTILE_TEXT = '<script>document.title = "pwned"</script>'
TITLE = "rillet conformance: 6 passed, 3 failed"


# --- the page, read back -------------------------------------------------------------------


@dataclasses.dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = dataclasses.field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)

    def iter(self, tag: str | None = None) -> Iterator[Element]:
        if tag in (None, self.tag):
            yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter(tag)

    def find(self, tag: str, **attrs: str) -> Element:
        found = [e for e in self.iter(tag) if all(e.attrs.get(k) == v for k, v in attrs.items())]
        assert found, f"no <{tag} {attrs}>"
        return found[0]


class _TreeBuilder(HTMLParser):
    _VOID = frozenset({"meta", "br", "img", "link", "hr", "input", "source", "col", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.open = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.open[-1].children.append(element)
        if tag not in self._VOID:
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        while len(self.open) > 1 and self.open.pop().tag != tag:
            pass

    def handle_data(self, data: str) -> None:
        self.open[-1].children.append(data)


def parse(page: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(page)
    builder.close()
    return builder.root


def cells(document: Element) -> dict[tuple[str, str], Element]:
    """The matrix: (target, row) -> its cell; asserts one header per target, one row per case."""
    table = document.find("table", id="matrix")
    head = [th.text for th in table.find("thead").iter("th")]
    assert head[0] == "case"
    found: dict[tuple[str, str], Element] = {}
    for row in table.find("tbody").iter("tr"):
        name = row.find("th").text
        tds = list(row.iter("td"))
        assert len(tds) == len(head) - 1, f"row {name!r} has {len(tds)} cells"
        for target, td in zip(head[1:], tds, strict=True):
            assert (target, name) not in found, f"row {name!r} twice"
            found[target, name] = td
    return found


def row_of(result: CaseResult) -> str:
    return result.case if result.source == "emulator" else f"{result.case} · {result.source}"


def assert_matrix(document: Element, results: list[CaseResult]) -> None:
    """Each result in its own cell, classed and worded by its status, with its seconds."""
    table = document.find("table", id="matrix")
    head = [th.text for th in table.find("thead").iter("th")]
    assert head == ["case", *dict.fromkeys(r.target for r in results)]
    rows = [row.find("th").text for row in table.find("tbody").iter("tr")]
    assert rows == list(dict.fromkeys(row_of(r) for r in results))
    ran = {(r.target, row_of(r)): r for r in results}
    for key, cell in cells(document).items():
        result = ran.get(key)
        if result is None:
            assert cell.attrs["class"] == "none" and cell.text == "", f"{key} did not run"
            continue
        assert cell.attrs["class"] == result.status
        word, *took = cell.text.split()
        assert word == {"pass": "pass", "fail": "FAIL", "skip": "skip"}[result.status]
        if result.status == "skip":
            assert took == [] and cell.attrs["title"] == result.reason
        else:
            assert took == [f"{result.seconds:.2f}", "s"]


# --- the results: a real run, a skip and hostile text --------------------------------------


@pytest.fixture(scope="module")
def results() -> list[CaseResult]:
    """The built-in OpenAI adapter and one that breaks ``text``, on the emulator and the
    cassettes; then a skip, and a failure whose every text is markup."""
    cases = select(["text", "empty"])
    run = asyncio.run(
        run_suite([BUILTIN_TARGETS[0], BROKEN], cases, replay=replayer(ROOT / "cassettes", 0))
    )
    skip = CaseResult(BROKEN.label, "cancel", "skip", 0.0, reason='not "here" <yet>')
    hostile = Target(HOSTILE_TARGET, "openai", "openai")
    spoiled = Violation("text", "a <i>message</i> & more", 2, HOSTILE_TEXT, "</pre></td>")
    case = dataclasses.replace(cases[0], name=HOSTILE_CASE)
    bad = CaseResult.judged(hostile, case, Observation(seconds=0.5), [spoiled])
    return [*run, skip, bad]


@pytest.fixture(scope="module")
def page(results: list[CaseResult]) -> str:
    return to_html(results, 12.3)


def test_the_matrix_has_a_row_per_case_and_a_column_per_target(
    page: str, results: list[CaseResult]
) -> None:
    document = parse(page)
    matrix = document.find("table", id="matrix")
    rows = [row.find("th").text for row in matrix.find("tbody").iter("tr")]
    assert rows == ["text", "text · cassette", "empty", "empty · cassette", "cancel", HOSTILE_CASE]
    assert_matrix(document, results)
    grid = cells(document)
    assert grid["openai", "text · cassette"].attrs["class"] == "pass"
    assert grid["TextMismatch", "text"].attrs["class"] == "fail"
    assert grid["openai", "cancel"].attrs["class"] == "none" and grid["openai", "cancel"].text == ""


def test_the_page_shows_the_timings_per_cell_per_target_and_in_total(
    page: str, results: list[CaseResult]
) -> None:
    document = parse(page)
    totals = [td.text for td in document.find("tfoot").iter("td")]
    by_target = dict.fromkeys(r.target for r in results)
    assert totals == [
        f"{sum(r.seconds for r in results if r.target == t):.2f} s" for t in by_target
    ]
    summary = " ".join(document.find("p", **{"class": "summary"}).text.split())
    assert summary.startswith("6 passed 3 failed 1 skipped · 10 runs in 12.3 s")


def test_a_failure_shows_its_rule_and_the_first_diverging_chunk_expected_beside_got(
    page: str, results: list[CaseResult]
) -> None:
    document = parse(page)
    link = cells(document)["TextMismatch", "text"].find("a")
    section = document.find("section", id=link.attrs["href"].removeprefix("#"))
    assert section.find("h3").text == "TextMismatch · text"
    assert section.find("p", **{"class": "rules"}).text == "broke: text"
    [failed] = [r for r in results if r.target == BROKEN.label and row_of(r) == "text"]
    first = failed.divergence
    assert first is not None and first.index == 3  # the stop chunk came where text was due
    assert f"at chunk #3: text: {first.message}" in section.text
    assert section.find("td", **{"class": "expected"}).text == first.expected
    assert section.find("td", **{"class": "got"}).text == first.got
    assert first.expected and "Grüße" in first.expected and '"type": "stop"' in (first.got or "")
    sections = [s.find("h3").text for s in document.iter("section")]
    assert sections == [
        "TextMismatch · text",
        "TextMismatch · text · cassette",
        f"{HOSTILE_TARGET} · {HOSTILE_CASE}",
    ]
    replayed = document.find("section", id="failure-2").find("ul", **{"class": "also"})
    assert [li.text for li in replayed.iter("li")] == [
        "also text: [1-byte] the text stops after 10 of 27 characters",
        "also text: [random splits] the text stops after 10 of 27 characters",
    ]


def test_text_from_the_results_never_becomes_markup(page: str) -> None:
    document = parse(page)
    assert [e.tag for e in document.iter() if e.tag in ("script", "img", "i", "b")] == []
    section = document.find("section", id="failure-3")
    assert section.find("td", **{"class": "expected"}).text == HOSTILE_TEXT
    assert section.find("td", **{"class": "got"}).text == "</pre></td>"
    assert "a <i>message</i> & more" in section.text
    assert document.find("title").text == TITLE


def test_the_page_loads_nothing(page: str) -> None:
    document = parse(page)
    assert not re.search(r"https?://", page)
    loading = {"src", "srcset", "data", "style", "background"}
    assert not [e.tag for e in document.iter() if loading & e.attrs.keys()]
    [style] = [e.text for e in document.iter("style")]
    assert "@import" not in style and "url(" not in style
    tags = {e.tag for e in document.iter()}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed", "base"}
    hrefs = [e.attrs["href"] for e in document.iter("a")]
    assert len(hrefs) == 3 and all(h.startswith("#") for h in hrefs)


def test_the_cli_writes_the_page_beside_the_json(tmp_path: Path) -> None:
    html, report = tmp_path / "report.html", tmp_path / "report.json"
    args = ["conformance", "--provider", "openai", "--adapter", BROKEN.factory, "--case", "text"]
    args += ["--no-cassettes", "--json", str(report), "--html", str(html)]
    assert main(args) == 1
    document = parse(html.read_text(encoding="utf-8"))
    listed = json.loads(report.read_text(encoding="utf-8"))["results"]
    grid = cells(document)
    assert {key: td.attrs["class"] for key, td in grid.items()} == {
        ("openai", "text"): "pass",
        ("TextMismatch", "text"): "fail",
    }
    assert [r["status"] for r in listed] == ["pass", "fail"]
    violation = listed[1]["violations"][0]
    assert document.find("td", **{"class": "got"}).text == violation["got"]


# --- in a real browser ---------------------------------------------------------------------


def chromium(page: Path, profile: Path, shot: Path) -> str:
    """Render ``page`` headless: the screenshot to ``shot``; returns the DOM as rendered."""
    if not CHROMIUM.is_file() or not os.access(CHROMIUM, os.X_OK):
        missing(f"Chromium at {CHROMIUM}", "apt-get install -y chromium")
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=1280,900",
        "--hide-scrollbars",
        f"--screenshot={shot}",
        "--dump-dom",
        page.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def png_colours(data: bytes) -> Counter[tuple[int, int, int]]:
    """How many pixels of each RGB colour an 8-bit RGB or RGBA, non-interlaced PNG holds."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, compressed = 8, bytearray()
    width = height = channels = 0
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        body = data[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and interlace == 0, "an unexpected PNG form"
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            compressed += body
    raw = zlib.decompress(bytes(compressed))
    stride = width * channels
    previous = bytearray(stride)
    counts: Counter[tuple[int, int, int]] = Counter()
    for y in range(height):
        start = y * (stride + 1)
        line = bytearray(raw[start + 1 : start + 1 + stride])
        line = _unfilter(raw[start], line, previous, channels)
        counts.update(zip(line[0::channels], line[1::channels], line[2::channels], strict=True))
        previous = line
    return counts


def _unfilter(kind: int, line: bytearray, above: bytearray, step: int) -> bytearray:
    """Undo one scanline's PNG filter (None, Sub, Up, Average, Paeth)."""
    if kind == 2:
        return bytearray((a + b) & 255 for a, b in zip(line, above, strict=True))
    for i in range(len(line) if kind else 0):
        left = line[i - step] if i >= step else 0
        if kind == 1:
            line[i] = (line[i] + left) & 255
        elif kind == 3:
            line[i] = (line[i] + ((left + above[i]) >> 1)) & 255
        else:
            line[i] = (line[i] + _paeth(left, above[i], above[i - step] if i >= step else 0)) & 255
    return line


def _paeth(left: int, up: int, corner: int) -> int:
    guess = left + up - corner
    to_left, to_up, to_corner = abs(guess - left), abs(guess - up), abs(guess - corner)
    if to_left <= to_up and to_left <= to_corner:
        return left
    return up if to_up <= to_corner else corner


def test_chromium_renders_the_matrix_in_colour(tmp_path: Path, results: list[CaseResult]) -> None:
    report, shot = tmp_path / "report.html", tmp_path / "shot.png"
    report.write_text(to_html(results, 12.3), encoding="utf-8")
    dom = chromium(report, tmp_path / "profile", shot)
    rendered = parse(dom)
    assert_matrix(rendered, results)
    assert rendered.find("title").text == TITLE  # the hostile <script> never ran
    assert not [e for e in rendered.iter() if e.tag in ("script", "img")]
    first = next(r.divergence for r in results if r.divergence is not None)
    assert rendered.find("td", **{"class": "expected"}).text == first.expected
    assert shot.is_file(), "no screenshot"
    colours = png_colours(shot.read_bytes())
    assert len(colours) > 50, f"a blank page: {len(colours)} colours"
    # cell backgrounds: light tints leaning to green (pass) or red (fail), several cells' worth
    green = sum(
        n for (r, g, b), n in colours.items() if min(r, g, b) >= 180 and g - max(r, b) >= 20
    )
    red = sum(n for (r, g, b), n in colours.items() if min(r, g, b) >= 180 and r - max(g, b) >= 20)
    assert green > 5000 and red > 5000, f"cells not coloured by outcome: {green=} {red=}"

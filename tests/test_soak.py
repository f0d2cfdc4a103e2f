"""The soak in CI (about 20 s here, marked ``soak``: ``-m "not soak"`` leaves it out): a fixed
seed, both wire formats, every fault the ``FaultServer`` can play, rude consumers. Every count
must be 0; a failure prints the report with the first streams that went wrong. The long run is
``python -m rillet.testing.soak --streams 100000 --seed N``."""

from __future__ import annotations

import json
import re

import pytest

from rillet.testing import soak as soak_module
from rillet.testing._soak_plan import CONSUMERS, Plan
from rillet.testing.soak import COUNTERS, main, soak

pytestmark = pytest.mark.soak

FAULTS = {
    "no fault",
    "truncate",
    "reset",
    "stall",
    "corrupt",
    "body ends early",
    "stall before the headers",
    "stall before the first byte",
    "100 KB header",
    "gzip header on a plain body",
    "a 200 html page",
    "status 429",
    "status 500",
    "status 503",
    "status 529",
    "status 400",
    "status 401",
    "status 403",
    "status 404",
    "status 503, x-should-retry: false",
    "status 400, x-should-retry: true",
}


async def test_the_soak_counts_nothing_wrong() -> None:
    report = await soak(streams=5000, seed=14, concurrency=50)
    assert report.streams == 5000
    counts = {name: report.counts[name] for name in COUNTERS}
    assert counts == dict.fromkeys(COUNTERS, 0), report.table()
    assert set(report.faults) >= FAULTS, FAULTS - set(report.faults)
    assert set(report.consumers) == set(CONSUMERS)


def test_the_command_line_prints_the_counts_and_fails_on_any(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--streams", "40", "--seed", "3", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["streams"] == 40 and printed["counts"] == dict.fromkeys(COUNTERS, 0)

    def every_stream_wrong(plan: Plan, outcome: object) -> list[tuple[str, str]]:
        return [("wrong partials", "planted")]

    monkeypatch.setattr(soak_module, "_problems", every_stream_wrong)
    assert main(["--streams", "20", "--seed", "3"]) == 1
    table = capsys.readouterr().out
    assert re.search(r"wrong partials +20\n", table) and "FAILED" in table

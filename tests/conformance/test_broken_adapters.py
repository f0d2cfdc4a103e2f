"""Each rule of the catalogue is able to fail: an adapter broken in one way fails that rule,
and only that rule, when the whole catalogue runs against it."""

from __future__ import annotations

from pathlib import Path

import pytest

from rillet.conformance.catalogue import CASES, select
from rillet.conformance.pool import run_targets
from rillet.conformance.properties import RULES
from rillet.conformance.replay import replayer
from rillet.conformance.runner import CaseResult, Target, run_target

from .broken_adapters import BROKEN, AssumesWholeEvents, BatchesDropStart, Broken, StreamUnused

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"


def target(adapter: type[object]) -> Target:
    return Target(adapter.__name__, f"{adapter.__module__}:{adapter.__qualname__}", "openai")


@pytest.fixture(scope="module")
def results() -> dict[str, list[CaseResult]]:
    """The single-turn catalogue against every broken adapter, on the emulator (two
    processes); the multi-turn rules have their own broken adapters (test_multiturn.py)."""
    names = [case.name for case in CASES if case.conversation is None]
    by_adapter: dict[str, list[CaseResult]] = {}
    for result in run_targets([target(a) for a in BROKEN], names, jobs=2):
        by_adapter.setdefault(result.target, []).append(result)
    return by_adapter


def test_every_rule_has_a_broken_adapter() -> None:
    assert {adapter.breaks for adapter in BROKEN} == set(RULES)


@pytest.mark.parametrize("adapter", BROKEN, ids=[a.__name__ for a in BROKEN])
def test_the_broken_rule_and_only_it_fails(
    results: dict[str, list[CaseResult]], adapter: type[Broken]
) -> None:
    mine = results[adapter.__name__]
    failed = {rule for result in mine for rule in result.rules_failed}
    assert failed == {adapter.breaks}, [
        (r.case, v) for r in mine for v in r.violations if v.rule != adapter.breaks
    ]
    for result in mine:
        if result.status == "fail":
            assert result.divergence is not None and result.divergence.rule == adapter.breaks


async def test_a_framing_bug_shows_only_in_the_split_replays() -> None:
    """vcrpy hands the body back whole, so only the 1-byte and random-split replays of a
    cassette catch an adapter that takes each network read for whole events."""
    [text] = select(["text"])
    [result] = await replayer(CASSETTES)(text, target(AssumesWholeEvents))
    assert result.status == "fail" and "replay_identical" in result.rules_failed
    assert not any(v.message.startswith("[whole]") for v in result.violations)
    assert any(v.message.startswith("[1-byte]") for v in result.violations)


async def test_the_suite_judges_the_method_llmclient_calls() -> None:
    """Users stream through ``stream_batches`` (``LLMClient`` calls nothing else): an adapter
    whose batches are wrong fails though its ``stream`` is right, and one whose ``stream`` is
    broken passes."""
    cases = select(["text", "tool-call"])
    wrong_batches = await run_target(target(BatchesDropStart), cases)
    assert [r.rules_failed for r in wrong_batches] == [["start_first"], ["start_first"]]
    unused_stream = await run_target(target(StreamUnused), cases)
    assert [r.status for r in unused_stream] == ["pass", "pass"]

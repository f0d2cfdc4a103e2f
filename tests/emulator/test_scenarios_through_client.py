"""Every built-in scenario, in every wire format, through the whole client.

The bytes arrive whole, a byte at a time and cut at random places: the response (or the typed
error and its ``partial``) must be the scenario's each time, and the same each time.
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import pytest

from rillet import LLMClient, LLMResponse, RilletError, Timeout
from rillet.emulator import BUILTIN_SCENARIOS, Emulator, Scenario, StreamError, render

from ._expect import CLIENTS, ERROR_CLASSES, assert_response, comparable, expected

_CLIENT_IDS = [wire for _, _, wire in CLIENTS]
_MODES = ("whole", "drip", "random")
# Bodies that differ from text-plain's only in a finish reason, the usage or the statuses before
# them: dripping them again adds nothing but seconds. A 1 MB event dripped takes a minute.
_NO_DRIP = frozenset(
    {
        "finish-length",
        "finish-content-filter",
        "finish-other",
        "finish-error",
        "no-usage",
        "retry-529",
        "retry-429-503",
        "huge-event",
    }
)


def _modes(scenario: Scenario) -> tuple[str, ...]:
    return ("whole", "random") if scenario.name in _NO_DRIP else _MODES


def _variant(scenario: Scenario, wire: str, mode: str) -> Scenario:
    """``scenario`` written whole, a byte at a time, or cut at 40 random places."""
    chunks: Any = mode
    if mode == "random":
        size = len(render(wire, scenario)[1])
        rng = random.Random(f"{scenario.name}:{wire}")
        chunks = tuple(sorted(rng.sample(range(1, size), min(size - 1, 40))))
    return replace(scenario, faults=replace(scenario.faults, chunks=chunks))


async def _outcome(
    emulator: Emulator, provider: str, options: dict[str, Any], model: str
) -> LLMResponse | RilletError:
    async with LLMClient(
        provider=provider,
        base_url=emulator.base_url(provider),
        api_key=emulator.api_key,
        model=model,
        options=options,
        timeout=Timeout(connect=2.0, idle=0.2),
        max_retries=2,
    ) as client:
        try:
            return await client.call("Hello")
        except RilletError as error:
            return error


@pytest.mark.parametrize(("provider", "options", "wire"), CLIENTS, ids=_CLIENT_IDS)
@pytest.mark.parametrize("scenario", BUILTIN_SCENARIOS, ids=lambda s: s.name)
async def test_builtin_scenario(
    no_leaks: None, scenario: Scenario, provider: str, options: dict[str, Any], wire: str
) -> None:
    want = expected(wire, scenario)
    got: list[dict[str, Any] | None] = []
    async with Emulator(builtins=False) as emulator:
        for mode in _modes(scenario):
            emulator.add(_variant(scenario, wire, mode))  # same name: the model stays the same
            outcome = await _outcome(emulator, provider, options, scenario.name)
            if want.error is None:
                assert isinstance(outcome, LLMResponse), f"{mode}: {outcome!r}"
                assert_response(outcome, wire, scenario)
                got.append(comparable(outcome, wire))
            else:
                assert isinstance(outcome, want.error), f"{mode}: {outcome!r}"
                assert outcome.partial is not None
                assert outcome.partial.text == want.partial_text
                got.append(comparable(outcome.partial, wire))
        await emulator.wait_finished(timeout=3.0)
    assert all(item == got[0] for item in got[1:])


_KINDS = list(ERROR_CLASSES)
_GAPS: dict[tuple[str, str], str] = {}


def _error_params() -> list[Any]:
    params = []
    for provider, options, wire in CLIENTS:
        for kind in _KINDS:
            gap = _GAPS.get((wire, kind))
            marks = [pytest.mark.xfail(strict=True, reason=gap)] if gap else []
            params.append(
                pytest.param(provider, options, wire, kind, marks=marks, id=f"{wire}-{kind}")
            )
    return params


@pytest.mark.parametrize(("provider", "options", "wire", "kind"), _error_params())
async def test_in_stream_error_kinds(
    no_leaks: None, provider: str, options: dict[str, Any], wire: str, kind: Any
) -> None:
    scenario = Scenario(
        f"in-stream-{kind}", text=("a ", "b ", "c"), error=StreamError(kind, after_events=1)
    )
    async with Emulator([scenario], builtins=False) as emulator:
        outcome = await _outcome(emulator, provider, options, scenario.name)
    assert isinstance(outcome, RilletError)
    assert outcome.partial is not None and outcome.partial.text == "a "
    assert type(outcome) is ERROR_CLASSES[kind], repr(outcome)

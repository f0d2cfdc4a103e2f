"""The multi-turn family: the agent loop over the emulator, every request of every turn judged.

Every built-in target passes it (``test_builtin_providers.py`` runs the whole catalogue); here,
each multi-turn rule fails for an adapter whose bodies break it, and only that rule, and the
requests the family sends are the ones it claims to check.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rillet.conformance.catalogue import CASES, select
from rillet.conformance.conversations import CONVERSATION_CASES
from rillet.conformance.history import HISTORY_RULES
from rillet.conformance.replay import recorder, replayer
from rillet.conformance.runner import BUILTIN_TARGETS, EMULATOR_KEY, Target, run_case
from rillet.emulator import Emulator

from .broken_requests import BROKEN_REQUESTS


def _target(adapter: type[Any]) -> Target:
    factory = f"{adapter.__module__}:{adapter.__qualname__}"
    return Target(adapter.__name__, factory, adapter.conformance_wire)


def test_the_family_is_in_the_catalogue_and_covers_every_rule() -> None:
    assert all(any(case is known for known in CASES) for case in CONVERSATION_CASES)
    assert [case.name for case in select(["multi-turn*"])] == [
        case.name for case in CONVERSATION_CASES
    ]
    assert {adapter.breaks for adapter in BROKEN_REQUESTS} == set(HISTORY_RULES)


@pytest.mark.parametrize("adapter", BROKEN_REQUESTS, ids=[a.__name__ for a in BROKEN_REQUESTS])
async def test_a_broken_body_fails_its_rule_and_only_it(adapter: type[Any]) -> None:
    [case] = select([adapter.case])
    async with Emulator(api_key=EMULATOR_KEY, builtins=False) as emulator:
        result = await run_case(case, _target(adapter), emulator)
    assert result.status == "fail"
    assert result.rules_failed == [adapter.breaks], result.violations


async def test_every_turn_of_the_reasoning_case_goes_to_the_emulator() -> None:
    [case] = select(["multi-turn-reasoning"])
    [anthropic] = [t for t in BUILTIN_TARGETS if t.label == "anthropic"]
    async with Emulator(api_key=EMULATOR_KEY, builtins=False) as emulator:
        result = await run_case(case, anthropic, emulator)
        bodies = [json.loads(request.body) for request in emulator.requests]
    assert result.status == "pass", result.violations
    assert [len(body["messages"]) for body in bodies] == [1, 3, 5]
    last_turn = bodies[2]["messages"][3]["content"]
    assert last_turn[0] == {
        "type": "thinking",
        "thinking": "Now the French word.",
        "signature": "c2lnLXR1cm4tMg==",
    }
    assert all(body["system"] == case.conversation.system for body in bodies)  # type: ignore[union-attr]


async def test_a_failed_tool_goes_back_as_an_error_result() -> None:
    [case] = select(["multi-turn-failed-tool"])
    [anthropic] = [t for t in BUILTIN_TARGETS if t.label == "anthropic"]
    async with Emulator(api_key=EMULATOR_KEY, builtins=False) as emulator:
        result = await run_case(case, anthropic, emulator)
        second = json.loads(emulator.requests[1].body)
    assert result.status == "pass", result.violations
    [block] = second["messages"][-1]["content"]
    assert block["type"] == "tool_result" and block["is_error"] is True
    assert "the dictionary service is down" in block["content"]


async def test_a_cassette_replay_judges_the_requests_the_adapter_sends(tmp_path: Path) -> None:
    """Replayed from the recorded turns, a body that drops the stop sequences still fails."""
    [case] = select(["multi-turn-stop"])
    [openai] = [t for t in BUILTIN_TARGETS if t.label == "openai"]
    async with Emulator(api_key=EMULATOR_KEY, builtins=False) as emulator:
        await run_case(case, openai, emulator, recorder=recorder(tmp_path))
    [drops_stop] = [a for a in BROKEN_REQUESTS if a.__name__ == "DropsStop"]
    replay = replayer(tmp_path)
    [passing] = await replay(case, openai)
    [failing] = await replay(case, _target(drops_stop))
    assert passing.source == "cassette" and passing.status == "pass", passing.violations
    assert failing.rules_failed == ["settings_sent"]
    assert {v.message.split("]")[0] for v in failing.violations} == {"[1-byte", "[random splits"}

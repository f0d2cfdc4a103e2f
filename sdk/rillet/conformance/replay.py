"""Cassettes: recorded from the emulator, replayed whole and again at hostile splits.

vcrpy hands a replayed body back in one piece, which hides every framing bug, so each cassette
is replayed three times: by vcrpy (whole), then its bytes through a fault server one byte at a
time and at random splits (a seeded generator: the same seed, the same splits). Each replay must
pass the case's rules, and all three must produce the same chunks and the same outcome.
"""

from __future__ import annotations

import dataclasses
import random
import re
from collections.abc import Collection, Sequence
from contextlib import AbstractContextManager
from pathlib import Path

from rillet.conformance.cases import Case
from rillet.conformance.cassettes import (
    CONFORMANCE_MATCH_ON,
    Interaction,
    interactions,
    recording,
    replaying,
)
from rillet.conformance.conversation import Conversation
from rillet.conformance.live import LIVE_MATCH_ON, LIVE_RULES
from rillet.conformance.multiturn import converse
from rillet.conformance.observation import Observation, RequestSeen, Violation, describe
from rillet.conformance.properties import check
from rillet.conformance.runner import (
    EMULATOR_KEY,
    CaseResult,
    Recorder,
    Replayer,
    Target,
    observe,
)
from rillet.testing.fault_server import FaultServer, Reply

__all__ = ["EMULATOR_ORIGIN", "cassette_path", "fingerprint", "recorder", "replayer", "splits"]

EMULATOR_ORIGIN = "http://emulator.invalid"
"""The origin written into emulator cassettes in place of ``127.0.0.1:<port>``."""
_NOWHERE = "http://127.0.0.1:9"
"""Where vcrpy replays point: nothing listens there, so a request it misses fails at once."""
DRIP_LIMIT = 8 * 1024
"""Bodies up to this size drip a byte at a time; in larger ones only the first and last
``DRIP_EDGE`` bytes do, and the middle is cut every 1021 bytes."""
DRIP_EDGE = 2 * 1024
MODES = ("1-byte", "random splits")
_GENERATED_ID = re.compile(r"call_[0-9a-f]{24}")


def cassette_path(root: Path, target: Target, case: Case) -> Path:
    """``<root>/<wire>/<case>.yaml``: one wire's cassettes serve every adapter speaking it."""
    return root / target.wire / f"{case.name}.yaml"


def base_url(origin: str, wire: str) -> str:
    return f"{origin}/v1" if wire.startswith("openai") else origin


def recorder(root: Path) -> Recorder:
    """Records each run into its cassette, the emulator's address and keys scrubbed."""

    def record(case: Case, target: Target) -> AbstractContextManager[object]:
        secrets = [EMULATOR_KEY, case.api_key or ""]
        path = cassette_path(root, target, case)
        return recording(
            path,
            secrets=secrets,
            origin=EMULATOR_ORIGIN,
            match_on=CONFORMANCE_MATCH_ON,
            drop=("date", "server"),
        )

    return record


def replayer(root: Path, seed: int = 0) -> Replayer:
    """Replays each case's cassette (a skip when there is none), then its live cassette, if
    ``<root>/live`` holds one (recorded by ``--record --live``)."""

    async def replay(case: Case, target: Target) -> list[CaseResult]:
        path = cassette_path(root, target, case)
        if not path.exists():
            reason = f"no {path}"
            results = [CaseResult(target.label, case.name, "skip", 0.0, "cassette", reason=reason)]
        else:
            results = [await replay_cassette(case, target, path, seed)]
        live = cassette_path(root / "live", target, case)
        if live.exists():
            results.append(
                await replay_cassette(
                    case,
                    target,
                    live,
                    seed,
                    source="live",
                    match_on=LIVE_MATCH_ON,
                    rules=LIVE_RULES,
                )
            )
        return results

    return replay


def splits(size: int, mode: str, rng: random.Random) -> tuple[int, ...]:
    """Where to cut a body of ``size`` bytes: ``1-byte`` or ``random splits``."""
    if size <= 1:
        return ()
    if mode == "1-byte":
        if size <= DRIP_LIMIT:
            return tuple(range(1, size))
        middle = range(DRIP_EDGE, size - DRIP_EDGE, 1021)
        return (*range(1, DRIP_EDGE), *middle, *range(size - DRIP_EDGE, size))
    count = min(size - 1, max(1, size // 16))
    return tuple(sorted(rng.sample(range(1, size), count)))


def _reply(exchange: Interaction, mode: str, rng: random.Random) -> Reply:
    return Reply(
        status=exchange.status,
        body=exchange.body,
        content_type=exchange.content_type,
        headers=dict(exchange.headers),
        chunks=splits(len(exchange.body), mode, rng),
    )


async def replay_cassette(
    case: Case,
    target: Target,
    path: Path,
    seed: int = 0,
    *,
    source: str = "cassette",
    match_on: Sequence[str] = CONFORMANCE_MATCH_ON,
    rules: Collection[str] | None = None,
) -> CaseResult:
    """The three replays of one cassette, judged together (by ``rules`` only, if given)."""
    if case.conversation is not None:
        return await _replay_conversation(case, case.conversation, target, path, seed)
    runs: dict[str, Observation] = {}
    with replaying(path, match_on=match_on) as cassette:
        whole = await observe(
            case, target, base_url=base_url(_NOWHERE, target.wire), api_key=EMULATOR_KEY
        )
        whole.requests = [RequestSeen("", disconnected=False)] * cassette.play_count
    runs["whole"] = whole
    recorded = interactions(path)
    rng = random.Random(f"{seed}:{target.wire}:{case.name}")
    for mode in MODES:
        async with FaultServer() as server:
            server.script(*[_reply(exchange, mode, rng) for exchange in recorded])
            runs[mode] = await observe(
                case,
                target,
                base_url=base_url(server.url, target.wire),
                api_key=EMULATOR_KEY,
                server=server,
            )
    expectation = case.expect(target.wire)
    violations: list[Violation] = []
    for mode, seen in runs.items():
        found = [v for v in check(expectation, seen) if rules is None or v.rule in rules]
        violations += [dataclasses.replace(v, message=f"[{mode}] {v.message}") for v in found]
    for mode in MODES:
        violations += _differences(mode, fingerprint(whole), fingerprint(runs[mode]))
    seconds = sum(seen.seconds for seen in runs.values())
    return CaseResult.judged(target, case, whole, violations, source=source, seconds=seconds)


async def _replay_conversation(
    case: Case, conversation: Conversation, target: Target, path: Path, seed: int
) -> CaseResult:
    """A multi-turn cassette's three replays: the agent loop runs again over the recorded
    replies (one per turn, in order); the split replays are judged by the multi-turn rules on
    the requests the fault server saw, and all three must give the same chunks."""
    options = dict(target.options)
    with replaying(path, match_on=CONFORMANCE_MATCH_ON):
        whole, _ = await converse(
            conversation,
            target.wire,
            target.factory,
            options,
            base_url=base_url(_NOWHERE, target.wire),
            api_key=EMULATOR_KEY,
            server=None,
            key_option=target.key_option,
        )
    violations: list[Violation] = []
    if whole.error is not None:
        message = f"[whole] the run raised {type(whole.error).__name__}: {whole.error}"
        violations.append(Violation("request_valid", message))
    recorded = interactions(path)
    rng = random.Random(f"{seed}:{target.wire}:{case.name}")
    seconds = whole.seconds
    for mode in MODES:
        async with FaultServer() as server:
            server.script(*[_reply(exchange, mode, rng) for exchange in recorded])
            seen, found = await converse(
                conversation,
                target.wire,
                target.factory,
                options,
                base_url=base_url(server.url, target.wire),
                api_key=EMULATOR_KEY,
                server=server,
                key_option=target.key_option,
            )
        seconds += seen.seconds
        violations += [dataclasses.replace(v, message=f"[{mode}] {v.message}") for v in found]
        violations += _differences(mode, fingerprint(whole), fingerprint(seen))
    return CaseResult.judged(target, case, whole, violations, source="cassette", seconds=seconds)


def fingerprint(seen: Observation) -> list[str]:
    """A run's chunks and outcome, one line each, ids rillet makes up masked."""
    lines = [_GENERATED_ID.sub("call_<generated>", describe(chunk)) for chunk in seen.chunks]
    error = seen.error
    lines.append(f"raised {type(error).__name__}" if error is not None else "raised nothing")
    partial = getattr(error, "partial", None)
    if partial is not None:
        lines.append(f"partial text {partial.text!r}")
    return lines


def _differences(mode: str, whole: list[str], other: list[str]) -> list[Violation]:
    for index, (want, got) in enumerate(zip(whole, other, strict=False)):
        if want != got:
            message = f"the {mode} replay differs from the whole-body replay"
            return [Violation("replay_identical", message, index, want, got)]
    if len(whole) != len(other):
        index = min(len(whole), len(other))
        want = whole[index] if index < len(whole) else "end"
        got = other[index] if index < len(other) else "end"
        message = f"the {mode} replay has {len(other)} lines, the whole-body replay {len(whole)}"
        return [Violation("replay_identical", message, index, want, got)]
    return []

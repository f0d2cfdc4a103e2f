"""Runs conformance cases against an adapter and the emulator, and judges each run.

    results = await run_target(BUILTIN_TARGETS[0], CASES)

A ``Target`` names the adapter (a built-in provider, an entry-point name, or ``module:Class``)
and the wire format it speaks. Each case gets a fresh adapter behind a tap that records every
chunk the adapter yields (even after its terminal chunk, which the client would hide) and what
it raises; the consumer reads through ``LLMClient.stream`` as a user would, so the adapter is
driven by the very calls a user's client makes.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import (
    Awaitable,
    Callable,
    Collection,
    Mapping,
    Sequence,
)
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from rillet._exceptions import ConfigurationError, OutputValidationError
from rillet.client import LLMClient
from rillet.conformance.cases import Case
from rillet.conformance.expectation import ExpectedOutput
from rillet.conformance.multiturn import converse, with_key
from rillet.conformance.observation import Observation, RequestSeen, Violation, first_divergence
from rillet.conformance.properties import TIMEOUT_SLACK, check
from rillet.conformance.signing import EMULATOR_KEY, adapter_auth
from rillet.conformance.tap import Tap
from rillet.emulator import WIRES, Emulator, RecordedRequest
from rillet.protocol import ToolDefinition
from rillet.registry import AdapterConfig, create_adapter, load_adapter_factory

__all__ = [
    "BUILTIN_TARGETS",
    "EMULATOR_KEY",
    "CaseResult",
    "Recorder",
    "Replayer",
    "Status",
    "Target",
    "evaluate",
    "observe",
    "resolve_targets",
    "run_case",
    "run_suite",
    "run_target",
]

PROMPT = "Say hello, then answer with what the scenario says."
SETTLE = 1.0
"""Seconds to wait, after a run, for the emulator's replies to end."""

Status = Literal["pass", "fail", "skip"]


@dataclass(frozen=True)
class Target:
    """An adapter under test and the wire format it speaks."""

    label: str
    """How reports and cassette folders name it."""
    factory: str
    """A provider name or ``module:Class``, as ``create_adapter`` takes it."""
    wire: str
    options: Mapping[str, Any] = field(default_factory=dict)
    """``AdapterConfig.options`` (Gemini's JSON-array form: ``{"sse": False}``)."""
    key_option: str | None = None
    """The option the emulator's key goes in instead of ``api_key`` (Vertex AI's bearer
    ``access_token``)."""


_VERTEX_PLACE = {"project": "rillet-conformance", "location": "us-central1"}

BUILTIN_TARGETS: tuple[Target, ...] = (
    Target("openai", "openai", "openai"),
    Target("openai-responses", "openai-responses", "openai-responses"),
    Target("anthropic", "anthropic", "anthropic"),
    Target("gemini", "gemini", "gemini"),
    Target("gemini-json", "gemini", "gemini-json", {"sse": False}),
    # The cloud platforms, one target per wire (a wire's cassettes are matched on the path):
    # express mode and Azure's deployments paths are tested beside their adapters.
    Target("vertex", "vertex", "vertex", _VERTEX_PLACE, key_option="access_token"),
    Target(
        "vertex-anthropic",
        "vertex-anthropic",
        "vertex-anthropic",
        {**_VERTEX_PLACE, "location": "us-east5"},
        key_option="access_token",
    ),
    Target("azure", "azure", "azure"),
    Target("azure-responses", "azure-responses", "azure-responses"),
    Target("bedrock", "bedrock", "bedrock", {"region": "us-east-1"}),
)


def resolve_targets(
    providers: Sequence[str] = (), adapter: str | None = None, wire: str | None = None
) -> list[Target]:
    """The targets named on the command line; every built-in one when none is named.

    A built-in provider name selects its targets (``gemini``: both Gemini wires); any other
    name is looked up among the ``rillet.adapters`` entry points. Those and ``adapter``
    (``module:Class``) speak ``wire``, by default the class's ``conformance_wire``.
    """
    targets: list[Target] = []
    for name in providers:
        builtin = [t for t in BUILTIN_TARGETS if name in (t.label, t.factory)]
        targets += builtin or [Target(name, name, _wire_of(name, wire))]
    if adapter is not None:
        label = adapter.rpartition(":")[2] or adapter
        targets.append(Target(label, adapter, _wire_of(adapter, wire)))
    return targets if targets or providers or adapter else list(BUILTIN_TARGETS)


def _wire_of(factory: str, wire: str | None) -> str:
    found = (
        wire
        if wire is not None
        else getattr(load_adapter_factory(factory), "conformance_wire", None)
    )
    if found not in WIRES:
        said = "has no conformance_wire attribute" if found is None else f"speaks {found!r}"
        raise ConfigurationError(
            f"{factory!r} {said}: say which wire format it speaks with --wire ({', '.join(WIRES)})"
        )
    return str(found)


@dataclass
class CaseResult:
    """The verdict on one case for one target."""

    target: str
    case: str
    status: Status
    seconds: float
    source: str = "emulator"
    """Where the bytes came from: ``emulator``, ``cassette`` (whole, 1-byte, random splits) or
    ``live`` (a cassette recorded from the real API)."""
    violations: list[Violation] = field(default_factory=list)
    reason: str = ""
    """Why the case was skipped."""
    divergence: Violation | None = None
    """The violation at the earliest chunk: what a report shows first."""
    observation: Observation | None = field(default=None, repr=False, compare=False)
    """The run itself (dropped when the result crosses processes)."""

    @classmethod
    def judged(
        cls,
        target: Target,
        case: Case,
        seen: Observation,
        violations: list[Violation],
        *,
        source: str = "emulator",
        seconds: float | None = None,
    ) -> CaseResult:
        status: Status = "fail" if violations else "pass"
        first = first_divergence(violations, seen.chunks)
        took = seen.seconds if seconds is None else seconds
        return cls(target.label, case.name, status, took, source, violations, "", first, seen)

    @property
    def rules_failed(self) -> list[str]:
        return sorted({v.rule for v in self.violations})


class _Server(Protocol):
    """The emulator, or a fault server replaying a cassette."""

    @property
    def requests(self) -> list[RecordedRequest]: ...

    async def wait_finished(self, count: int | None = None, timeout: float = 2.0) -> None: ...


def _tools(case: Case) -> list[ToolDefinition]:
    hidden = case.output.tool if case.output is not None else None  # the client adds it
    names = dict.fromkeys(spec.name for spec in case.scenario.tool_calls if spec.name != hidden)
    return [ToolDefinition(name=name, description=f"the {name} tool") for name in names]


async def _consume(
    client: LLMClient,
    case: Case,
    seen: Observation,
    prompt: str,
    tools: Sequence[ToolDefinition],
) -> None:
    stream = None
    try:
        if case.output is not None:
            await _consume_output(client, case.output, seen, prompt, tools)
            return
        stream = client.stream(prompt, tools=tools, max_tokens=256)
        async with stream:
            count = 0
            async for _ in stream:
                count += 1
                if case.cancel_after is not None and count >= case.cancel_after:
                    seen.cancelled = True
                    break
    except Exception as error:
        seen.error = error
    finally:
        if stream is not None:
            seen.response = stream.response


async def _consume_output(
    client: LLMClient,
    output: ExpectedOutput,
    seen: Observation,
    prompt: str,
    tools: Sequence[ToolDefinition],
) -> None:
    """Read a structured-output stream as its field events, then its validated value (what
    it raises is the consumer's error)."""
    target: Any = output.target
    stream = client.stream(
        prompt, tools=tools, max_tokens=256, output=target, output_mode=output.mode
    )
    try:
        async with stream:
            try:
                async for event in stream.output_events():
                    seen.output_events.append(event)
            except OutputValidationError:
                pass  # not JSON: the final value, read below, says so with the whole text
            seen.output = (await stream.get_response()).output
    finally:
        seen.response = stream.response


async def observe(
    case: Case,
    target: Target,
    *,
    base_url: str | None,
    api_key: str | None,
    server: _Server | None = None,
    prompt: str = PROMPT,
    tools: Sequence[ToolDefinition] | None = None,
) -> Observation:
    """Run ``case`` once through ``target``'s adapter against ``base_url`` (None: the
    provider's own); ``server`` tells which requests reached it and how they ended."""
    seen = Observation()
    before = len(server.requests) if server is not None else 0
    key, options = with_key(api_key, target.options, target.key_option)
    key, options = adapter_auth(target.wire, options, key)
    config = AdapterConfig(
        model=case.request_model,
        api_key=key,
        base_url=base_url,
        timeout=case.timeout,
        max_retries=case.max_retries,
        options=options,
    )
    guard = (case.timeout.idle or 5.0) + TIMEOUT_SLACK + 0.5
    started = time.perf_counter()
    try:
        adapter = create_adapter(target.factory, config)
    except Exception as error:  # a broken factory fails the case, not the whole run
        seen.error = error
        return seen
    client = LLMClient(Tap(adapter, seen), model=case.request_model)
    try:
        chosen = _tools(case) if tools is None else tools
        await asyncio.wait_for(_consume(client, case, seen, prompt, chosen), guard)
    except asyncio.TimeoutError:
        seen.hung = True
    finally:
        seen.seconds = time.perf_counter() - started
        if server is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await server.wait_finished(timeout=SETTLE)
            seen.requests = [_seen(record) for record in server.requests[before:]]
        await client.aclose()
    return seen


def _seen(record: RecordedRequest) -> RequestSeen:
    reply = record.reply
    return RequestSeen(
        record.path, record.disconnected, record.finished.is_set(), reply.status, reply.headers
    )


def evaluate(
    case: Case,
    target: Target,
    seen: Observation,
    *,
    source: str = "emulator",
    rules: Collection[str] | None = None,
) -> CaseResult:
    """Judge one run by every rule (or by ``rules`` only)."""
    violations = check(case.expect(target.wire), seen)
    if rules is not None:
        violations = [v for v in violations if v.rule in rules]
    return CaseResult.judged(target, case, seen, violations, source=source)


Recorder = Callable[[Case, Target], contextlib.AbstractContextManager[object]]
"""Gives the context (a vcrpy cassette) a run records in."""
Replayer = Callable[[Case, Target], Awaitable["list[CaseResult]"]]
"""Replays a case's cassettes: a result for each (a skip when there is none)."""


async def run_case(
    case: Case,
    target: Target,
    emulator: Emulator,
    *,
    recorder: Recorder | None = None,
) -> CaseResult:
    """Run ``case`` on the emulator (recording its cassette through ``recorder``, when the case
    is recordable: vcrpy reads a body whole before the client sees it)."""
    if not case.applies_to(target.wire):
        return CaseResult(target.label, case.name, "skip", 0.0, reason=f"not for {target.wire}")
    recording: contextlib.AbstractContextManager[object] = contextlib.nullcontext()
    if recorder is not None and case.cassette:
        recording = recorder(case, target)
    if case.conversation is not None:
        with recording:
            seen, violations = await converse(
                case.conversation,
                target.wire,
                target.factory,
                dict(target.options),
                base_url=emulator.base_url(target.wire),
                api_key=case.api_key or EMULATOR_KEY,
                server=emulator,
                emulator=emulator,
                key_option=target.key_option,
            )
        return CaseResult.judged(target, case, seen, violations)
    emulator.reset()  # request ids and status sequences start afresh: cassettes stay the same
    emulator.add(case.scenario_for(target.wire))
    with recording:
        seen = await observe(
            case,
            target,
            base_url=emulator.base_url(target.wire),
            api_key=case.api_key or EMULATOR_KEY,
            server=emulator,
        )
    return evaluate(case, target, seen)


async def run_target(
    target: Target,
    cases: Sequence[Case],
    *,
    replay: Replayer | None = None,
    recorder: Recorder | None = None,
    on_result: Callable[[CaseResult], None] | None = None,
) -> list[CaseResult]:
    """Every case on one emulator, each followed by its cassette replay when ``replay`` is given."""
    results: list[CaseResult] = []

    def emit(result: CaseResult) -> None:
        results.append(result)
        if on_result is not None:
            on_result(result)

    async with Emulator(api_key=EMULATOR_KEY, builtins=False) as emulator:
        for case in cases:
            emit(await run_case(case, target, emulator, recorder=recorder))
            if replay is not None and case.cassette and case.applies_to(target.wire):
                for replayed in await replay(case, target):
                    emit(replayed)
    return results


async def run_suite(
    targets: Sequence[Target],
    cases: Sequence[Case],
    *,
    replay: Replayer | None = None,
    recorder: Recorder | None = None,
    on_result: Callable[[CaseResult], None] | None = None,
) -> list[CaseResult]:
    """Every case for every target, one target after the other."""
    results: list[CaseResult] = []
    for target in targets:
        results += await run_target(
            target, cases, replay=replay, recorder=recorder, on_result=on_result
        )
    return results

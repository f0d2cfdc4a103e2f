"""A conformance case: a scenario the emulator plays, how the client calls, what must come out.

A case is provider-neutral. ``Case.scenario_for(wire)`` places byte-level faults for one wire
(a reset *at* a given text, wherever that wire renders it) and ``Case.expect(wire)`` resolves
what the adapter must produce there: the scenario's response with that wire's raw finish
reason, or the typed error and the partial response that must survive it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from rillet._exceptions import IdleTimeoutError, RilletError
from rillet.conformance.conversation import Conversation
from rillet.conformance.expectation import Expectation, ExpectedCall, ExpectedOutput
from rillet.emulator import (
    WIRES,
    Scenario,
    carries_reasoning,
    raw_finish_reason,
    render,
    reported_usage,
)
from rillet.protocol import FinishReason
from rillet.transport import Timeout

__all__ = ["CONNECT_TIMEOUT", "ID_WIRES", "Case", "FaultAt", "Pace"]

ID_WIRES = frozenset(
    {
        "openai",
        "openai-responses",
        "anthropic",
        "bedrock",
        "vertex-anthropic",
        "azure",
        "azure-responses",
    }
)
"""Wires that carry the tool-call id the scenario gives (Gemini's are made up by rillet)."""
REFUSAL_AS_TEXT_WIRES = frozenset({"anthropic", "vertex-anthropic"})
"""Wires whose refusal words are ordinary text before a ``refusal`` stop (OpenAI's are
refusal chunks, apart from the text)."""

CONNECT_TIMEOUT = 2.0


@dataclass(frozen=True)
class FaultAt:
    """A byte-level fault placed where ``marker`` first appears in the rendered body.

    Every event before the one holding ``marker`` is complete on the wire, so the partial
    response must hold exactly the text deltas before the one containing ``marker``.
    """

    kind: Literal["reset", "truncate", "stall"]
    marker: str


@dataclass(frozen=True)
class Pace:
    """Write the body in about ``pieces`` parts, ``delay`` seconds apart (a slow stream)."""

    pieces: int = 20
    delay: float = 0.02


@dataclass(frozen=True)
class Case:
    """One named case of the catalogue."""

    name: str
    description: str
    scenario: Scenario
    error: type[RilletError] | None = None
    """The typed error the stream must end in (None: a response)."""
    fault_at: FaultAt | None = None
    pace: Pace | None = None
    timeout: Timeout = field(default_factory=lambda: Timeout(connect=CONNECT_TIMEOUT, idle=5.0))
    max_retries: int = 2
    requests: int | None = None
    """Requests the emulator must see (default: one, plus a retry per status fault)."""
    cancel_after: int | None = None
    api_key: str | None = None
    """A key to send instead of the emulator's (a wrong one, for the auth case)."""
    model: str | None = None
    """A model to ask for instead of the scenario's name (an unknown one)."""
    cassette: bool = True
    """Recordable: a finite exchange (faults that cut or stall a stream are not)."""
    wires: tuple[str, ...] = WIRES
    conversation: Conversation | None = None
    """A multi-turn case: the agent loop runs these turns (``scenario`` is the first), and the
    multi-turn rules (``rillet.conformance.history``) judge every request."""
    output: ExpectedOutput | None = None
    """A structured-output case: the client asks for ``output.target`` and reads the stream
    through ``output_events()``; the ``output`` rule judges the value."""

    def __post_init__(self) -> None:
        if self.cassette and (self.fault_at is not None or self.cancel_after is not None):
            raise ValueError(
                f"case {self.name!r}: a cut, stalled or cancelled stream cannot be recorded"
            )

    @property
    def request_model(self) -> str:
        return self.model or self.scenario.name

    def applies_to(self, wire: str) -> bool:
        return wire in self.wires

    def scenario_for(self, wire: str) -> Scenario:
        """The scenario with its byte offsets computed for ``wire``."""
        scenario = self.scenario
        faults = scenario.faults
        if self.fault_at is None and self.pace is None:
            return scenario
        _, body = render(wire, scenario)
        if self.pace is not None:
            step = max(1, len(body) // self.pace.pieces)
            cuts = tuple(range(step, len(body), step))
            faults = dataclasses.replace(faults, chunks=cuts, chunk_delay=self.pace.delay)
        if self.fault_at is not None:
            offset = body.find(self.fault_at.marker.encode())
            if offset < 0:
                raise ValueError(
                    f"case {self.name!r}: {self.fault_at.marker!r} not in the {wire} body"
                )
            kind = self.fault_at.kind
            if kind == "reset":
                faults = dataclasses.replace(faults, reset_after=offset)
            elif kind == "truncate":
                faults = dataclasses.replace(faults, truncate_after=offset)
            else:
                faults = dataclasses.replace(faults, stall_after=offset)
        return dataclasses.replace(scenario, faults=faults)

    def expect(self, wire: str) -> Expectation:
        """What the adapter must produce for this case on ``wire``."""
        scenario = self.scenario
        visible = carries_reasoning(wire)
        calls = tuple(
            ExpectedCall(spec.name, spec.arguments, spec.id if wire in ID_WIRES else None)
            for spec in scenario.tool_calls
        )
        stall = self.fault_at is not None and self.fault_at.kind == "stall"
        text = scenario.all_text
        if wire in REFUSAL_AS_TEXT_WIRES:
            text += scenario.all_refusal
        return Expectation(
            text=text,
            reasoning=scenario.all_reasoning if visible else "",
            reasoning_signature=scenario.reasoning_signature if visible else None,
            tool_calls=calls,
            finish_reason=FinishReason(scenario.finish),
            provider_finish_reason=raw_finish_reason(wire, scenario.finish),
            usage=reported_usage(wire, scenario),
            error=IdleTimeoutError if stall else self.error,
            partial_text=self._partial_text(),
            requests=self.expected_requests,
            cancel_after=self.cancel_after,
            idle_timeout=self.timeout.idle if stall else None,
            output=self.output,
        )

    @property
    def expected_requests(self) -> int:
        """One request, plus one retry per error status the client may retry."""
        if self.requests is not None:
            return self.requests
        return min(len(self.scenario.faults.statuses), self.max_retries) + 1

    def _partial_text(self) -> str | None:
        scenario = self.scenario
        if self.fault_at is not None:
            deltas = _before(scenario.text, self.fault_at.marker)
            return "".join(deltas)
        if scenario.error is not None:
            return "".join(scenario.text[: scenario.error.after_events])
        return None


def _before(deltas: Sequence[str], marker: str) -> Sequence[str]:
    for index, delta in enumerate(deltas):
        if marker in delta:
            return deltas[:index]
    raise ValueError(f"{marker!r} is in no text delta")

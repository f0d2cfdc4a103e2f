"""What one case must produce on one wire: the outcome the properties check against.

An ``Expectation`` is resolved for a wire (``Case.expect(wire)`` builds it from the case's
scenario), so the properties never need the emulator: they compare an ``Observation`` of a run
with plain values, and unit tests can build both by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from rillet._exceptions import RilletError
from rillet.protocol import FinishReason

__all__ = ["Expectation", "ExpectedCall", "ExpectedOutput"]


@dataclass(frozen=True)
class ExpectedCall:
    """One tool call the response must hold, in order."""

    name: str
    arguments: dict[str, Any]
    id: str | None = None
    """Checked only when set: the scenario fixed the id and the wire carries it."""


@dataclass(frozen=True)
class ExpectedOutput:
    """A structured-output case: what the client asks for (``output=``, ``output_mode=``) and
    what must come out of the model's JSON text ``raw``."""

    target: Any
    """The type or JSON Schema passed as ``output=``."""
    raw: str
    """The output's JSON text as the model sends it (content, or the forced tool's arguments)."""
    tree: object
    """The JSON value the field events must rebuild (a wrapped root's inner value)."""
    value: object = None
    """The validated output (``response.output``); unused when the case expects an error."""
    mode: Literal["auto", "native", "tool"] = "auto"
    tool: str | None = None
    """Tool mode: the forced tool whose calls become the output (the client hides it from the
    response)."""
    refusal: str | None = None
    """A refusal: the words ``OutputRefusedError.refusal`` must hold."""


@dataclass(frozen=True)
class Expectation:
    """The outcome of one case on one wire.

    ``error`` None means the stream must end in a response holding ``text``, ``tool_calls``,
    the finish reasons and ``usage``; otherwise it must raise ``error`` (a class), and when
    ``partial_text`` is set the error's ``partial`` must hold exactly that text.
    """

    text: str = ""
    reasoning: str | None = None
    """None: not checked (the wire streams no visible reasoning)."""
    reasoning_signature: str | None = None
    tool_calls: tuple[ExpectedCall, ...] = ()
    finish_reason: FinishReason | None = FinishReason.stop
    provider_finish_reason: str | None = None
    """None: not checked."""
    usage: tuple[int, int] | None = (12, 34)
    """(input, output) tokens the stop chunk must carry; None: the provider sends none."""
    error: type[RilletError] | None = None
    partial_text: str | None = None
    requests: int | None = None
    """How many requests the emulator must have seen (None: not checked)."""
    cancel_after: int | None = None
    """The consumer leaves the stream after this many chunks; the connection must close."""
    idle_timeout: float | None = None
    """A stall: the idle timeout (seconds) that must fire as ``IdleTimeoutError``."""
    output: ExpectedOutput | None = None
    """A structured-output case (None: none asked for)."""

    @property
    def succeeds(self) -> bool:
        return self.error is None

"""What the emulator plays: a scenario (the response's content) and its faults. Pure data.

A ``Scenario`` is provider-neutral: the same scenario renders in every wire format (see
``rillet.emulator.render``), so one description of a response tests every adapter. Text and
reasoning are given already split into the deltas to send; tool-call arguments are cut at
``ToolCallSpec.splits``. ``Faults`` say how the rendered bytes go wrong on the way: error
statuses before the reply, a stall, a reset, a truncation, a byte at a time, a huge event,
unknown events and fields.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, Literal

__all__ = ["ErrorKind", "Faults", "Finish", "Scenario", "StreamError", "ToolCallSpec"]

Finish = Literal["stop", "length", "tool_calls", "content_filter", "error", "other"]
"""A scenario's unified finish reason (each wire renders it as its own raw value)."""

ErrorKind = Literal["overloaded", "rate_limit", "server", "invalid_request"]


@dataclass(frozen=True)
class ToolCallSpec:
    """One tool call: its name, its arguments, and where the argument text is cut."""

    name: str
    arguments: dict[str, Any]
    id: str | None = None
    """None: the emulator makes one where the provider always has ids (Gemini has none)."""
    splits: tuple[int, ...] = ()
    """Cut the JSON argument text at these character offsets; () sends it in one piece."""
    raw_arguments: str | None = None
    """The exact JSON text to stream (escapes such as ``\\"`` or ``\\u00e9`` included); it must
    parse to ``arguments``. None: ``arguments`` as compact JSON, non-ASCII kept as is."""

    def __post_init__(self) -> None:
        if self.raw_arguments is not None and json.loads(self.raw_arguments) != self.arguments:
            raise ValueError(f"raw_arguments of {self.name!r} do not parse to its arguments")

    @property
    def arguments_json(self) -> str:
        """The argument text the streaming wires send, in pieces."""
        if self.raw_arguments is not None:
            return self.raw_arguments
        return json.dumps(self.arguments, ensure_ascii=False, separators=(",", ":"))

    def pieces(self) -> list[str]:
        """``arguments_json`` cut at ``splits`` (offsets out of range are ignored)."""
        text = self.arguments_json
        cuts = sorted({cut for cut in self.splits if 0 < cut < len(text)})
        bounds = [0, *cuts, len(text)]
        return [text[start:end] for start, end in pairwise(bounds)]


@dataclass(frozen=True)
class StreamError:
    """An error sent inside a 200 stream, after ``after_events`` content events."""

    kind: ErrorKind
    message: str = ""
    """The error's message; empty: the provider's own message for ``kind``."""
    after_events: int = 2


@dataclass(frozen=True)
class Faults:
    """Transport faults applied to a scenario's reply. Byte offsets count body bytes."""

    statuses: tuple[int, ...] = ()
    """Error replies (the provider's own error body) before the real reply, e.g. (529, 429)."""
    retry_after: str | None = None
    """``Retry-After`` on those replies: "0", seconds, or an HTTP date."""
    retry_after_ms: int | None = None
    """``retry-after-ms`` on those replies (OpenAI's header)."""
    stall_after: int | None = None
    """Send this many body bytes, then nothing for ``stall_for`` seconds."""
    reset_after: int | None = None
    """Send this many body bytes, then reset the connection (TCP RST)."""
    truncate_after: int | None = None
    """Send this many body bytes, then close without finishing the chunked body."""
    chunks: Literal["whole", "drip"] | tuple[int, ...] = "whole"
    """How the body is written: in one piece, a byte at a time, or cut at these offsets."""
    chunk_delay: float = 0.0
    huge_event_bytes: int | None = None
    """Make one early event about this large (an extra unknown field holds the bulk)."""
    unknown_events: bool = False
    """Insert unknown event types, blocks, parts and fields that an adapter must skip."""
    stall_for: float = 30.0
    """How long a stall lasts: longer than any test's idle timeout."""
    stall_after_events: int | None = None
    """Stall once this many content events were sent whole (when ``stall_after`` is None):
    the same point of the answer in every wire format, whatever its bytes."""
    reset_after_events: int | None = None
    """Reset once this many content events were sent whole (when ``reset_after`` is None)."""
    truncate_after_events: int | None = None
    """Close once this many content events were sent whole (when ``truncate_after`` is None)."""


@dataclass(frozen=True)
class Scenario:
    """One response, provider-neutral; its ``name`` is the model name that selects it."""

    name: str
    text: tuple[str, ...] = ()
    """Content deltas, in order (already split)."""
    refusal: tuple[str, ...] = ()
    """The model's refusal, in deltas after the text, as each wire says it: OpenAI Chat
    ``delta.refusal``, a Responses refusal part, Anthropic text then ``stop_reason: refusal``,
    Gemini (no refusal form) a ``SAFETY`` finish without the words."""
    reasoning: tuple[str, ...] = ()
    """Thinking deltas; wires without visible reasoning (OpenAI Chat) leave them out."""
    reasoning_signature: str | None = None
    """Anthropic's thinking signature, Gemini's ``thoughtSignature``, Responses'
    ``encrypted_content``."""
    tool_calls: tuple[ToolCallSpec, ...] = ()
    finish: Finish = "stop"
    usage: tuple[int, int] | None = (12, 34)
    """Input and output tokens; None: sent nowhere a provider can leave it out."""
    error: StreamError | None = None
    faults: Faults = field(default_factory=Faults)
    model: str = "emulated-model"
    """The model name the response reports (the request's model is ``name``)."""
    streamed_arguments: bool = False
    """Gemini: stream call arguments as ``partialArgs`` (the server sets it when the request
    asks with ``streamFunctionCallArguments``)."""

    def __post_init__(self) -> None:
        signature = self.reasoning_signature
        if signature is not None and not _is_base64(signature):
            raise ValueError(
                f"reasoning_signature of scenario {self.name!r} is not base64: every provider "
                "sends its signatures and encrypted content as base64, and the official SDKs "
                "decode them"
            )

    @property
    def all_text(self) -> str:
        return "".join(self.text)

    @property
    def all_refusal(self) -> str:
        return "".join(self.refusal)

    @property
    def all_reasoning(self) -> str:
        return "".join(self.reasoning)


def _is_base64(text: str) -> bool:
    """Canonical base64, standard or URL-safe alphabet, padded or not (what SDKs decode)."""
    standard = text.replace("-", "+").replace("_", "/").rstrip("=")
    if text.endswith("=") and len(text) % 4:
        return False  # padding that does not end a whole quantum
    try:
        data = base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
    except binascii.Error:
        return False
    return base64.b64encode(data).decode().rstrip("=") == standard

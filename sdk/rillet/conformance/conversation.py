"""A multi-turn conformance case: what the model says turn by turn, and what the user asked.

    Conversation(turns=(calls_a_tool, answers), prompt="...", fields={"tool_choice": "auto"})

The agent loop (``rillet.agent``) runs the conversation over the emulator: the emulator plays
``turns[i]`` for the i-th request, the agent runs the tools the model calls (a tool named in
``failing`` raises, so its result goes back as an error) and sends the next request. Every
request of every turn is then judged (``rillet.conformance.history``): the emulator accepted
it, what the model said comes back in the next one, and the settings reach each one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rillet.emulator import Scenario

__all__ = ["SYSTEM_PROMPT", "TOOL_FAILURE", "Conversation"]

SYSTEM_PROMPT = "You are a terse assistant. Use the tools given."
TOOL_FAILURE = "the dictionary service is down"
"""What a failing tool raises: its result must carry this text back to the model."""


@dataclass(frozen=True)
class Conversation:
    """The turns of one multi-turn case (all under one model name) and the run's settings."""

    turns: tuple[Scenario, ...]
    """The model's reply to each request, in order; the last one ends the run (no tool call)."""
    prompt: str | tuple[Mapping[str, Any], ...] = "Look these words up."
    """The user's message: text, or content parts (text, images, documents)."""
    system: str | None = SYSTEM_PROMPT
    fields: Mapping[str, Any] = field(default_factory=dict)
    """Request fields of every turn (``tool_choice``, ``stop``, ``reasoning``, ...)."""
    wire_fields: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Fields for one wire only, over ``fields`` (Anthropic thinking takes a budget, OpenAI
    Responses an effort)."""
    wire_prompts: Mapping[str, tuple[Mapping[str, Any], ...]] = field(default_factory=dict)
    """The prompt's parts on a wire that cannot take them all (OpenAI Chat: no document URL)."""
    failing: frozenset[str] = frozenset()
    """Tools that raise ``TOOL_FAILURE`` when called."""

    def __post_init__(self) -> None:
        names = {turn.name for turn in self.turns}
        if len(names) != 1:
            raise ValueError(f"the turns of a conversation share one model name, not {names}")
        if self.turns[-1].tool_calls:
            raise ValueError("the last turn must end the run: it calls no tool")

    @property
    def tool_names(self) -> list[str]:
        """Every tool the model calls, in order of first call."""
        names = (call.name for turn in self.turns for call in turn.tool_calls)
        return list(dict.fromkeys(names))

    def fields_for(self, wire: str) -> dict[str, Any]:
        return {**self.fields, **self.wire_fields.get(wire, {})}

    def prompt_for(self, wire: str) -> str | tuple[Mapping[str, Any], ...]:
        return self.wire_prompts.get(wire, self.prompt)

    def media_for(self, wire: str) -> list[Mapping[str, Any]]:
        """The prompt's image and document parts on ``wire``."""
        prompt = self.prompt_for(wire)
        if isinstance(prompt, str):
            return []
        return [part for part in prompt if part.get("type") in ("image", "document")]

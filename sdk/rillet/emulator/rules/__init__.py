"""What each real API refuses, as named pure rules the emulator checks every request against.

    refusal = first_refusal(BUILTIN_RULES["anthropic"], body, model)

A rule is a function ``(body, model) -> Refusal | None``: the parsed request body and the model
it asks for (Gemini names it in the path, the others in the body). The emulator runs a wire's
rules in order and answers the first refusal with that provider's own 400 body
(``rillet.emulator._errors.refusal_body``), which the adapters raise as ``BadRequestError``.

A rule checks one documented constraint and nothing else: a field it does not find, or finds
in a shape it does not know, is not its business (it accepts), so that a schema check run
first, not the rules, owns the body's shape: ``BUILTIN_RULES`` is ``PROVIDER_RULES`` with the
request-schema check (``SCHEMA_RULES``) first. ``Emulator(rules=...)`` takes the lists per wire;
``with_first(rules, first)`` puts a per-wire rule before the rest.

One module per provider, each rule named for what it requires: ``openai_chat``,
``openai_responses``, ``anthropic``, ``gemini``, ``bedrock``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rillet.emulator.rules import anthropic, bedrock, gemini, openai_chat, openai_responses
from rillet.emulator.rules._refusal import Refusal, Rule
from rillet.emulator.rules.schema import SCHEMA_RULES

__all__ = [
    "BUILTIN_RULES",
    "PROVIDER_RULES",
    "SCHEMA_RULES",
    "Refusal",
    "Rule",
    "first_refusal",
    "with_first",
]

PROVIDER_RULES: Mapping[str, tuple[Rule, ...]] = {
    "openai": openai_chat.RULES,
    "openai-responses": openai_responses.RULES,
    "anthropic": anthropic.RULES,
    "gemini": gemini.RULES,
    "gemini-json": gemini.RULES,
    "vertex": gemini.RULES,
    "vertex-anthropic": anthropic.RULES,
    "azure": openai_chat.RULES,
    "azure-responses": openai_responses.RULES,
    "bedrock": bedrock.RULES,
}
"""Each wire's documented rules, in the order they run."""


def first_refusal(rules: Sequence[Rule], body: object, model: str) -> Refusal | None:
    """The first refusal of ``rules`` for a request, or None when every rule accepts it.

    A body that is not a JSON object is left to a schema rule: the built-in rules take objects.
    """
    if not isinstance(body, dict):
        return None
    request: dict[str, Any] = body
    for rule in rules:
        refusal = rule(request, model)
        if refusal is not None:
            return refusal
    return None


def with_first(
    rules: Mapping[str, Sequence[Rule]], first: Mapping[str, Rule]
) -> dict[str, tuple[Rule, ...]]:
    """``rules`` with ``first[wire]`` run before the others of that wire (a schema check)."""
    return {
        wire: ((first[wire], *wire_rules) if wire in first else tuple(wire_rules))
        for wire, wire_rules in rules.items()
    }


BUILTIN_RULES: Mapping[str, tuple[Rule, ...]] = with_first(PROVIDER_RULES, SCHEMA_RULES)
"""Each wire's checks, in the order they run: the request schema first
(``rillet.emulator.rules.schema``), then the provider's documented rules."""

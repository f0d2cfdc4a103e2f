"""The multi-turn cases of the catalogue: the agent loop over the emulator, every request judged.

Each case is a ``Case`` whose ``conversation`` holds the model's turns; the catalogue lists
them with the single-turn cases (``CASES``), so ``--case``, ``--list`` and third-party adapters
see them the same way. Their cassettes hold one interaction per turn, replayed in order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rillet.conformance.cases import Case
from rillet.conformance.conversation import Conversation
from rillet.emulator import WIRES, Scenario, ToolCallSpec

__all__ = ["CONVERSATION_CASES"]

LOOKUP = ToolCallSpec(name="lookup", arguments={"word": "rill"}, id="call_lookup_1")
LOOKUP_AGAIN = ToolCallSpec(
    name="lookup", arguments={"word": "rillet", "lang": "fr"}, id="call_lookup_2"
)
DEFINE = ToolCallSpec(name="define", arguments={"word": "brook"}, id="call_define_3")
"""Fails when called (``Conversation.failing``): its result goes back as an error."""

ANSWER = ("A rill is", " a small brook.")
_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg=="
_PDF = "JVBERi0xLjQKJcOkw7zDtsOfCjEgMCBvYmoKPDwvVHlwZS9DYXRhbG9nPj4KZW5kb2JqCiUlRU9GCg=="
_MEDIA: tuple[Mapping[str, Any], ...] = (
    {"type": "text", "text": "What do the picture and the report say about rills?"},
    {"type": "image", "data": _PNG, "media_type": "image/png"},
    {"type": "image", "url": "https://example.com/rill.png", "media_type": "image/png"},
    {"type": "document", "data": _PDF, "media_type": "application/pdf", "filename": "rill.pdf"},
    {"type": "document", "url": "https://example.com/rill.pdf", "media_type": "application/pdf"},
)
_THINKING: Mapping[str, Mapping[str, Any]] = {
    "anthropic": {"reasoning": {"budget_tokens": 1024}},
    "openai-responses": {"reasoning": {"effort": "low"}},
    "gemini": {"reasoning": {"budget_tokens": 1024}},
    "gemini-json": {"reasoning": {"budget_tokens": 1024}},
    "vertex": {"reasoning": {"budget_tokens": 1024}},
    "vertex-anthropic": {"reasoning": {"budget_tokens": 1024}},
    "azure-responses": {"reasoning": {"effort": "low"}},
}
"""Reasoning on, in the form each wire takes (OpenAI Chat shows no reasoning to replay)."""


def _calls(
    name: str, *calls: ToolCallSpec, text: tuple[str, ...] = ("Looking it up.",)
) -> Scenario:
    return Scenario(name, text=text, tool_calls=calls, finish="tool_calls")


def _tool_then_answer(name: str, *calls: ToolCallSpec) -> tuple[Scenario, ...]:
    return (_calls(name, *calls), Scenario(name, text=ANSWER))


def _case(
    name: str, description: str, conversation: Conversation, wires: tuple[str, ...] = WIRES
) -> Case:
    first = conversation.turns[0]
    return Case(name, description, first, wires=wires, conversation=conversation)


def _reasoning_turns(name: str) -> tuple[Scenario, ...]:
    return (
        Scenario(
            name,
            reasoning=("I should look", " the word up."),
            reasoning_signature="c2lnLXR1cm4tMQ==",
            text=("Looking it up.",),
            tool_calls=(LOOKUP,),
            finish="tool_calls",
        ),
        Scenario(
            name,
            reasoning=("Now the", " French word."),
            reasoning_signature="c2lnLXR1cm4tMg==",
            tool_calls=(LOOKUP_AGAIN,),
            finish="tool_calls",
        ),
        Scenario(name, reasoning=("Done.",), reasoning_signature="c2lnLXR1cm4tMw==", text=ANSWER),
    )


def _tool_choice_case(choice: str) -> Case:
    name = f"multi-turn-tool-choice-{choice}"
    # with tool_choice none the model answers at once: one turn
    turns = (Scenario(name, text=ANSWER),) if choice == "none" else _tool_then_answer(name, LOOKUP)
    fields = {"tool_choice": choice}
    described = "a tool's name" if choice == "lookup" else repr(choice)
    # Converse has no tool_choice none (the tools are left out instead)
    wires = tuple(w for w in WIRES if w != "bedrock") if choice == "none" else WIRES
    return _case(
        name,
        f"tool_choice {described} sent on every turn",
        Conversation(turns, fields=fields),
        wires,
    )


CONVERSATION_CASES: tuple[Case, ...] = (
    _case(
        "multi-turn-tool",
        "a tool call, its result, then the answer; a system prompt on every turn",
        Conversation(_tool_then_answer("multi-turn-tool", LOOKUP)),
    ),
    _case(
        "multi-turn-parallel-tools",
        "three calls in one turn, one of them failing; every result goes back",
        Conversation(
            _tool_then_answer("multi-turn-parallel-tools", LOOKUP, LOOKUP_AGAIN, DEFINE),
            failing=frozenset({"define"}),
        ),
    ),
    _case(
        "multi-turn-failed-tool",
        "the only tool call fails: its result goes back as an error",
        Conversation(
            _tool_then_answer("multi-turn-failed-tool", DEFINE), failing=frozenset({"define"})
        ),
    ),
    _case(
        "multi-turn-reasoning",
        "three turns of signed reasoning and tool calls (Anthropic thinking, Gemini 3 thought "
        "signatures, Responses encrypted reasoning with its id), replayed every turn",
        Conversation(_reasoning_turns("gemini-3-flash-multi-turn"), wire_fields=_THINKING),
    ),
    _case(
        "multi-turn-media",
        "images (base64 and URL) and a PDF (base64 and URL; OpenAI Chat: base64 only; "
        "Bedrock: no URL) on every turn",
        Conversation(
            _tool_then_answer("multi-turn-media", LOOKUP),
            prompt=_MEDIA,
            # Converse takes media inline only: no URL
            wire_prompts={
                "openai": _MEDIA[:4],
                "azure": _MEDIA[:4],
                "bedrock": (*_MEDIA[:2], _MEDIA[3]),
            },
        ),
    ),
    _case(
        "multi-turn-stop",
        "stop sequences on every turn (not on OpenAI Responses, which has none)",
        Conversation(_tool_then_answer("multi-turn-stop", LOOKUP), fields={"stop": ["END", "##"]}),
        wires=tuple(wire for wire in WIRES if wire not in ("openai-responses", "azure-responses")),
    ),
    *(_tool_choice_case(choice) for choice in ("auto", "none", "required", "lookup")),
)

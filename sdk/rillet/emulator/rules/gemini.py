"""What Gemini ``generateContent`` / ``streamGenerateContent`` refuses.

From the API reference (ai.google.dev/api/caching#Content: roles ``user`` and ``model``), function
calling (ai.google.dev/gemini-api/docs/function-calling: a function response turn comes right
after its function call turn, one response per call) and thought signatures
(ai.google.dev/gemini-api/docs/thought-signatures: Gemini 3 models refuse a current turn whose
function call steps lost their ``thoughtSignature``; of parallel calls only the first carries
one), structured output (ai.google.dev/gemini-api/docs/structured-output: a response schema
goes with ``responseMimeType: application/json``; that message is worded as the API words its
field checks, not a recorded one). The messages are the API's own, as its users report them. Field names are read in both
spellings the API takes (``functionCall`` and ``function_call``).
"""

from __future__ import annotations

import re
from typing import Any

from rillet.emulator.rules._refusal import Refusal, Rule, indexed, mapping

__all__ = [
    "RULES",
    "contents_take_user_and_model_roles",
    "function_calls_follow_a_user_turn",
    "function_responses_answer_the_call_turn",
    "gemini_3_function_calls_carry_thought_signatures",
    "response_schema_needs_the_json_mime_type",
    "validates_thought_signatures",
]

_GENERATION = re.compile(r"^(?:models/)?gemini-(\d+)")
_SIGNATURE_DOCS = "https://ai.google.dev/gemini-api/docs/thought-signatures"


def validates_thought_signatures(model: str) -> bool:
    """Gemini 3 and later."""
    generation = _GENERATION.match(model)
    return generation is not None and int(generation.group(1)) >= 3


def contents_take_user_and_model_roles(body: dict[str, Any], model: str) -> Refusal | None:
    """A content's ``role`` (where given) is ``user`` or ``model``."""
    for _, content in indexed(body.get("contents")):
        if content.get("role", "user") not in ("user", "model"):
            return Refusal("Please use a valid role: user, model.")
    return None


def function_responses_answer_the_call_turn(body: dict[str, Any], model: str) -> Refusal | None:
    """A turn of function responses comes right after the model turn of function calls it
    answers, with one response per call."""
    contents = indexed(body.get("contents"))
    for position, (_, content) in enumerate(contents):
        responses = _parts_with(content, "functionResponse")
        if not responses:
            continue
        previous = contents[position - 1][1] if position else {}
        calls = _parts_with(previous, "functionCall") if previous.get("role") == "model" else []
        if not calls:
            return Refusal(
                "Please ensure that function response turn comes immediately after a function "
                "call turn."
            )
        if len(responses) != len(calls):
            return Refusal(
                "Please ensure that the number of function response parts is equal to the "
                "number of function call parts of the function call turn."
            )
    return None


def function_calls_follow_a_user_turn(body: dict[str, Any], model: str) -> Refusal | None:
    """A model turn of function calls comes right after a user turn (a prompt or function
    responses)."""
    contents = indexed(body.get("contents"))
    for position, (_, content) in enumerate(contents):
        if content.get("role") != "model" or not _parts_with(content, "functionCall"):
            continue
        previous = contents[position - 1][1] if position else {}
        if not position or previous.get("role", "user") != "user":
            return Refusal(
                "Please ensure that function call turn comes immediately after a user turn or "
                "after a function response turn."
            )
    return None


def gemini_3_function_calls_carry_thought_signatures(
    body: dict[str, Any], model: str
) -> Refusal | None:
    """On Gemini 3, each function call step of the current turn (the model turns since the last
    user prompt) replays its ``thoughtSignature`` on its first ``functionCall`` part."""
    if not validates_thought_signatures(model):
        return None
    contents = indexed(body.get("contents"))
    prompts = [at for at, (_, c) in enumerate(contents) if _is_prompt(c)]
    for index, content in contents[prompts[-1] + 1 if prompts else 0 :]:
        calls = _parts_with(content, "functionCall")
        if content.get("role") != "model" or not calls:
            continue
        first = calls[0]
        if not (first.get("thoughtSignature") or first.get("thought_signature")):
            name = mapping(_field(first, "functionCall")).get("name")
            return Refusal(
                "Function call is missing a thought_signature in functionCall parts. This is "
                "required for tools to work correctly, and missing thought_signature may lead "
                "to degraded model performance. Additional data, function call "
                f"`default_api:{name}` , position {index + 1}. Please refer to "
                f"{_SIGNATURE_DOCS} for more details."
            )
    return None


def response_schema_needs_the_json_mime_type(body: dict[str, Any], model: str) -> Refusal | None:
    """``responseJsonSchema`` (or ``responseSchema``) is set only with ``responseMimeType``
    ``application/json``."""
    config = mapping(_field(body, "generationConfig"))
    schema = next((k for k in ("responseJsonSchema", "responseSchema") if _field(config, k)), None)
    if schema is None or _field(config, "responseMimeType") == "application/json":
        return None
    snake = re.sub(r"(?<!^)([A-Z])", r"_\1", schema).lower()
    return Refusal(
        f"* GenerateContentRequest.generation_config.{snake}: only supported with "
        "response_mime_type application/json; set generation_config.response_mime_type to "
        "application/json.\n"
    )


def _is_prompt(content: dict[str, Any]) -> bool:
    """A user turn that is not only function responses: where a new turn begins."""
    if content.get("role", "user") != "user":
        return False
    parts = [part for _, part in indexed(content.get("parts"))]
    return any(_field(part, "functionResponse") is None for part in parts) or not parts


def _parts_with(content: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """The parts of ``content`` holding ``name`` (camelCase, or its snake_case spelling)."""
    return [part for _, part in indexed(content.get("parts")) if _field(part, name) is not None]


def _field(part: dict[str, Any], name: str) -> object:
    snake = re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()
    return part.get(name, part.get(snake))


RULES: tuple[Rule, ...] = (
    contents_take_user_and_model_roles,
    function_responses_answer_the_call_turn,
    function_calls_follow_a_user_turn,
    gemini_3_function_calls_carry_thought_signatures,
    response_schema_needs_the_json_mime_type,
)

"""What OpenAI Responses (``POST /v1/responses``) refuses.

From the API reference (platform.openai.com/docs/api-reference/responses/create: input items;
a reasoning item's ``id`` and ``summary`` are required) and the reasoning guide
(platform.openai.com/docs/guides/reasoning, "encrypted reasoning items": with ``store: false``
reasoning goes back with its ``encrypted_content``); function calling
(platform.openai.com/docs/guides/function-calling: a ``function_call_output`` answers a
``function_call`` by ``call_id``). The messages are the API's own, as its users report them.
"""

from __future__ import annotations

from typing import Any

from rillet.emulator.rules._json_schema import openai_name_refusal, openai_strict_refusal
from rillet.emulator.rules._refusal import Refusal, Rule, indexed, mapping
from rillet.emulator.rules.openai_chat import refused_temperature

__all__ = [
    "RULES",
    "function_call_outputs_answer_a_call",
    "reasoning_items_are_followed_by_their_output",
    "reasoning_items_are_whole",
    "reasoning_models_take_only_the_default_temperature",
    "strict_text_format_fits_the_strict_subset",
    "text_format_name_fits_the_pattern",
]


def function_call_outputs_answer_a_call(body: dict[str, Any], model: str) -> Refusal | None:
    """A ``function_call_output`` answers a ``function_call`` earlier in the input, by
    ``call_id``."""
    calls: set[object] = set()
    for _, item in indexed(body.get("input")):
        kind = item.get("type")
        if kind == "function_call":
            calls.add(item.get("call_id"))
        elif kind == "function_call_output" and item.get("call_id") not in calls:
            return Refusal(
                f"No tool call found for function call output with call_id {item.get('call_id')}.",
                param="input",
            )
    return None


def reasoning_items_are_whole(body: dict[str, Any], model: str) -> Refusal | None:
    """A replayed ``reasoning`` item has its ``id`` and ``summary``; with ``store: false``
    (nothing kept at OpenAI to look the id up in) its ``encrypted_content`` too."""
    stateless = body.get("store") is False
    for index, item in indexed(body.get("input")):
        if item.get("type") != "reasoning":
            continue
        for required in ("id", "summary"):
            if item.get(required) is None:
                return Refusal(
                    f"Missing required parameter: 'input[{index}].{required}'.",
                    param=f"input[{index}].{required}",
                    code="missing_required_parameter",
                )
        if stateless and not item.get("encrypted_content"):
            return Refusal(
                f"Item with id '{item['id']}' not found. Items are not persisted when `store` "
                "is set to false. Try again with `store` set to true, or remove this item "
                "from your input.",
                param="input",
            )
    return None


def reasoning_items_are_followed_by_their_output(
    body: dict[str, Any], model: str
) -> Refusal | None:
    """A ``reasoning`` item goes back with the output item it led to (the assistant message or
    function call after it), not alone."""
    items = body.get("input")
    if not isinstance(items, list):
        return None
    for index, item in indexed(items):
        if item.get("type") != "reasoning":
            continue
        following = next(
            (i for i in items[index + 1 :] if mapping(i).get("type") != "reasoning"), None
        )
        if following is None or not _is_output(mapping(following)):
            return Refusal(
                f"Item '{item.get('id')}' of type 'reasoning' was provided without its required "
                "following item.",
                param="input",
            )
    return None


def _is_output(item: dict[str, Any]) -> bool:
    """An item the model produced: an assistant message or a call (not an input or a result)."""
    kind = item.get("type", "message")
    if kind == "message":
        return item.get("role") == "assistant"
    return kind not in ("function_call_output", "item_reference") and not kind.endswith("_output")


def reasoning_models_take_only_the_default_temperature(
    body: dict[str, Any], model: str
) -> Refusal | None:
    """Reasoning models refuse a ``temperature`` other than the default 1."""
    effort = mapping(body.get("reasoning")).get("effort")
    if refused_temperature(body, model, effort) is None:
        return None
    return Refusal(
        "Unsupported parameter: 'temperature' is not supported with this model.",
        param="temperature",
        code="unsupported_parameter",
    )


def text_format_name_fits_the_pattern(body: dict[str, Any], model: str) -> Refusal | None:
    """A ``json_schema`` text format's ``name`` matches ``^[a-zA-Z0-9_-]{1,64}$``."""
    return openai_name_refusal(_json_schema_format(body).get("name"), "text.format.name")


def strict_text_format_fits_the_strict_subset(body: dict[str, Any], model: str) -> Refusal | None:
    """A strict ``json_schema`` text format's schema is in the strict subset (as Chat's
    ``response_format``; the message names ``response_format`` there too)."""
    form = _json_schema_format(body)
    if form.get("strict") is not True:
        return None
    return openai_strict_refusal(form.get("schema"), form.get("name"), "text.format.schema")


def _json_schema_format(body: dict[str, Any]) -> dict[str, Any]:
    form = mapping(mapping(body.get("text")).get("format"))
    return form if form.get("type") == "json_schema" else {}


RULES: tuple[Rule, ...] = (
    function_call_outputs_answer_a_call,
    reasoning_items_are_whole,
    reasoning_items_are_followed_by_their_output,
    reasoning_models_take_only_the_default_temperature,
    text_format_name_fits_the_pattern,
    strict_text_format_fits_the_strict_subset,
)

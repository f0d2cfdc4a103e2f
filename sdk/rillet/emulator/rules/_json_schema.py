"""The structured-output schema checks the rules share: a walk over a JSON Schema's subschemas,
OpenAI's strict subset, and Anthropic's closed objects.

A path is the tuple of keys from the root to a subschema (``('properties', 'items', 'items')``),
which OpenAI prints as its ``context`` (Python's tuple repr: ``context=()`` at the root).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Final

from rillet.emulator.rules._refusal import Refusal, mapping

__all__ = [
    "OPENAI_NAME",
    "anthropic_refusal",
    "is_object_schema",
    "openai_name_refusal",
    "openai_strict_refusal",
    "subschemas",
]

Path = tuple[str, ...]

OPENAI_NAME: Final = re.compile(r"^[a-zA-Z0-9_-]+$")
_OPENAI_NAME_MAX = 64
_OPENAI_REFUSED: Final = (
    "patternProperties", "unevaluatedProperties", "propertyNames", "minProperties",
    "maxProperties", "unevaluatedItems", "contains", "minContains", "maxContains",
    "uniqueItems", "not", "if", "then", "else", "dependentRequired", "dependentSchemas", "oneOf",
)  # fmt: skip
"""Keywords strict mode does not take (OpenAI's structured-outputs guide, "supported
schemas": composition is ``anyOf`` only)."""


def subschemas(schema: object, path: Path = ()) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Every subschema of ``schema`` with its path, depth first, the root first."""
    if not isinstance(schema, dict):
        return
    yield path, schema
    for key in ("properties", "$defs", "definitions"):
        for name, child in mapping(schema.get(key)).items():
            yield from subschemas(child, (*path, key, name))
    for key in ("items", "additionalProperties", "not"):
        yield from subschemas(schema.get(key), (*path, key))
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        variants = schema.get(key)
        for index, child in enumerate(variants if isinstance(variants, list) else ()):
            yield from subschemas(child, (*path, key, str(index)))


def is_object_schema(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return (
        kind == "object"
        or (isinstance(kind, list) and "object" in kind)
        or ("properties" in schema)
    )


def openai_name_refusal(name: object, param: str) -> Refusal | None:
    """OpenAI's refusal of a schema ``name`` (at ``param``) outside ``^[a-zA-Z0-9_-]{1,64}$``."""
    if not isinstance(name, str):
        return None
    if len(name) > _OPENAI_NAME_MAX:
        return Refusal(
            f"Invalid '{param}': string too long. Expected a string with maximum length "
            f"{_OPENAI_NAME_MAX}, but got a string with length {len(name)} instead.",
            param=param,
            code="string_above_max_length",
        )
    if OPENAI_NAME.match(name) is None:
        return Refusal(
            f"Invalid '{param}': string does not match pattern. Expected a string that matches "
            "the pattern '^[a-zA-Z0-9_-]+$'.",
            param=param,
            code="invalid_value",
        )
    return None


def openai_strict_refusal(schema: object, name: object, param: str) -> Refusal | None:
    """OpenAI's refusal of a strict schema outside its subset: the root an object, every object
    closed (``additionalProperties: false``) with all its properties in ``required``, and no
    keyword strict mode refuses."""
    if not isinstance(schema, dict):
        return None
    prefix = f"Invalid schema for response_format '{name}': "
    kind = schema.get("type")
    if kind != "object":
        got = f'type: "{kind}"' if isinstance(kind, str) else "no type"
        return Refusal(
            f"{prefix}schema must be a JSON Schema of 'type: \"object\"', got '{got}'.", param
        )
    for path, node in subschemas(schema):
        context = f"In context={path!r}, "
        refused = next((keyword for keyword in _OPENAI_REFUSED if keyword in node), None)
        if refused is not None:
            return Refusal(f"{prefix}{context}'{refused}' is not permitted.", param)
        if not is_object_schema(node):
            continue
        if node.get("additionalProperties") is not False:
            return Refusal(
                f"{prefix}{context}'additionalProperties' is required to be supplied and to be "
                "false.",
                param,
            )
        required = node.get("required")
        listed = set(required) if isinstance(required, list) else set()
        missing = [key for key in mapping(node.get("properties")) if key not in listed]
        if missing or not isinstance(required, list):
            said = f" Missing '{missing[0]}'." if missing else ""
            return Refusal(
                f"{prefix}{context}'required' is required to be supplied and to be an array "
                f"including every key in properties.{said}",
                param,
            )
    return None


def anthropic_refusal(schema: object, where: str) -> Refusal | None:
    """Anthropic's refusal of a structured-output schema (at ``where``) with an object that is
    not closed: every object sets ``additionalProperties`` to false."""
    for _, node in subschemas(schema):
        if not is_object_schema(node):
            continue
        extra = node.get("additionalProperties", None)
        if extra is None:
            return Refusal(
                f"{where}: For 'object' type, 'additionalProperties' must be explicitly set to "
                "false"
            )
        if extra is not False:
            shown = "true" if extra is True else "a schema"
            return Refusal(
                f"{where}: For 'object' type, 'additionalProperties: {shown}' is not supported. "
                "Please set 'additionalProperties' to false"
            )
    return None

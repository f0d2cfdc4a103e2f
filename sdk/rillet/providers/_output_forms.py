"""``LLMRequest.output`` in each provider's own structured-output form (pure, no I/O).

- OpenAI Chat: ``response_format: {type: json_schema, json_schema: {name, schema, strict}}``;
- OpenAI Responses: ``text: {format: {type: json_schema, name, schema, strict}}``;
- Anthropic: ``output_config: {format: {type: json_schema, schema}}``;
- Gemini: ``generationConfig: {responseMimeType: application/json, responseJsonSchema}``.

With ``strict``, OpenAI's schema is brought to its strict subset (``rillet.output._strict``).
Anthropic takes a subset of its own: every object closed (``additionalProperties: false``), and
constraints it does not enforce (``minimum``, ``maxLength``, ``pattern``, most string formats,
...) moved into the description, as Anthropic's SDK does, so the model still reads them; the
final value is validated against the caller's type whatever the provider enforced. An object
with free keys cannot be closed without changing its meaning: a ``ConfigurationError``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Final

from rillet._exceptions import ConfigurationError
from rillet._generated.wire_dicts import anthropic_request_schema as anthropic_wire
from rillet._generated.wire_dicts import openai_chat_request_schema as chat_wire
from rillet._generated.wire_dicts import openai_responses_request_schema as responses_wire
from rillet.output._strict import strict_schema
from rillet.protocol import OutputFormat

__all__ = [
    "anthropic_output_format",
    "anthropic_schema",
    "chat_response_format",
    "responses_text_format",
]


def chat_response_format(output: OutputFormat) -> chat_wire.JSONSchemaFormat:
    spec: chat_wire.JSONSchema = {"name": output.name, "schema": _openai_schema(output)}
    spec["strict"] = output.strict
    if output.description:
        spec["description"] = output.description
    return {"type": "json_schema", "json_schema": spec}


def responses_text_format(output: OutputFormat) -> responses_wire.JSONSchemaFormat:
    form: responses_wire.JSONSchemaFormat = {
        "type": "json_schema",
        "name": output.name,
        "schema": _openai_schema(output),
        "strict": output.strict,
    }
    if output.description:
        form["description"] = output.description
    return form


def anthropic_output_format(output: OutputFormat) -> anthropic_wire.JSONOutputFormat:
    return {"type": "json_schema", "schema": anthropic_schema(output.json_schema)}


def _openai_schema(output: OutputFormat) -> dict[str, Any]:
    if output.strict:
        return strict_schema(output.json_schema)
    return copy.deepcopy(dict(output.json_schema))


_ANTHROPIC_FORMATS: Final = frozenset(
    {"date-time", "time", "date", "duration", "email", "hostname", "uri", "ipv4", "ipv6", "uuid"}
)
_ANTHROPIC_UNENFORCED: Final = (
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
)


def anthropic_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``schema`` in the subset Anthropic's structured output takes."""
    closed: dict[str, Any] = _anthropic(copy.deepcopy(dict(schema)), "#")
    return closed


def _anthropic(node: Any, where: str) -> Any:
    if isinstance(node, list):
        return [_anthropic(item, f"{where}/{i}") for i, item in enumerate(node)]
    if not isinstance(node, dict):
        return node
    moved = {k: node.pop(k) for k in _ANTHROPIC_UNENFORCED if k in node}
    if node.get("minItems", 0) > 1:
        moved["minItems"] = node.pop("minItems")
    if node.get("format") is not None and node["format"] not in _ANTHROPIC_FORMATS:
        moved["format"] = node.pop("format")
    if node.get("type") == "object" or "properties" in node:
        extra = node.get("additionalProperties", False)
        if extra is not False:
            raise ConfigurationError(
                f"the output schema has an object with free keys (additionalProperties) at "
                f"{where}, such as a dict[str, ...]; Anthropic's structured output closes every "
                "object: use a list of key/value objects instead"
            )
        node["additionalProperties"] = False
    for key, value in list(node.items()):
        if key in ("properties", "$defs"):
            node[key] = {n: _anthropic(s, f"{where}/{key}/{n}") for n, s in value.items()}
        elif key in ("items", "anyOf", "oneOf", "allOf", "prefixItems"):
            node[key] = _anthropic(value, f"{where}/{key}")
    if moved:
        note = "{" + ", ".join(f"{k}: {v}" for k, v in moved.items()) + "}"
        described = node.get("description")
        node["description"] = f"{described}\n\n{note}" if described else note
    return node

"""A JSON Schema brought to OpenAI's strict subset.

OpenAI's strict structured output (Chat ``response_format`` and Responses ``text.format`` with
``strict: true``) takes a subset of JSON Schema: every object lists all its properties in
``required`` and sets ``additionalProperties: false``, and the root is an object (``OutputSpec``
wraps any other root before a schema reaches an adapter). ``strict_schema`` rewrites a schema
to fit:

- every property becomes required; one that was optional becomes nullable (``anyOf`` with
  ``null``, unless it already allowed null): the model sends ``null`` where it would have left
  the property out, and ``drop_forced_nulls`` (``_restore``) removes those nulls again, so the
  field's default applies;
- ``additionalProperties: false`` is added to every object; an object with free keys (a
  ``dict[str, X]``: ``additionalProperties`` with a schema, or ``true``) cannot be expressed;
- a ``$ref`` with siblings is inlined (strict mode refuses the siblings), ``oneOf`` becomes
  ``anyOf``, a one-schema ``allOf`` is merged, and a ``null`` default dropped.

A keyword strict mode refuses (``patternProperties``, ``not``, ``if``, ...) is a
``ConfigurationError`` naming it and where it is, before any request is sent. The caller's
schema is never changed.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Final

from rillet._exceptions import ConfigurationError

__all__ = ["allows_null", "resolve_ref", "strict_schema"]

_REFUSED: Final = (
    "patternProperties",
    "unevaluatedProperties",
    "propertyNames",
    "minProperties",
    "maxProperties",
    "unevaluatedItems",
    "contains",
    "minContains",
    "maxContains",
    "uniqueItems",
    "not",
    "if",
    "then",
    "else",
    "dependentRequired",
    "dependentSchemas",
)


def strict_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``schema`` brought to OpenAI's strict subset (see the module docstring)."""
    root = copy.deepcopy(dict(schema))
    if root.get("type") != "object":
        raise ConfigurationError(
            "OpenAI's strict structured output needs an object at the root of the schema"
        )
    _Strictifier(root).visit(root, ("#",))
    return root


class _Strictifier:
    def __init__(self, root: dict[str, Any]) -> None:
        self._root = root

    def visit(self, node: Any, where: tuple[str, ...]) -> None:
        if not isinstance(node, dict):
            return
        for keyword in _REFUSED:
            if keyword in node:
                raise ConfigurationError(
                    f"the output schema uses {keyword!r} at {_place(where)}, which OpenAI's strict "
                    "structured output cannot express; simplify the schema, or pass "
                    "output_mode='tool' or strict=False"
                )
        if "oneOf" in node:  # strict mode knows anyOf only; for JSON output the same here
            node["anyOf"] = node.pop("oneOf")
        for name, definition in (node.get("$defs") or {}).items():
            self.visit(definition, ("#", "$defs", name))
        ref = node.get("$ref")
        if isinstance(ref, str) and len(node) > 1:
            resolved = copy.deepcopy(resolve_ref(self._root, ref))
            node.pop("$ref")
            node.update({**resolved, **node})
        if node.get("default", 0) is None:
            node.pop("default")
        if "allOf" in node and len(node["allOf"]) == 1:
            node.update({k: v for k, v in node.pop("allOf")[0].items() if k not in node})
        elif "allOf" in node:
            raise ConfigurationError(
                f"the output schema uses 'allOf' with several schemas at {_place(where)}, "
                "which OpenAI's strict structured output cannot express"
            )
        properties = node.get("properties")
        if node.get("type") == "object" or isinstance(properties, dict):
            self._object(node, where)
        items = node.get("items")
        if isinstance(items, dict):
            self.visit(items, (*where, "items"))
        for i, variant in enumerate(node.get("anyOf") or ()):
            self.visit(variant, (*where, "anyOf", str(i)))
        for i, item in enumerate(node.get("prefixItems") or ()):
            self.visit(item, (*where, "prefixItems", str(i)))

    def _object(self, node: dict[str, Any], where: tuple[str, ...]) -> None:
        extra = node.get("additionalProperties", False)
        if extra is not False:
            raise ConfigurationError(
                f"the output schema has an object with free keys (additionalProperties) at "
                f"{_place(where)}, such as a dict[str, ...]; OpenAI's strict structured output "
                "needs every key named: use a list of key/value objects instead"
            )
        node["additionalProperties"] = False
        properties: dict[str, Any] = node.setdefault("properties", {})
        required = set(node.get("required") or ())
        for name, prop in properties.items():
            if name not in required and isinstance(prop, dict) and not allows_null(prop):
                properties[name] = {"anyOf": [prop, {"type": "null"}]}
            self.visit(properties[name], (*where, "properties", name))
        node["required"] = list(properties)


def allows_null(node: Mapping[str, Any]) -> bool:
    kind = node.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    return any(allows_null(v) for v in node.get("anyOf") or () if isinstance(v, dict))


def resolve_ref(root: Mapping[str, Any], ref: str) -> dict[str, Any]:
    if not ref.startswith("#/"):
        raise ConfigurationError(f"the output schema refers to {ref!r}: only local refs work")
    node: Any = root
    for part in ref[2:].split("/"):
        if not isinstance(node, dict) or part not in node:
            raise ConfigurationError(f"the output schema's {ref!r} points nowhere")
        node = node[part]
    if not isinstance(node, dict):
        raise ConfigurationError(f"the output schema's {ref!r} is not a schema")
    return node


def _place(where: tuple[str, ...]) -> str:
    return "the root" if where == ("#",) else "/".join(where)

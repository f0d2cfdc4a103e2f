"""A JSON Schema brought to OpenAI's strict subset, and the value it gives brought back.

OpenAI's strict structured output (Chat ``response_format`` and Responses ``text.format`` with
``strict: true``) takes a subset of JSON Schema: every object lists all its properties in
``required`` and sets ``additionalProperties: false``; the root is an object. ``strict_schema``
rewrites a schema to fit:

- every property becomes required; one that was optional becomes nullable (``anyOf`` with
  ``null``, unless it already allowed null), and ``restore`` later removes the ``null`` the model
  had to send for it, so the field's default applies as if it had been left out;
- ``additionalProperties: false`` is added to every object; an object with free keys (a
  ``dict[str, X]``: ``additionalProperties`` with a schema, or ``true``) cannot be expressed;
- a root that is not an object (``list[Item]``, a union, a string) is wrapped as the one
  property ``value`` of an object, which ``restore`` unwraps;
- a ``$ref`` with siblings is inlined (strict mode refuses the siblings), and a ``null`` default
  dropped.

A keyword strict mode refuses (``patternProperties``, ``not``, ``if``, ...) is a
``ConfigurationError`` naming it and where it is, before any request is sent.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from rillet._exceptions import ConfigurationError

__all__ = ["WRAPPER_KEY", "StrictSchema", "strict_schema"]

WRAPPER_KEY: Final = "value"
"""The property that holds a root which is not an object."""

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


@dataclass(frozen=True)
class StrictSchema:
    """``schema`` as sent; ``restore`` turns a value that fits it into one of the original."""

    schema: dict[str, Any]
    wrapped: bool = False
    """The original root was not an object: the value sits under ``WRAPPER_KEY``."""
    _nulled: frozenset[tuple[str, ...]] = field(default=frozenset(), repr=False)
    """Where a property was made nullable: the object's location (``$defs`` name or
    property path) and the property name, as ``_walk_restore`` meets them."""
    _original: dict[str, Any] = field(default_factory=dict, repr=False)

    def restore(self, value: Any) -> Any:
        """``value`` (parsed JSON fitting ``schema``) as the original schema sees it: unwrapped,
        and without the nulls strictness forced on optional properties."""
        if self.wrapped:
            value = value.get(WRAPPER_KEY) if isinstance(value, dict) else value
        if not self._nulled:
            return value
        return _Restorer(self._original, self._nulled).walk(value, self._original)


def strict_schema(schema: Mapping[str, Any]) -> StrictSchema:
    """``schema`` brought to OpenAI's strict subset (see the module docstring)."""
    original = copy.deepcopy(dict(schema))
    root = copy.deepcopy(original)
    wrapped = root.get("type") != "object" or "anyOf" in root or "oneOf" in root
    if wrapped:
        defs = root.pop("$defs", None)
        root = {"type": "object", "properties": {WRAPPER_KEY: root}, "required": [WRAPPER_KEY]}
        if defs is not None:
            root["$defs"] = defs
    nulled: set[tuple[str, ...]] = set()
    _Strictifier(root, nulled).visit(root, ("#",))
    return StrictSchema(root, wrapped, frozenset(nulled), original)


class _Strictifier:
    def __init__(self, root: dict[str, Any], nulled: set[tuple[str, ...]]) -> None:
        self._root = root
        self._nulled = nulled

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
            resolved = copy.deepcopy(_resolve(self._root, ref))
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
            if name not in required and isinstance(prop, dict) and not _allows_null(prop):
                properties[name] = {"anyOf": [prop, {"type": "null"}]}
                self._nulled.add((*where, name))
            self.visit(properties[name], (*where, "properties", name))
        node["required"] = list(properties)


class _Restorer:
    """Removes the nulls ``_Strictifier`` made the model send, walking the original schema."""

    def __init__(self, original: dict[str, Any], nulled: frozenset[tuple[str, ...]]) -> None:
        self._original = original
        self._nulled = nulled

    def walk(self, value: Any, node: Any, where: tuple[str, ...] = ("#",)) -> Any:
        if not isinstance(node, dict):
            return value
        ref = node.get("$ref")
        if isinstance(ref, str):
            # The definition was made strict (and its nulls recorded) where it is defined,
            # before any copy of it was inlined beside a ref's siblings.
            merged = {**_resolve(self._original, ref), **node}
            merged.pop("$ref")
            return self.walk(value, merged, ("#", *ref[2:].split("/")))
        for i, variant in enumerate(node.get("anyOf") or node.get("oneOf") or ()):
            if _matches_type(value, variant):
                return self.walk(value, variant, (*where, "anyOf", str(i)))
        if isinstance(value, dict):
            properties = node.get("properties") or {}
            out = {}
            for key, item in value.items():
                if item is None and (*where, key) in self._nulled:
                    continue  # optional and left out: its default applies
                sub = properties.get(key)
                out[key] = self.walk(item, sub, (*where, "properties", key)) if sub else item
            return out
        if isinstance(value, list) and isinstance(node.get("items"), dict):
            return [self.walk(item, node["items"], (*where, "items")) for item in value]
        return value


def _allows_null(node: Mapping[str, Any]) -> bool:
    kind = node.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    return any(_allows_null(v) for v in node.get("anyOf") or () if isinstance(v, dict))


def _matches_type(value: Any, node: Any) -> bool:
    if not isinstance(node, dict):
        return False
    if "$ref" in node:
        return isinstance(value, dict)
    kind = node.get("type")
    expected = {"object": dict, "array": list, "string": str, "boolean": bool}.get(str(kind))
    return expected is not None and isinstance(value, expected)


def _resolve(root: Mapping[str, Any], ref: str) -> dict[str, Any]:
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

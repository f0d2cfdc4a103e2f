"""``drop_forced_nulls``: the nulls a strict schema made the model send, taken out again.

In strict mode every property is required, so an optional one is sent as ``null`` when the
model has nothing for it (``_strict``). Validated as is, that ``null`` would fail a field that
does not allow null, or override its default. Walking the caller's own schema, a ``null`` for a
property that is optional there and does not allow null is removed, as if left out. Any other
provider's output passes unchanged: such a ``null`` could only fail validation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rillet.output._strict import allows_null, resolve_ref

__all__ = ["JSON_KINDS", "drop_forced_nulls"]

JSON_KINDS: dict[str, type] = {"object": dict, "array": list, "string": str, "boolean": bool}
"""The JSON Schema ``type`` values a parsed JSON value's Python type tells apart."""


def drop_forced_nulls(value: Any, schema: Mapping[str, Any]) -> Any:
    """``value`` without the nulls of optional, non-nullable properties of ``schema``."""
    return _walk(value, schema, schema, 0)


def _walk(value: Any, node: Any, root: Mapping[str, Any], depth: int) -> Any:
    if not isinstance(node, Mapping) or depth > 64:  # a recursive schema cannot loop forever
        return value
    ref = node.get("$ref")
    if isinstance(ref, str):
        merged = {**resolve_ref(root, ref), **node}
        merged.pop("$ref")
        return _walk(value, merged, root, depth + 1)
    for variant in node.get("anyOf") or node.get("oneOf") or ():
        if _fits_kind(value, variant, root):
            return _walk(value, variant, root, depth + 1)
    if len(node.get("allOf") or ()) == 1:
        return _walk(value, {**node["allOf"][0], **node}, root, depth + 1)
    if isinstance(value, dict):
        properties = node.get("properties") or {}
        required = set(node.get("required") or ())
        out = {}
        for key, item in value.items():
            sub = properties.get(key)
            if (
                item is None
                and key not in required
                and isinstance(sub, Mapping)
                and not allows_null(_resolved(sub, root))
            ):
                continue  # optional and left out: its default applies
            out[key] = _walk(item, sub, root, depth + 1) if sub is not None else item
        return out
    if isinstance(value, list) and isinstance(node.get("items"), Mapping):
        return [_walk(item, node["items"], root, depth + 1) for item in value]
    return value


def _resolved(node: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = node.get("$ref")
    return resolve_ref(root, ref) if isinstance(ref, str) else node


def _fits_kind(value: Any, node: Any, root: Mapping[str, Any]) -> bool:
    if not isinstance(node, Mapping):
        return False
    node = _resolved(node, root)
    kind = node.get("type")
    if kind is None and "properties" in node:
        kind = "object"
    expected = JSON_KINDS.get(str(kind))
    return expected is not None and isinstance(value, expected)

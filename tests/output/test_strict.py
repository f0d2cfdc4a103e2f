"""A schema brought to OpenAI's strict subset: what is sent fits it, what comes back validates
as the caller's type with its defaults, and what cannot fit is refused before any request."""

from __future__ import annotations

from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field

from rillet import ConfigurationError
from rillet.output._restore import drop_forced_nulls
from rillet.output._strict import strict_schema


class Item(BaseModel):
    name: str
    qty: int = 1
    note: str | None = None


class Order(BaseModel):
    items: list[Item]
    rush: bool = False
    best: Item | None = None
    kind: Literal["a", "b"] = "a"


def _objects(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("type") == "object" or "properties" in node:
            found.append(node)
        for value in node.values():
            found += _objects(value)
    elif isinstance(node, list):
        for value in node:
            found += _objects(value)
    return found


def test_every_object_is_closed_and_lists_every_property_as_required() -> None:
    sent = strict_schema(Order.model_json_schema())
    objects = _objects(sent)
    assert len(objects) == 2  # Order and Item
    for node in objects:
        assert node["additionalProperties"] is False
        assert node["required"] == list(node["properties"])


def test_an_optional_property_is_nullable_and_its_null_gives_the_default() -> None:
    schema = Order.model_json_schema()
    item = strict_schema(schema)["$defs"]["Item"]["properties"]
    assert {"type": "null"} in item["qty"]["anyOf"]
    sent = {
        "items": [{"name": "a", "qty": None, "note": None}],
        "rush": None,
        "best": {"name": "b", "qty": 3, "note": None},
        "kind": None,
    }
    order = Order.model_validate(drop_forced_nulls(sent, schema))
    assert order == Order(items=[Item(name="a")], best=Item(name="b", qty=3))
    # A property that allowed null before keeps the model's null.
    assert "note" in order.items[0].model_fields_set


def test_a_root_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="object at the root"):
        strict_schema({"type": "array", "items": {"type": "string"}})


class Tagged(BaseModel):
    tags: dict[str, int]


class Unique(BaseModel):
    tags: list[str] = Field(json_schema_extra={"uniqueItems": True})


@pytest.mark.parametrize(
    ("schema", "named"),
    [
        (Tagged.model_json_schema(), "additionalProperties"),
        (Unique.model_json_schema(), "'uniqueItems'"),
        ({"type": "object", "properties": {"a": {"not": {"type": "string"}}}}, "'not'"),
        ({"type": "object", "patternProperties": {"^x": {}}}, "'patternProperties'"),
        ({"type": "object", "allOf": [{"type": "object"}, {"type": "object"}]}, "'allOf'"),
    ],
)
def test_what_strict_mode_cannot_express_is_refused_by_name(
    schema: dict[str, Any], named: str
) -> None:
    with pytest.raises(ConfigurationError, match=named):
        strict_schema(schema)


def test_a_ref_with_siblings_is_inlined_and_the_caller_schema_is_untouched() -> None:
    schema = {
        "type": "object",
        "properties": {"p": {"$ref": "#/$defs/P", "description": "the p"}},
        "required": ["p"],
        "$defs": {"P": {"type": "object", "properties": {"x": {"type": "integer"}}}},
    }
    before = repr(schema)
    sent = strict_schema(schema)
    assert sent["properties"]["p"]["description"] == "the p"
    assert sent["properties"]["p"]["properties"] == {
        "x": {"anyOf": [{"type": "integer"}, {"type": "null"}]}
    }
    assert "$ref" not in sent["properties"]["p"]
    assert repr(schema) == before
    assert drop_forced_nulls({"p": {"x": None}}, schema) == {"p": {}}


def test_nulls_a_schema_allows_stay() -> None:
    schema = Item.model_json_schema()
    assert drop_forced_nulls({"name": None, "note": None, "qty": None}, schema) == {
        "name": None,  # required: a null here is the model's error, left for validation
        "note": None,
    }

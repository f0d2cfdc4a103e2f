"""Typed partial values as a consumer reads them: the caller's models, holding only what has
arrived, with a way to ask what is complete."""

from __future__ import annotations

import itertools
import json
from typing import Any, TypedDict

import pytest
from pydantic import BaseModel, ConfigDict, Field

from rillet.output._parser import JSONStreamParser
from rillet.output._partial import PartialBuilder, completed


class Item(BaseModel):
    name: str
    qty: int = 1


class Cat(BaseModel):
    meow: str


class Dog(BaseModel):
    woof: str


class Order(BaseModel):
    model_config = ConfigDict(frozen=True)
    items: list[Item]
    note: str | None = Field(default=None, alias="Note")
    best: Item | None = None
    pet: Cat | Dog | None = None


class Row(TypedDict):
    item: Item


def _follow(target: Any, text: str, cuts: int = 1) -> tuple[PartialBuilder, list[Any]]:
    parser, builder = JSONStreamParser(), PartialBuilder(target)
    shown: list[Any] = []
    for start in range(0, len(text), cuts):
        builder.apply(parser.feed(text[start : start + cuts]))
        shown.append(repr(builder.value))
    builder.apply(parser.close())
    return builder, shown


def test_a_model_holds_only_the_fields_seen_and_says_which_are_complete() -> None:
    parser, builder = JSONStreamParser(), PartialBuilder(Order)
    builder.apply(parser.feed('{"items": [{"name": "ab", "qty": 3}, {"name": "c'))
    order = builder.value
    assert isinstance(order, Order)
    assert len(order.items) == 2
    first, second = order.items
    assert (first.name, first.qty) == ("ab", 3)
    assert completed(first) and completed(first, "qty")
    assert second.name == "c" and not completed(second, "name") and not completed(second)
    with pytest.raises(AttributeError):
        _ = second.qty  # not arrived: missing, not defaulted
    assert not completed(order, "items") and not completed(order)
    builder.apply(parser.feed('d"}], "Note": "hi", "best": {"name": "z"}}'))
    builder.apply(parser.close())
    order = builder.value
    assert order.note == "hi"  # the JSON key is the alias, the field its name
    assert completed(order) and completed(order, "note") and completed(order.best)
    assert isinstance(order.best, Item)


def test_a_union_of_models_stays_plain_json_until_validated() -> None:
    builder, _ = _follow(Order, '{"items": [], "pet": {"woof": "w"}}')
    assert builder.value.pet == {"woof": "w"}


@pytest.mark.parametrize(
    ("target", "text", "check"),
    [
        (list[Item], '[{"name": "a"}]', lambda v: isinstance(v[0], Item)),
        (dict[str, Item], '{"k": {"name": "a"}}', lambda v: isinstance(v["k"], Item)),
        (Row, '{"item": {"name": "a"}}', lambda v: isinstance(v["item"], Item)),
        (tuple[int, Item], '[1, {"name": "a"}]', lambda v: isinstance(v[1], Item)),
        (None, '{"a": {"b": [1]}}', lambda v: v == {"a": {"b": [1]}}),
        (str, '"text"', lambda v: v == "text"),
    ],
)
def test_containers_of_models_hold_partial_models(target: Any, text: str, check: Any) -> None:
    builder, _ = _follow(target, text)
    assert check(builder.value)


def test_what_is_shown_never_disappears() -> None:
    text = json.dumps(
        {"items": [{"name": "a\u00e9", "qty": 12}, {"name": "b"}], "Note": "x", "best": None}
    )
    for cuts in (1, 3, 7):
        builder, shown = _follow(Order, text, cuts)
        for before, after in itertools.pairwise(shown):
            for field in ("items", "note", "best", "name", "qty"):
                assert field not in before or field in after
        assert Order.model_validate(json.loads(text)).items[0].name == builder.value.items[0].name


def test_a_final_value_counts_as_complete() -> None:
    assert completed(Item(name="a")) and completed(Item(name="a"), "qty") and completed(3)

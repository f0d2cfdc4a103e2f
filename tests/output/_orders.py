"""The output types the structured-output tests ask for."""

from __future__ import annotations

from pydantic import BaseModel


class Item(BaseModel):
    name: str
    qty: int = 1


class Order(BaseModel):
    items: list[Item]
    note: str | None = None

"""Typed partial values, grown from the parser's events: the caller's models, half filled.

``PartialBuilder(target)`` follows ``JSONStreamParser`` events and keeps one typed tree: an
object whose type is a pydantic model becomes an instance of it holding only the fields seen so
far (the others are missing, not defaulted: reading one is an ``AttributeError``); lists, dicts
and values of any other type stay as JSON gives them. Nothing is validated until the end; the
tree is grown in place, so reading it after every delta costs only the open string.

``completed(obj)`` says whether a partial model is whole, ``completed(obj, "name")`` whether
one field's value is. A partial model is an instance of a cached subclass of the caller's model
(same name, one slot more for what is complete), so ``isinstance`` holds.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, Union

from pydantic import BaseModel

from rillet.output._parser import OutputEvent

__all__ = ["PartialBuilder", "completed"]

_WHOLE = "__whole__"  # in a partial model's completion set: the object itself is complete
_PARTIAL_CLASSES: dict[type[BaseModel], type[BaseModel]] = {}


def completed(obj: object, field: str | None = None) -> bool:
    """Whether the partial model ``obj`` (or its ``field``) is complete. A value that is not a
    partial model (a final output, or a plain value) is complete."""
    done = getattr(obj, "_rillet_done", None)
    if done is None:
        return True
    return (field if field is not None else _WHOLE) in done


class PartialBuilder:
    """The typed partial value of ``target`` (a type, or ``None`` for plain JSON)."""

    __slots__ = ("_open_string", "_pieces", "_root", "_stack", "_target")

    def __init__(self, target: Any) -> None:
        self._target = target
        self._root: Any = None
        # One entry per open container: (the container, its type, its field names by JSON key).
        self._stack: list[tuple[Any, Any, Mapping[str, str] | None]] = []
        self._pieces: list[str] = []
        self._open_string: tuple[str | int, ...] | None = None

    @property
    def value(self) -> Any:
        """The partial value: the open string shows what has arrived of it."""
        if self._open_string is not None:
            text = "".join(self._pieces)
            self._pieces = [text]
            self._place(self._open_string, text, done=False)
        return self._root

    def apply(self, events: Sequence[OutputEvent]) -> None:
        for event in events:
            value = event.value
            if isinstance(value, str):
                self._pieces.append(value)
                if event.done:
                    self._place(event.path, "".join(self._pieces), done=True)
                    self._pieces = []
                    self._open_string = None
                else:
                    self._open_string = event.path
            elif isinstance(value, dict | list):
                if event.done:
                    container = self._stack.pop()[0]
                    if hasattr(container, "_rillet_done"):
                        container._rillet_done.add(_WHOLE)
                    self._mark_done(event.path)
                else:
                    self._open(event.path, isinstance(value, dict))
            else:
                self._place(event.path, value, done=True)

    # -- the tree --------------------------------------------------------------------------

    def _type_at(self, path: tuple[str | int, ...]) -> Any:
        if not path:
            return self._target
        _, kind, names = self._stack[-1]
        return _child_type(kind, path[-1], names)

    def _open(self, path: tuple[str | int, ...], is_object: bool) -> None:
        kind = self._type_at(path)
        model = _model_class(kind) if is_object else None
        container: Any
        if model is not None:
            container = _empty_partial(model)
            names = _json_names(model)
        else:
            container = {} if is_object else []
            names = None
        self._place(path, container, done=False)
        self._stack.append((container, kind if model is None else model, names))

    def _place(self, path: tuple[str | int, ...], value: Any, *, done: bool) -> None:
        if not path:
            self._root = value
            return
        parent, _, names = self._stack[-1]
        key = path[-1]
        if isinstance(parent, list):
            if key == len(parent):
                parent.append(value)
            else:
                parent[key] = value  # type: ignore[index]
        elif isinstance(parent, dict):
            parent[key] = value
        else:  # a partial model
            name = _field_name(names, key)
            parent.__dict__[name] = value
            parent.__pydantic_fields_set__.add(name)
            if done:
                parent._rillet_done.add(name)

    def _mark_done(self, path: tuple[str | int, ...]) -> None:
        if not path:
            return
        parent, _, names = self._stack[-1]
        if hasattr(parent, "_rillet_done"):
            parent._rillet_done.add(_field_name(names, path[-1]))


def _field_name(names: Mapping[str, str] | None, key: str | int) -> str:
    return names.get(str(key), str(key)) if names else str(key)


def _empty_partial(model: type[BaseModel]) -> BaseModel:
    partial = _PARTIAL_CLASSES.get(model)
    if partial is None:
        namespace = {
            "__slots__": ("_rillet_done",),
            "__module__": model.__module__,
            "__qualname__": model.__qualname__,
            "__doc__": f"A partial {model.__name__}: only the fields seen so far.",
        }
        partial = _PARTIAL_CLASSES[model] = type(model.__name__, (model,), namespace)
    instance = partial.__new__(partial)
    for name, value in (
        ("__dict__", {}),
        ("__pydantic_fields_set__", set()),
        ("__pydantic_extra__", None),
        ("__pydantic_private__", None),
        ("_rillet_done", set()),
    ):
        object.__setattr__(instance, name, value)
    return instance


def _json_names(model: type[BaseModel]) -> dict[str, str]:
    """Field names by the key JSON carries (the validation alias, when it is a plain name)."""
    names = {}
    for name, info in model.model_fields.items():
        alias = info.validation_alias if isinstance(info.validation_alias, str) else info.alias
        names[alias or name] = name
    return names


def _child_type(kind: Any, key: str | int, names: Mapping[str, str] | None) -> Any:
    """The declared type of ``kind``'s member ``key``; ``None`` when it cannot be told."""
    kind = _unwrap(kind)
    if kind is None:
        return None
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        field = kind.model_fields.get(names.get(str(key), str(key)) if names else str(key))
        return field.annotation if field else None
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (list, set, frozenset) or origin is Sequence:
        return args[0] if args else None
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return args[0]
        return args[key] if isinstance(key, int) and key < len(args) else None
    if origin is dict or origin is Mapping:
        return args[1] if len(args) == 2 else None
    if typing.is_typeddict(kind):
        return typing.get_type_hints(kind).get(str(key))
    return None


def _unwrap(kind: Any) -> Any:
    """``X`` for ``X | None`` and ``Annotated[X, ...]``; ``None`` for other unions, whose member
    the partial value cannot yet tell."""
    while True:
        origin = typing.get_origin(kind)
        if origin is typing.Annotated:
            kind = typing.get_args(kind)[0]
        elif origin is Union or origin is types.UnionType:
            members = [a for a in typing.get_args(kind) if a is not type(None)]
            if len(members) != 1:
                return None
            kind = members[0]
        else:
            return kind


def _model_class(kind: Any) -> type[BaseModel] | None:
    kind = _unwrap(kind)
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return kind
    return None

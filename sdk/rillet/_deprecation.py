"""Renamed public names keep working for one release, each use warning with the new name."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Generic, TypeVar, cast, overload

__all__ = ["RenamedAttribute", "renamed_attributes", "warn_renamed"]

T = TypeVar("T")


def warn_renamed(old: str, new: str, *, stacklevel: int = 3) -> None:
    """A ``DeprecationWarning`` pointing at the caller of the function that calls this one."""
    warnings.warn(
        f"{old} is deprecated: use {new} (the old name goes in the next release)",
        DeprecationWarning,
        stacklevel=stacklevel,
    )


def renamed_attributes(
    module: str, renames: Mapping[str, tuple[str, object]]
) -> Callable[[str], object]:
    """A module ``__getattr__`` that resolves each old name of ``renames`` (old -> (new name,
    object)) to the object, with a warning. Assign it under ``if not TYPE_CHECKING``: type
    checkers would otherwise accept any attribute of the module."""

    def __getattr__(name: str) -> object:
        renamed = renames.get(name)
        if renamed is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        new, value = renamed
        warn_renamed(f"{module}.{name}", f"{module}.{new}")
        return value

    return __getattr__


class RenamedAttribute(Generic[T]):
    """An instance attribute's old name, reading and writing the attribute ``new`` with a
    warning: ``request_options = RenamedAttribute[dict[str, Any]]("request_fields")``."""

    def __init__(self, new: str) -> None:
        self._new = new
        self._old = new

    def __set_name__(self, owner: type, name: str) -> None:
        self._old = f"{owner.__name__}.{name}"
        self._new_qualified = f"{owner.__name__}.{self._new}"

    @overload
    def __get__(self, instance: None, owner: type) -> RenamedAttribute[T]: ...

    @overload
    def __get__(self, instance: object, owner: type) -> T: ...

    def __get__(self, instance: object, owner: type) -> RenamedAttribute[T] | T:
        if instance is None:
            return self
        warn_renamed(self._old, self._new_qualified)
        return cast(T, getattr(instance, self._new))

    def __set__(self, instance: object, value: T) -> None:
        warn_renamed(self._old, self._new_qualified)
        setattr(instance, self._new, value)

"""Renamed public names keep working for one release, each use warning with the new name."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping

__all__ = ["renamed_attributes", "warn_renamed"]


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

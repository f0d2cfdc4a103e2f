"""The plain ``A | B`` union inside a generated union alias.

``scripts/codegen`` writes the protocol's unions (``StreamChunk``, ``AgentEvent``) as type
aliases of ``Annotated[A | B | ..., Field(discriminator=...)]``, so the schema's ``oneOf`` is the
one list of their kinds. A type alias object cannot be given to ``isinstance``, and the public
unions always could: at run time they are the union inside the alias, while type checkers see
the alias itself.
"""

from __future__ import annotations

from typing import Any, get_args

from typing_extensions import TypeAliasType

__all__ = ["union_of"]


def union_of(alias: TypeAliasType) -> Any:
    """``A | B | ...`` for an alias of ``Annotated[A | B | ..., ...]``."""
    union, *_metadata = get_args(alias.__value__)
    return union

"""A datamodel-codegen formatter (``--custom-formatters``) for the generated TypedDicts.

datamodel-codegen imports ``Required`` and ``NotRequired`` from ``typing`` whatever the target
version, and Python 3.10 has neither there (pydantic also reads TypedDicts only from
``typing_extensions`` before Python 3.12): this moves them to the ``typing_extensions`` import,
keeping the imports as ruff sorts them. Custom formatters run after ruff.
"""

from __future__ import annotations

import re

from datamodel_code_generator.format import CustomCodeFormatter

_FROM_EXTENSIONS = frozenset({"TypedDict", "Required", "NotRequired"})
_TYPING = re.compile(r"^from typing import (.+)\n", re.MULTILINE)
_EXTENSIONS = re.compile(r"^from typing_extensions import (.+)\n", re.MULTILINE)


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",")]


class CodeFormatter(CustomCodeFormatter):
    def apply(self, code: str) -> str:
        typing = _TYPING.search(code)
        if typing is None:
            return code
        names = _names(typing.group(1))
        moved = {name for name in names if name in _FROM_EXTENSIONS}
        if not moved:
            return code
        kept = [name for name in names if name not in moved]
        extensions = _EXTENSIONS.search(code)
        if extensions is not None:
            moved.update(_names(extensions.group(1)))
            code = code[: extensions.start()] + code[extensions.end() :]
        line = f"from typing_extensions import {', '.join(sorted(moved))}\n"
        if kept:
            line = f"from typing import {', '.join(kept)}\n\n{line}"
        rest = code[typing.end() :].lstrip("\n")  # imports end here: two blank lines follow
        return f"{code[: typing.start()]}{line}\n\n{rest}"

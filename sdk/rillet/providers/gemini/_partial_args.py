"""Gemini 3 streamed call arguments (``partialArgs``) -> the JSON text of the arguments, as it comes.

With ``streamFunctionCallArguments`` a call's arguments arrive as values at JSON paths
(RFC 9535: ``$.city``, ``$.stops[1].name``, ``$['a key']``), in document order, a string
possibly in several pieces (``willContinue`` on every piece but the last). ``ArgumentsWriter``
turns each value into the next piece of the arguments' JSON text, so the pieces concatenated
are the text of the final object: it keeps the stack of objects and arrays open along the last
path, closes those the next path leaves and opens those it enters. A string is written open
(its quote, then each piece escaped on its own) and closed by its last piece, by a value at
another path, or by ``close``. Pure: no I/O.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from rillet._exceptions import MalformedStreamError

__all__ = ["NULL", "ArgumentsWriter", "Scalar", "Segment", "parse_json_path"]

Segment = str | int
"""An object member name, or an array index."""


class _Null:
    """JSON null as a value to write (``None`` means "no value": the end of an open string)."""

    def __repr__(self) -> str:
        return "NULL"


NULL = _Null()
Scalar = str | float | bool | _Null

_NAME = r"[A-Za-z_\u0080-\U0010ffff][\w\u0080-\U0010ffff]*"  # RFC 9535 member-name-shorthand
_SEGMENT = re.compile(
    rf"""\.(?P<name>{_NAME})|\[(?P<index>\d+)\]|\['(?P<single>(?:[^'\\]|\\.)*)'\]"""
    r"""|\["(?P<double>(?:[^"\\]|\\.)*)"\]"""
)
_EXACT_INTEGERS = 2**53  # doubles below this are whole numbers exactly: written without ".0"


def parse_json_path(path: str) -> tuple[Segment, ...]:
    """The segments of ``path`` (``$`` then ``.name``, ``['name']``, ``["name"]`` or ``[0]``)."""
    if not path.startswith("$"):
        raise _bad_path(path)
    segments: list[Segment] = []
    at = 1
    while at < len(path):
        match = _SEGMENT.match(path, at)
        if match is None:
            raise _bad_path(path)
        at = match.end()
        if match["name"] is not None:
            segments.append(match["name"])
        elif match["index"] is not None:
            segments.append(int(match["index"]))
        else:
            single = match["single"]
            if single is not None:  # in '...', a ' is escaped and a " is not: as in "..." then
                segments.append(_unescape(single.replace("\\'", "'").replace('"', '\\"')))
            else:
                segments.append(_unescape(match["double"]))
    if not segments:
        raise _bad_path(path)
    return tuple(segments)


@dataclass
class _Container:
    is_array: bool
    entries: int = 0


class ArgumentsWriter:
    """One streamed call's arguments: ``write`` each value, then ``close``; the texts they
    return, concatenated, are the JSON text of the arguments object."""

    def __init__(self) -> None:
        self._stack = [_Container(is_array=False)]  # the arguments object, then what is open in it
        self._path: list[Segment] = []  # the segments that lead to the innermost open container
        self._open_string: tuple[Segment, ...] | None = None
        self._started = False

    def write(self, path: tuple[Segment, ...], value: Scalar | None, *, more: bool = False) -> str:
        """The text for ``value`` at ``path``; ``more``: another piece of this string follows.
        ``None`` writes nothing but ends a string left open at ``path``."""
        out: list[str] = []
        if not self._started:
            self._started = True
            out.append("{")
        if self._open_string is not None:
            if path == self._open_string and (value is None or isinstance(value, str)):
                if value is not None:
                    out.append(_escaped(value))
                if not more:
                    out.append('"')
                    self._open_string = None
                return "".join(out)
            out.append('"')
            self._open_string = None
        if value is None:
            return "".join(out)
        self._enter(path, out)
        if isinstance(value, str):
            out.append('"')
            out.append(_escaped(value))
            if more:
                self._open_string = path
            else:
                out.append('"')
        else:
            out.append(_scalar(value))
        return "".join(out)

    def close(self) -> str:
        """The text that ends the arguments: an open string's quote, then every bracket."""
        if not self._started:
            return "{}"
        out = ['"'] if self._open_string is not None else []
        self._open_string = None
        out.extend("]" if container.is_array else "}" for container in reversed(self._stack))
        self._stack = []
        return "".join(out)

    def _enter(self, path: tuple[Segment, ...], out: list[str]) -> None:
        """Close what ``path`` leaves, open what it enters, and write its member name."""
        *containers, leaf = path
        common = 0
        for had, wants in zip(self._path, containers, strict=False):
            if had != wants:
                break
            common += 1
        while len(self._path) > common:
            out.append("]" if self._stack.pop().is_array else "}")
            self._path.pop()
        for depth in range(common, len(containers)):
            segment = containers[depth]
            self._entry(segment, path, out)
            inner = containers[depth + 1] if depth + 1 < len(containers) else leaf
            opens_array = isinstance(inner, int)
            out.append("[" if opens_array else "{")
            self._stack.append(_Container(is_array=opens_array))
            self._path.append(segment)
        self._entry(leaf, path, out)

    def _entry(self, segment: Segment, path: tuple[Segment, ...], out: list[str]) -> None:
        """The separator and member name before one more entry of the innermost container."""
        container = self._stack[-1]
        if container.is_array != isinstance(segment, int):
            raise MalformedStreamError(
                f"Gemini partialArgs path {_render(path)!r} puts "
                + ("a member name into an array" if container.is_array else "an index on an object")
            )
        if container.entries:
            out.append(",")
        container.entries += 1
        if isinstance(segment, str):
            out.append(json.dumps(segment, ensure_ascii=False))
            out.append(":")


def _escaped(piece: str) -> str:
    """``piece`` as it sits inside a JSON string (each character escapes on its own)."""
    return json.dumps(piece, ensure_ascii=False)[1:-1]


def _scalar(value: float | bool | _Null) -> str:
    if isinstance(value, _Null):
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value.is_integer() and abs(value) < _EXACT_INTEGERS:
        return str(int(value))  # numberValue is a double on the wire: 3 arrives as 3.0
    return json.dumps(value)


def _unescape(quoted: str) -> str:
    try:
        name: str = json.loads(f'"{quoted}"')  # a JSON string literal: always a str
    except ValueError:
        raise _bad_path(quoted) from None
    return name


def _render(path: tuple[Segment, ...]) -> str:
    return "$" + "".join(f"[{s}]" if isinstance(s, int) else f"[{s!r}]" for s in path)


def _bad_path(path: str) -> MalformedStreamError:
    return MalformedStreamError(f"Gemini partialArgs has a jsonPath rillet cannot read: {path!r}")

"""``JSONStreamParser``: JSON text read delta by delta, each character once, as field events.

A model streams structured output (and tool arguments) as text fragments cut anywhere: inside a
string, an escape, a surrogate pair, a number, a literal. The usual way to show the partial
value is to re-parse the whole text after every delta, which costs the square of the output's
length and cannot tell a finished field from one still arriving. This parser keeps its state
between deltas instead:

- ``feed(delta)`` returns the ``OutputEvent``s the delta completes or extends: for a string,
  each new fragment of its text (``done`` on the closing quote); for a number, ``true``,
  ``false`` or ``null``, its value once complete (a number at the end of the text so far, such as
  ``-3.5e``, is held back until a character after it shows it is whole); for an object or an
  array, an event when it opens (``value`` the empty container, not done) and one when it closes
  (``value`` the complete container, done).
- ``value`` is the partial value so far: fields not yet seen are absent, fields once shown never
  disappear, and the open string shows the text received. It is one live tree, grown in place,
  so reading it after every delta costs nothing beyond the open string.
- ``close()`` says the text has ended: a value still open is an ``IncompleteJSON`` error.

The grammar is strict JSON (RFC 8259): no ``NaN``, no leading zeros, no control characters in
strings; of repeated keys the last wins, as in ``json.loads``, and lone surrogates are kept as
``json.loads`` keeps them. Long runs (string text, whitespace, digits) are matched by compiled
regular expressions, so the Python loop runs once per token, not per character.
"""

from __future__ import annotations

import re
from typing import Any, Final, NamedTuple

__all__ = ["IncompleteJSON", "InvalidJSON", "JSONPath", "JSONStreamParser", "OutputEvent"]

JSONPath = tuple[str | int, ...]


class OutputEvent(NamedTuple):
    """One step of a streamed JSON value: ``path`` is where (``("items", 3, "name")``; ``()``
    for the whole value), ``value`` what arrived (see ``JSONStreamParser``), ``done`` whether
    the value at ``path`` is now complete. (A named tuple: one is made per token, and a tuple
    costs a fraction of a frozen dataclass.)"""

    path: JSONPath
    value: Any
    done: bool


class InvalidJSON(ValueError):
    """The text is not JSON; ``position`` is the offset of the offending character."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} at character {position}")
        self.position = position


class IncompleteJSON(InvalidJSON):
    """The text ended before its value did."""


_WHITESPACE: Final = re.compile(r"[ \t\n\r]*")
_STRING_RUN: Final = re.compile(r'[^"\\\x00-\x1f]*')
_NUMBER: Final = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_NUMBER_PREFIX: Final = re.compile(r"-|-?(?:0|[1-9][0-9]*)(?:\.|(?:\.[0-9]+)?[eE][-+]?)")
_HEX4: Final = re.compile(r"[0-9a-fA-F]{4}")
_LOW_PREFIX: Final = re.compile(r"(?:\\(?:u[0-9a-fA-F]{0,3})?)?")
_ESCAPES: Final = {
    '"': '"',
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}
_LITERALS: Final[dict[str, tuple[str, object]]] = {
    "true": ("true", True),
    "false": ("false", False),
    "null": ("null", None),
}
_LITERAL_WORDS: Final = {"t": "true", "f": "false", "n": "null"}
_TOKEN: Final = re.compile(
    r'[ \t\n\r]*(?:(")([^"\\\x00-\x1f]*)(")?|([\[{])|([\]}])|(,)|(:)|([-0-9][-+0-9.eE]*)|([tfn][a-z]*)|)'
)
# _TOKEN's groups, by ``lastindex``
_BODY, _CLOSE_QUOTE, _OPEN, _CLOSE, _COMMA, _COLON_TOKEN, _NUMBER_RUN = 2, 3, 4, 5, 6, 7, 8

# What the innermost open container expects next.
_VALUE, _KEY_OR_END, _KEY, _COLON, _COMMA_OR_END, _VALUE_OR_END, _END = range(7)


class JSONStreamParser:
    """One JSON value, fed as text deltas; see the module docstring."""

    __slots__ = (
        "_containers",
        "_expect",
        "_held",
        "_in_key",
        "_in_string",
        "_keys",
        "_offset",
        "_pieces",
        "_root",
        "_root_set",
    )

    def __init__(self) -> None:
        self._held = ""  # text kept back: a number, literal or escape not yet whole
        self._offset = 0  # characters consumed before ``_held``
        self._expect = _VALUE
        self._containers: list[dict[str, Any] | list[Any]] = []
        self._keys: list[str | int] = []  # the path: a key or index per open container
        self._in_string = False
        self._in_key = False
        self._pieces: list[str] = []
        self._root: Any = None
        self._root_set = False

    # -- reading ---------------------------------------------------------------------------

    @property
    def started(self) -> bool:
        """Whether any value has begun (a number or literal held back counts)."""
        return self._root_set or self._in_string or bool(self._held)

    @property
    def complete(self) -> bool:
        """Whether the value is whole (only whitespace may follow)."""
        return self._expect == _END

    @property
    def value(self) -> Any:
        """The partial value so far (``None`` before anything began): a live tree, grown in
        place; copy it to keep a snapshot."""
        if self._in_string and not self._in_key:
            text = "".join(self._pieces)
            self._pieces = [text]
            if not self._containers:
                return text
            self._store(text)
        return self._root

    def feed(self, delta: str) -> list[OutputEvent]:
        """The events ``delta`` completes or extends; ``InvalidJSON`` if it breaks the grammar."""
        if self._in_string and not self._held and not self._in_key:
            run = _STRING_RUN.match(delta).end()  # type: ignore[union-attr]
            if run == len(delta):  # the most common delta: more of the open string's text
                if delta:
                    self._pieces.append(delta)
                    self._offset += run
                    return [OutputEvent(tuple(self._keys), delta, False)]
                return []
        events: list[OutputEvent] = []
        text = self._held + delta if self._held else delta
        self._held = ""
        end = len(text)
        position = self._parse(text, 0, end, events, final=False)
        self._held = text[position:]
        self._offset += position
        return events

    def close(self) -> list[OutputEvent]:
        """The events the end of the text completes (a number held back); ``IncompleteJSON``
        when the value is not whole."""
        events: list[OutputEvent] = []
        text, self._held = self._held, ""
        position = self._parse(text, 0, len(text), events, final=True)
        self._offset += position
        if self._expect != _END or self._in_string:
            raise IncompleteJSON("the JSON text ended before its value", self._offset)
        return events

    # -- the state machine -----------------------------------------------------------------

    def _parse(self, text: str, i: int, end: int, events: list[OutputEvent], final: bool) -> int:
        """Consume ``text[i:end]``; return where the unconsumed rest (held back) starts.

        One match of ``_TOKEN`` skips the whitespace and reads the next token whole: a string
        without escapes in one step, a number's or literal's characters, or one bracket,
        comma or colon. A string with an escape, or cut by the end of the text, goes on in
        ``_string``.
        """
        token = _TOKEN.match
        while i < end:
            if self._in_string:
                i = self._string(text, i, end, events, final)
                if self._in_string:
                    return i
                continue
            match = token(text, i)
            kind = match.lastindex  # type: ignore[union-attr]
            position = match.start(kind or 0)  # type: ignore[union-attr]
            expect = self._expect
            if kind is None:
                i = match.end()  # type: ignore[union-attr]
                if i >= end:
                    return i
                raise InvalidJSON(f"unexpected {text[i]!r}", self._offset + i)
            if kind <= _CLOSE_QUOTE:  # a string
                if expect in (_KEY_OR_END, _KEY):
                    key = True
                elif expect in (_VALUE, _VALUE_OR_END):
                    key = False
                else:
                    quote = match.start(1)  # type: ignore[union-attr]
                    raise InvalidJSON("unexpected string", self._offset + quote)
                if kind == _CLOSE_QUOTE:
                    body = match.group(_BODY)  # type: ignore[union-attr]
                    if key:
                        self._keys.append(body)
                        self._expect = _COLON
                    else:
                        self._begin_value()
                        self._store(body)
                        events.append(OutputEvent(tuple(self._keys), body, True))
                        self._after_value()
                    i = match.end()  # type: ignore[union-attr]
                else:  # an escape, or the end of the text: character by character
                    self._open_string(events, key=key)
                    i = match.start(1) + 1  # type: ignore[union-attr]
            elif kind == _OPEN:
                if expect not in (_VALUE, _VALUE_OR_END):
                    raise InvalidJSON(f"unexpected {text[position]!r}", self._offset + position)
                self._open_container({} if text[position] == "{" else [], events)
                i = position + 1
            elif kind == _CLOSE:
                container = self._containers[-1] if self._containers else None
                if isinstance(container, dict):
                    fits = text[position] == "}" and expect in (_KEY_OR_END, _COMMA_OR_END)
                else:
                    fits = text[position] == "]" and expect in (_VALUE_OR_END, _COMMA_OR_END)
                if container is None or not fits:
                    raise InvalidJSON(f"unexpected {text[position]!r}", self._offset + position)
                i = self._close_container(position, events)
            elif kind == _COMMA:
                if expect != _COMMA_OR_END:
                    raise InvalidJSON("unexpected ','", self._offset + position)
                self._expect = _KEY if isinstance(self._containers[-1], dict) else _VALUE
                i = position + 1
            elif kind == _COLON_TOKEN:
                if expect != _COLON:
                    raise InvalidJSON("unexpected ':'", self._offset + position)
                self._expect = _VALUE
                i = position + 1
            else:  # a number or a literal: its characters up to the first that cannot go on
                if expect not in (_VALUE, _VALUE_OR_END):
                    raise InvalidJSON(f"unexpected {text[position]!r}", self._offset + position)
                run_end = match.end()  # type: ignore[union-attr]
                run = text[position:run_end]
                if kind == _NUMBER_RUN:
                    if run_end == end and not final:
                        return position  # the number may go on: hold it back
                    if _NUMBER.fullmatch(run) is None:
                        if final and run_end == end and _NUMBER_PREFIX.fullmatch(run):
                            raise IncompleteJSON(
                                "the text ended inside a number", self._offset + position
                            )
                        raise InvalidJSON("invalid number", self._offset + position)
                    self._scalar(_number(run, self._offset + position), events)
                else:
                    literal = _LITERALS.get(run)
                    if literal is None:
                        word = _LITERAL_WORDS[run[0]]
                        if run_end == end and word.startswith(run):
                            if final:
                                raise IncompleteJSON(
                                    f"the text ended inside {word}", self._offset + position
                                )
                            return position  # the literal's rest comes in a later delta
                        raise InvalidJSON(f"expected {word}", self._offset + position)
                    self._scalar(literal[1], events)
                i = run_end
        return i

    def _string(self, text: str, i: int, end: int, events: list[OutputEvent], final: bool) -> int:
        """Consume string text from ``i``; return where to go on (held back if an escape is
        cut)."""
        pieces = self._pieces
        new: list[str] = []
        while True:
            run_end = _STRING_RUN.match(text, i).end()  # type: ignore[union-attr]
            if run_end > i:
                new.append(text[i:run_end])
                i = run_end
            if i >= end:
                break
            char = text[i]
            if char == '"':
                self._in_string = False
                i += 1
                break
            if char != "\\":
                raise InvalidJSON("a control character inside a string", self._offset + i)
            escaped, consumed = self._escape(text, i, end, final)
            if consumed == 0:
                break  # the escape is cut: hold it back
            new.append(escaped)
            i += consumed
        fragment = "".join(new)
        if self._in_key:
            pieces.append(fragment)
            if not self._in_string:
                self._keys[-1] = "".join(pieces)
                self._pieces = []
                self._in_key = False
                self._expect = _COLON
            return i
        if fragment:
            pieces.append(fragment)
        if not self._in_string:
            value = "".join(pieces)
            self._pieces = []
            events.append(OutputEvent(tuple(self._keys), fragment, True))
            self._store(value)
            self._after_value()
        elif fragment:
            events.append(OutputEvent(tuple(self._keys), fragment, False))
        return i

    def _escape(self, text: str, i: int, end: int, final: bool) -> tuple[str, int]:
        """The character the escape at ``i`` stands for and its length; ``("", 0)`` if cut."""
        if i + 1 >= end:
            return self._cut(i, final)
        kind = text[i + 1]
        if kind != "u":
            if kind not in _ESCAPES:
                raise InvalidJSON(f"invalid escape \\{kind}", self._offset + i)
            return _ESCAPES[kind], 2
        if i + 6 > end:
            return self._cut(i, final)
        if _HEX4.fullmatch(text, i + 2, i + 6) is None:
            raise InvalidJSON("invalid \\u escape", self._offset + i)
        code = int(text[i + 2 : i + 6], 16)
        if 0xD800 <= code <= 0xDBFF:
            # A high surrogate: with the low one after it, one character (as json.loads does).
            if not final and i + 12 > end and _LOW_PREFIX.fullmatch(text, i + 6, end):
                return "", 0  # what follows may yet be the low surrogate
            if text.startswith("\\u", i + 6) and _HEX4.fullmatch(text, i + 8, i + 12):
                low = int(text[i + 8 : i + 12], 16)
                if 0xDC00 <= low <= 0xDFFF:
                    return chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)), 12
        return chr(code), 6

    def _cut(self, i: int, final: bool) -> tuple[str, int]:
        if final:
            raise IncompleteJSON("the JSON text ended inside an escape", self._offset + i)
        return "", 0

    # -- the tree --------------------------------------------------------------------------

    def _open_string(self, events: list[OutputEvent], *, key: bool) -> None:
        self._in_string = True
        self._in_key = key
        self._pieces = []
        if key:
            self._keys.append("")
        else:
            self._begin_value()
            self._store("")

    def _begin_value(self) -> None:
        """Put the index of a new array element on the path."""
        if self._containers and isinstance(self._containers[-1], list):
            self._keys.append(len(self._containers[-1]))

    def _store(self, value: Any) -> None:
        """Set the value at the current path (a new array element is appended once)."""
        if not self._containers:
            self._root, self._root_set = value, True
            return
        container = self._containers[-1]
        key = self._keys[-1]
        if isinstance(container, list):
            assert isinstance(key, int)
            if key == len(container):
                container.append(value)
            else:
                container[key] = value
        else:
            container[key] = value  # type: ignore[index]

    def _scalar(self, value: object, events: list[OutputEvent]) -> None:
        self._begin_value()
        self._store(value)
        events.append(OutputEvent(tuple(self._keys), value, True))
        self._after_value()

    def _open_container(
        self, container: dict[str, Any] | list[Any], events: list[OutputEvent]
    ) -> None:
        self._begin_value()
        self._store(container)
        events.append(OutputEvent(tuple(self._keys), container, False))
        self._containers.append(container)
        self._expect = _KEY_OR_END if isinstance(container, dict) else _VALUE_OR_END

    def _close_container(self, i: int, events: list[OutputEvent]) -> int:
        container = self._containers.pop()
        events.append(OutputEvent(tuple(self._keys), container, True))
        self._after_value()
        return i + 1

    def _after_value(self) -> None:
        """A value at the current path is complete: leave its place on the path."""
        if not self._containers:
            self._expect = _END
            return
        self._keys.pop()  # the key or index of the value just ended
        self._expect = _COMMA_OR_END


def _number(text: str, position: int) -> int | float:
    if "." in text or "e" in text or "E" in text:
        value = float(text)
        if value in (float("inf"), float("-inf")):
            raise InvalidJSON(f"{text} is too large for a number", position)
        return value
    try:
        return int(text)
    except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
        raise InvalidJSON(f"a number of {len(text)} digits is too long", position) from None

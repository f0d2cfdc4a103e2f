"""A pure, incremental splitter for a JSON array streamed over time (Gemini without ``alt=sse``).

Each top-level element is handed out, as text, the moment its last byte arrives: an object or
array at its closing bracket, a string at its closing quote (the comma after an element comes
with the *next* one, so waiting for it would hold every element back a whole generation step),
a bare number or literal at the delimiter after it (such scalars are left to the tokenizer).
Elements are not validated here: the adapters validate them (with ``parse_element``, the
adapter's validation is the layout scanner's proof, below, and a read's elements then come out
at most 32 a call, the rest ``pending`` for ``feed(b"")``, so that what the parser built is not
held for a whole read).

Two scanners share the work. Between elements, the C JSON scanner (``raw_decode``) takes every
element already complete in the buffer at C speed, the usual case as the server writes one
element at a time. When an element is still incomplete, a resumable tokenizer takes over: a
regex finds the next bracket or comma or skips a whole string in one C-level step, so its Python
loop runs once per token, never once per byte, and resumes where it stopped (a body dripped one
byte at a time costs no rescans).

A body that is not an array (a single object, say an error) is kept whole and handed out as one
element at end of stream rather than lost.

A third scanner, tried first, makes the pretty-printed layout Gemini sends cheap: there each
object element ends with a ``}`` at the start of a line. Raw line feeds never occur inside JSON
strings, so a ``\n}`` after an element's ``{`` is a closing brace outside any string, and when
pydantic-core's parser accepts the bytes up to it as exactly one object (nothing left over),
that brace is provably the element's end (a proper prefix of an object is never an object).
This costs a parse that builds no Python object, far less than ``raw_decode``, which builds them.
Whatever it cannot prove goes to the scanners above (after a few misses, a stream of another
layout stops trying).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from pydantic_core import SchemaValidator, ValidationError, core_schema

from rillet._exceptions import EventTooLargeError, MalformedStreamError
from rillet.transport._frame import Frame, UnsealedFrame, seal
from rillet.transport._sse import DEFAULT_MAX_EVENT_BYTES

__all__ = ["ElementParser", "JSONArrayDecoder"]

ElementParser = Callable[[bytes | bytearray], object]
"""An adapter's validation of one JSON-array element (pydantic's ``validate_json``): its
result, or pydantic's ``ValidationError`` for anything else."""

# A bracket, a comma, or a whole string; ``(")?`` is empty when the string is not closed yet
# (the greedy body stops only at a quote, or before a lone backslash at the end of the buffer).
_TOKEN = re.compile(rb'[\[\]{},]|"[^"\\]*(?:\\.[^"\\]*)*(")?', re.DOTALL)
# The rest of a string whose start arrived in an earlier chunk.
_STRING_REST = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*(")?', re.DOTALL)
_SPACE = b" \t\r\n"
_SCAN_ONCE = json.JSONDecoder().raw_decode
_QUOTE, _COMMA, _OPEN_ARRAY, _CLOSE_ARRAY, _OPEN_OBJECT, _CLOSE_OBJECT = b'",[]{}'

# Accepts exactly one JSON object (extra keys ignored, so no Python object is built for them).
_ONE_OBJECT = SchemaValidator(core_schema.typed_dict_schema({}, extra_behavior="ignore"))
_GEMINI_GAP = b"\n,\r\n{"  # between two elements, up to the next one's brace
# The elements a feed hands out at most when the parser's results are kept (see __init__):
# 32 Gemini elements make some 300 tracked objects, under the garbage collector's youngest
# generation (700) with their frames and chunks. A whole 64 KiB read parsed at once brought on
# a full collection per stream (``bench_steady``: 1.55x the floor's CPU per element); proving
# the rest of a read by a parse that builds nothing, for the adapter to parse again, 1.14x;
# 32 at a time, 1.04x.
_PARSED_PER_READ = 32
_LAYOUT_MISSES = 4  # failed proofs before a stream's layout is taken not to be Gemini's

_START, _ARRAY, _SINGLE, _DONE = range(4)  # the body as a whole
_FIRST, _VALUE, _DELIM = range(3)  # between elements: after "[", after ",", after an element


class JSONArrayDecoder:
    """Bytes of one JSON array in, one ``Frame(data=<element text>)`` per element out."""

    __slots__ = (
        "_buf",
        "_depth",
        "_elem",
        "_in_string",
        "_keep_parsed",
        "_max",
        "_misses",
        "_pos",
        "_prove",
        "_state",
        "_top",
        "pending",
    )

    def __init__(
        self,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        *,
        parse_element: ElementParser | None = None,
    ) -> None:
        """``parse_element``: the adapter's validation of one element's JSON (raising
        pydantic's ``ValidationError`` for anything else). Given, it is the proof of the
        layout scanner, and a frame it proved carries its result (``Frame.parsed``): an element
        is parsed once, not once to find its end and once more to read it. Then ``feed`` hands
        out at most ``_PARSED_PER_READ`` (32) such elements a call, and ``pending`` says that
        more are complete: ``feed(b"")`` hands them out (``flush`` too). What was parsed is held
        until the adapter reads it, and a 64 KiB read of Gemini elements parsed at once would
        hold some 1,300 tracked objects: past the garbage collector's youngest generation, to
        the oldest, whose growth brings on full collections."""
        if max_event_bytes <= 0:
            raise ValueError("max_event_bytes must be positive")
        self._prove = parse_element or _ONE_OBJECT.validate_json
        self._keep_parsed = parse_element is not None  # else the proof builds nothing to keep
        self._max = max_event_bytes
        self._buf = bytearray()
        self._state = _START
        self._top = _FIRST
        self._pos = 0  # where scanning resumes in _buf
        self._elem = 0  # start of the current element, or of the gap after the last one
        self._depth = 0  # nesting inside the top-level array (0: between elements)
        self._in_string = False
        self._misses = 0  # failed layout proofs (see the module doc)
        self.pending = False
        """Complete elements wait in the buffer (``parse_element`` given): ``feed(b"")``."""

    @property
    def partial(self) -> bool:
        """Bytes of an element (or of a body not yet known to be an array) whose end has not
        arrived are held (the next read goes on with them); False between elements."""
        return bool(self._buf)

    def feed(self, chunk: bytes) -> list[Frame]:
        """Scan one chunk; return the elements it completed (or, with ``pending``, the next of
        them: ``feed(b"")`` resumes)."""
        if not chunk and not self.pending:
            return []
        if self._state == _DONE:
            _check_trailing(chunk)
            return []
        buf = self._buf
        if (
            not buf
            and self._top == _DELIM
            and self._state == _ARRAY
            and chunk[:5] == b"\n,\r\n{"
            and chunk[-2:] == b"\n}"
            and chunk.find(b"\r", 3) < 0
            and len(chunk) - 4 <= self._max
            and self._misses < _LAYOUT_MISSES
        ):
            # A live Gemini read: the separator, then exactly one whole element (proved).
            element = chunk[4:]
            try:
                parsed = self._prove(element)
            except ValidationError:
                pass  # not one whole object: the general scanners below
            else:
                kept = parsed if self._keep_parsed else None
                frame = UnsealedFrame("message", element.decode(), None, None, kept)
                frame.__class__ = Frame  # type: ignore[assignment]  # seal, inline
                return [frame]  # type: ignore[list-item]
        buf += chunk
        if self._state == _START and not self._open():
            return []  # blanks or a BOM only so far: nothing to size-check, nothing decided
        if self._state == _SINGLE:
            self._check_pending(buf)
            return []
        out: list[Frame] = []
        self.pending = False
        while self._state == _ARRAY and self._pos < len(buf):
            if not self._depth and not self._in_string:
                self._take_complete(out)
                if self.pending or self._state != _ARRAY or self._pos >= len(buf):
                    break
            if not self._tokenize(out):
                break
        if self._state == _DONE:
            buf.clear()
        elif self._elem:
            # Drop what was handed out; a bytearray deletes from the front cheaply.
            del buf[: self._elem]
            self._pos -= self._elem
            self._elem = 0
        if not self.pending:  # else the buffer holds complete elements, checked already
            self._check_pending(buf)
        return out

    def flush(self) -> list[Frame]:
        """End of stream: the elements still ``pending``, a whole non-array body, or a last
        element missing its ``]``."""
        if self.pending:
            out: list[Frame] = []
            while self.pending:
                out += self.feed(b"")
            return out + self.flush()
        buf, self._buf = bytes(self._buf), bytearray()
        state, self._state = self._state, _DONE
        if state in (_SINGLE, _START):
            text = buf.strip(_SPACE).removeprefix(b"\xef\xbb\xbf").strip(_SPACE)
            return [Frame("message", text.decode("utf-8", "replace"))] if text else []
        if state == _DONE:
            return []
        if self._in_string or self._depth:
            raise MalformedStreamError("the JSON array ended inside an element")
        # A bare number or literal still waiting for its delimiter.
        scalar = buf[self._elem :].strip(_SPACE)
        if not scalar:
            return []
        self._check_gap(scalar)
        return [Frame("message", scalar.decode("utf-8", "replace"))]

    def _open(self) -> bool:
        """At stream start: find the ``[``, or decide the body is a single value."""
        stripped = self._buf.lstrip(_SPACE + b"\xef\xbb\xbf")
        if not stripped:
            return False
        if stripped[0] == _OPEN_ARRAY:
            self._pos = self._elem = len(self._buf) - len(stripped) + 1
            self._state = _ARRAY
        else:
            self._state = _SINGLE
        return True

    def _take_complete(self, out: list[Frame]) -> None:
        """Between elements: hand out every complete element at C speed, up to the first one
        that is incomplete (or not plain JSON), which the tokenizer then takes over."""
        start = self._pos
        if self._buf[self._elem : start].strip(_SPACE):
            return  # a bare number or literal is waiting for its delimiter: tokenizer's job
        if self._misses < _LAYOUT_MISSES:
            self._take_by_layout(out)
            if self.pending:
                return  # the rest at the next feed(b""), parsed then
            start = self._pos
        raw = self._buf[start:]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:  # a character cut at the end, or invalid bytes
            text = raw[: exc.start].decode("utf-8")
        i, n = 0, len(text)
        while True:
            while i < n and text[i] in " \t\r\n":
                i += 1
            if i >= n:
                break
            char = text[i]
            if self._top == _DELIM:
                if char == ",":
                    self._top, i = _VALUE, i + 1
                    continue
                if char == "]":
                    # The bytes after it, not the text: an invalid byte there is not decoded.
                    after = i + 1 if text.isascii() else len(text[: i + 1].encode())
                    self._close_array(raw[after:])
                break  # anything else: the tokenizer reports it
            if char not in '{["':
                break  # "[]", an empty element, or a bare scalar: the tokenizer's cases
            try:
                end = _SCAN_ONCE(text, i)[1]
            except ValueError:
                break  # incomplete (or not JSON): tokenized from here
            element = text[i:end]
            self._check_size(end - i if element.isascii() else len(element.encode()))
            out.append(Frame("message", element))
            self._top, i = _DELIM, end
        self._pos = self._elem = start + (i if text.isascii() else len(text[:i].encode()))

    def _take_by_layout(self, out: list[Frame]) -> None:
        """Between elements: hand out every object element that ends with a ``}`` opening a
        line, each proved whole by the parser (see the module doc)."""
        buf = self._buf
        find, startswith = buf.find, buf.startswith
        prove, keep, limit = self._prove, self._keep_parsed, self._max
        budget = _PARSED_PER_READ
        pos = self._pos
        # Before an element: only whitespace, and the comma if one element came before.
        gap = b"," if self._top == _DELIM else b""
        found: list[UnsealedFrame] = []
        while True:
            if keep and not budget:
                self.pending = True  # complete or not, what follows waits for feed(b"")
                break
            if gap and startswith(_GEMINI_GAP, pos):
                i = pos + 4  # Gemini's own gap: no search, nothing to strip
            else:
                i = find(b"{", pos)
                if i < 0 or buf[pos:i].strip(_SPACE) != gap:
                    break  # "]", a string or scalar element, a stray byte: the general scanners
            # Gemini writes "\n,\r\n" between elements and a CR nowhere else: the closing
            # brace just before the next CR is found without scanning every line feed (any
            # choice of end is safe: the parser proves it below).
            cr = find(b"\r", i)
            if cr < 0:
                end = find(b"\n}", i) + 2
            elif startswith(b"\n}\n,", cr - 4):
                end = cr - 2
            else:
                end = buf.rfind(b"\n}", i, cr) + 2
            if end < 2:
                break  # not complete yet (or not this layout): wait for more
            element = buf[i:end]
            try:
                parsed = prove(element)
            except ValidationError:
                # Incomplete, another layout, or not what the adapter reads: the general
                # scanners (after which the adapter's own validation speaks).
                self._misses += 1
                break
            if end - i > limit:
                self._check_size(end - i)
            # Proved JSON, so valid UTF-8 (pydantic-core rejects invalid bytes, in any key).
            found.append(
                UnsealedFrame("message", element.decode(), None, None, parsed if keep else None)
            )
            gap, pos, budget = b",", end, budget - 1
        if found:
            self._top = _DELIM
            out += seal(found)
        self._pos = self._elem = pos

    def _tokenize(self, out: list[Frame]) -> bool:
        """Scan tokens; True once an element ends at depth 0 (the C scanner may go on)."""
        buf = self._buf
        pos = self._pos
        depth = self._depth
        if self._in_string:
            rest = _STRING_REST.match(buf, pos)
            assert rest is not None  # the pattern matches the empty string
            pos = rest.end()
            if not rest.group(1):
                self._pos = pos
                return False
            self._in_string = False
            if not depth:  # a top-level string element just closed
                self._emit(buf, pos, out)
                self._pos = self._elem = pos
                return True
        for m in _TOKEN.finditer(buf, pos):
            char = buf[m.start()]
            if char == _QUOTE:
                if not depth:
                    self._begin(m.start())
                if not m.group(1):
                    self._in_string, self._pos, self._depth = True, m.end(), depth
                    return False
                if not depth:
                    self._emit(buf, m.end(), out)
                    self._pos = self._elem = m.end()
                    return True
            elif char in (_OPEN_OBJECT, _OPEN_ARRAY):
                if not depth:
                    self._begin(m.start())
                depth += 1
            elif char == _COMMA:
                if not depth:
                    self._end_scalar(m.start(), out, closing=False)
                    self._top, self._elem = _VALUE, m.end()
            elif depth:
                depth -= 1
                if not depth:
                    self._emit(buf, m.end(), out)
                    self._pos = self._elem = m.end()
                    self._depth = 0
                    return True
            elif char == _CLOSE_ARRAY:
                self._end_scalar(m.start(), out, closing=True)
                self._close_array(buf[m.end() :])
                return False
            else:
                raise MalformedStreamError("unbalanced '}' in a JSON array")
        self._pos = len(buf)
        self._depth = depth
        return False

    def _begin(self, at: int) -> None:
        """An object, array or string starts at depth 0, at ``at``."""
        gap = self._buf[self._elem : at].strip(_SPACE)
        # Judged as a read that ended inside the gap would judge it (pending bytes are
        # size-checked first), so that where the reads split never changes the error.
        self._check_size(len(gap))
        self._check_gap(gap)
        if gap:  # "x{...}": bytes that belong to no element, never silently dropped
            raise MalformedStreamError("unexpected bytes before a JSON array element")
        if self._top == _DELIM:
            raise MalformedStreamError("two JSON array elements without a comma between them")
        self._elem = at

    def _emit(self, buf: bytearray, end: int, out: list[Frame]) -> None:
        element = bytes(buf[self._elem : end])
        self._check_size(len(element))
        out.append(Frame("message", element.decode("utf-8", "replace")))
        self._top = _DELIM

    def _end_scalar(self, at: int, out: list[Frame], *, closing: bool) -> None:
        """At a comma or ``]`` on depth 0: hand out a bare scalar before it, if any."""
        scalar = bytes(self._buf[self._elem : at]).strip(_SPACE)
        if scalar:
            self._check_gap(scalar)
            self._check_size(len(scalar))
            out.append(Frame("message", scalar.decode("utf-8", "replace")))
        elif self._top == _VALUE or (self._top == _FIRST and not closing):
            # "[," or "[1,]" or "[1,,2]": an empty element is not JSON.
            raise MalformedStreamError("empty element in a JSON array")

    def _check_gap(self, gap: bytes | bytearray) -> None:
        if gap and self._top == _DELIM:
            raise MalformedStreamError("unexpected bytes after a JSON array element")

    def _close_array(self, rest: bytes | bytearray) -> None:
        self._state = _DONE
        _check_trailing(rest)

    def _check_pending(self, buf: bytearray) -> None:
        """The bytes kept for the next read: the start of an element, and around a bare scalar
        the blanks that are not part of it."""
        if len(buf) > self._max:
            self._check_size(len(buf.strip(_SPACE)))

    def _check_size(self, size: int) -> None:
        if size > self._max:
            raise EventTooLargeError(
                f"a JSON array element exceeded max_event_bytes={self._max} ({size} bytes so far)"
            )


def _check_trailing(data: bytes | bytearray) -> None:
    if data.strip(_SPACE):
        raise MalformedStreamError("bytes after the end of the JSON array")

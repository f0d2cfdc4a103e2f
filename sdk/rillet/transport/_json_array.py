"""A pure, incremental splitter for a JSON array streamed over time (Gemini without ``alt=sse``).

Each top-level element is handed out, as text, as soon as its last byte arrives; the elements
themselves are not parsed here (the adapters validate them). The scanner only has to know where
strings start and end and how deep it is: a regex finds the next structural byte or skips a
whole string in one C-level step, so the Python loop runs once per bracket, comma or string,
never once per byte. Scanning resumes where it stopped, so a body dripped one byte at a time
costs no rescans.

A body that is not an array (a single object, say an error) is kept whole and handed out as one
element at end of stream rather than lost.
"""

from __future__ import annotations

import re

from rillet._exceptions import EventTooLargeError, MalformedStreamError
from rillet.transport._sse import DEFAULT_MAX_EVENT_BYTES, SSEEvent

__all__ = ["JSONArrayDecoder"]

# A structural byte, or a whole string; ``(")?`` is empty when the string is not closed yet
# (the greedy body stops only at a quote, or before a lone backslash at the end of the buffer).
_TOKEN = re.compile(rb'[\[\]{},]|"[^"\\]*(?:\\.[^"\\]*)*(")?', re.DOTALL)
# The rest of a string whose start arrived in an earlier chunk.
_STRING_REST = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*(")?', re.DOTALL)
_SPACE = b" \t\r\n"

_START, _ARRAY, _SINGLE, _DONE = range(4)


class JSONArrayDecoder:
    """Bytes of one JSON array in, one ``SSEEvent(data=<element text>)`` per element out."""

    __slots__ = ("_buf", "_depth", "_elem", "_in_string", "_max", "_pos", "_state", "_values")

    def __init__(self, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        if max_event_bytes <= 0:
            raise ValueError("max_event_bytes must be positive")
        self._max = max_event_bytes
        self._buf = bytearray()
        self._state = _START
        self._pos = 0  # where scanning resumes in _buf
        self._elem = 0  # where the current element starts in _buf
        self._depth = 0  # nesting inside the top-level array (0: between elements)
        self._in_string = False
        self._values = 0  # elements handed out so far, to reject a trailing comma

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """Scan one chunk; return the elements it completed."""
        if not chunk:
            return []
        if self._state == _DONE:
            self._check_trailing(chunk)
            return []
        self._buf += chunk
        if self._state == _START and not self._open():
            return []
        if self._state == _SINGLE:
            self._check_size(len(self._buf))
            return []
        out: list[SSEEvent] = []
        self._scan(out)
        buf = self._buf
        if self._state == _DONE:
            buf.clear()
        elif self._elem:
            # Drop what was handed out; bytearray deletes from the front cheaply.
            del buf[: self._elem]
            self._pos -= self._elem
            self._elem = 0
        self._check_size(len(buf))
        return out

    def flush(self) -> list[SSEEvent]:
        """End of stream: a whole non-array body, or a last element missing its ``]``."""
        buf, self._buf = bytes(self._buf), bytearray()
        state, self._state = self._state, _DONE
        if state in (_SINGLE, _START):
            text = buf.strip(_SPACE).removeprefix(b"\xef\xbb\xbf").strip(_SPACE)
            return [SSEEvent("message", text.decode("utf-8", "replace"))] if text else []
        if state == _DONE:
            return []
        if self._in_string or self._depth:
            raise MalformedStreamError("the JSON array ended inside an element")
        element = buf[self._elem :].strip(_SPACE)
        if not element:
            return []
        return [SSEEvent("message", element.decode("utf-8", "replace"))]

    def _open(self) -> bool:
        """At stream start: find the ``[``, or decide the body is a single value."""
        stripped = self._buf.lstrip(_SPACE + b"\xef\xbb\xbf")
        if not stripped:
            return False
        if stripped[0] == 0x5B:  # "["
            self._pos = self._elem = len(self._buf) - len(stripped) + 1
            self._state = _ARRAY
        else:
            self._state = _SINGLE
        return True

    def _scan(self, out: list[SSEEvent]) -> None:
        buf = self._buf
        pos = self._pos
        depth = self._depth
        if self._in_string:
            rest = _STRING_REST.match(buf, pos)
            assert rest is not None  # the pattern matches the empty string
            pos = rest.end()
            if not rest.group(1):
                self._pos = pos
                return
            self._in_string = False
        for m in _TOKEN.finditer(buf, pos):
            c = buf[m.start()]
            if c == 0x22:  # '"': a string, skipped whole
                if not m.group(1):
                    self._in_string = True
                    self._pos = m.end()
                    self._depth = depth
                    return
            elif c == 0x7B or c == 0x5B:  # "{" "["
                depth += 1
            elif depth:  # "}" "]" "," inside an element
                if c != 0x2C:
                    depth -= 1
            else:  # "," or "]" between elements: the element before it is complete
                self._emit(buf, m.start(), out, closing=c != 0x2C)
                self._elem = m.end()
                if c != 0x2C:
                    if c != 0x5D:
                        raise MalformedStreamError("unbalanced '}' in a JSON array")
                    self._state = _DONE
                    self._check_trailing(buf[m.end() :])
                    return
        self._pos = len(buf)
        self._depth = depth

    def _emit(self, buf: bytearray, end: int, out: list[SSEEvent], *, closing: bool) -> None:
        element = bytes(buf[self._elem : end]).strip(_SPACE)
        if element:
            self._check_size(len(element))
            self._values += 1
            out.append(SSEEvent("message", element.decode("utf-8", "replace")))
        elif not closing or self._values:
            # "[," or "[1,]" or "[1,,2]": an empty element is not JSON.
            raise MalformedStreamError("empty element in a JSON array")

    def _check_trailing(self, data: bytes | bytearray) -> None:
        if data.strip(_SPACE):
            raise MalformedStreamError("bytes after the end of the JSON array")

    def _check_size(self, size: int) -> None:
        if size > self._max:
            raise EventTooLargeError(
                f"a JSON array element exceeded max_event_bytes={self._max} ({size} bytes so far)"
            )

"""The AWS event stream (``application/vnd.amazon.eventstream``): a pure, incremental decoder.

Amazon Bedrock's ConverseStream sends binary messages back to back. Each (integers big-endian):
total length (u32, itself included), headers length (u32), CRC32 of those 8 bytes, the headers,
the payload, and a CRC32 of everything before it (zlib's CRC-32). A header is a name (u8 length,
then the name), a value type (u8) and the value: 0 true and 1 false (no bytes), 2 a byte, 3 a
short, 4 an int, 5 a long, 6 bytes and 7 a string (u16 length, then the bytes), 8 a timestamp
(8 bytes), 9 a UUID (16 bytes). Only the string headers ``:message-type``, ``:event-type``,
``:exception-type``, ``:error-code`` and ``:error-message`` are read; other values are skipped.

What a message becomes (see ``Frame``): an ``event`` is ``Frame(event=<:event-type>,
data=<payload>)``; an ``exception`` is ``Frame(event=":exception:<:exception-type>",
data=<payload>)`` (Bedrock's payload is ``{"message": ...}``); an ``error`` is
``Frame(event=":error:<:error-code>", data=<{"message": <:error-message>}>)``. Event types are
identifiers, never starting with ``:``, so the three kinds cannot be mistaken for each other. A
message of any other type is skipped (the spec allows none).

A bad CRC, a length that cannot be (under 16 bytes, or over ``max_event_bytes``: then
``EventTooLargeError``), headers that overrun their block or have an unknown value type, and
bytes left over at the end of the body are a ``MalformedStreamError``: the stream's framing is
lost and nothing after it can be trusted.

Speed matters here (issue 17): whole reads are scanned in place with ``struct.unpack_from`` and
``zlib.crc32`` over a ``memoryview`` (no copy per message), only the bytes of an incomplete last
message are carried over, each distinct headers block is parsed once per stream (a stream repeats
a handful), and frames are built as ``UnsealedFrame`` objects and sealed at once.
"""

from __future__ import annotations

import json
import struct
import zlib

from rillet._exceptions import EventTooLargeError, MalformedStreamError
from rillet.transport._frame import Frame, UnsealedFrame, seal
from rillet.transport._sse import DEFAULT_MAX_EVENT_BYTES

__all__ = ["ERROR_PREFIX", "EVENT_STREAM_CONTENT_TYPE", "EXCEPTION_PREFIX", "EventStreamDecoder"]

EVENT_STREAM_CONTENT_TYPE = "application/vnd.amazon.eventstream"
EXCEPTION_PREFIX = ":exception:"
"""``Frame.event`` of an ``exception`` message: this, then its ``:exception-type``."""
ERROR_PREFIX = ":error:"
"""``Frame.event`` of an ``error`` message: this, then its ``:error-code``."""

_MIN_MESSAGE = 16  # prelude (12) and message CRC (4): a message with no headers and no payload
_PRELUDE = struct.Struct(">III")
_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
_STRING, _BYTES = 7, 6
# Bytes of the value that follow the type byte, for the types without a length of their own.
_FIXED_SIZES = {0: 0, 1: 0, 2: 1, 3: 2, 4: 4, 5: 8, 8: 8, 9: 16}
_SKIP: tuple[str, str | None] = ("", None)  # a message of a type that is not handed out
_KNOWN_BLOCKS = 256
_KNOWN: dict[bytes, tuple[str, str | None]] = {}
"""Header block -> its parse, shared by every stream: a stream repeats a handful of blocks (one
per event type), and so do all the streams of a service, so each is parsed once per process,
not once per stream (five parses a Bedrock stream, a tenth of its own cost). A parse is a pure
function of the bytes, so sharing it across streams and threads is safe. An ``error`` message's
block, which holds its own text, is never kept; past ``_KNOWN_BLOCKS`` the cache starts over, so
that a stream with a header that changes every message cannot fill it for good."""
_WANTED = frozenset(
    {b":message-type", b":event-type", b":exception-type", b":error-code", b":error-message"}
)


class EventStreamDecoder:
    """Bytes in, one ``Frame`` per message out. No I/O: ``feed`` each read, ``flush`` at EOF.

    A fault found after some messages of a read were decoded is raised by the next ``feed`` or
    ``flush``: the messages before it are handed out first, as if the reads had split there.
    """

    __slots__ = ("_buf", "_fault", "_max", "_need")
    pending = False  # every complete message comes out of the read that completed it

    def __init__(self, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        if max_event_bytes <= 0:
            raise ValueError("max_event_bytes must be positive")
        self._max = max_event_bytes
        self._buf = bytearray()  # the start of a message whose last bytes have not arrived
        self._need = 12  # bytes the pending message needs before it is worth a look
        self._fault: MalformedStreamError | None = None

    @property
    def partial(self) -> bool:
        """Bytes of a message whose end has not arrived are held (the next read goes on with
        it); False between messages."""
        return bool(self._buf)

    def feed(self, chunk: bytes) -> list[Frame]:
        """Decode one read; return the messages it completed (often several, often none)."""
        if self._fault is not None:
            raise self._fault
        if not chunk:
            return []
        buf = self._buf
        if not buf and (frame := self._one_message(chunk)) is not None:
            return [frame]
        if buf:
            buf += chunk
            if len(buf) < self._need:
                return []  # a message dripping in: no scan until it can be whole
            data = bytes(buf)
            buf.clear()
        else:
            data = chunk
        out: list[UnsealedFrame] = []
        try:
            pos = self._decode(data, out)
        except MalformedStreamError as error:
            self._buf.clear()
            if not out:
                raise
            self._fault = error
            return seal(out)
        if pos < len(data):
            self._buf += memoryview(data)[pos:]
        else:
            self._need = 12
        return seal(out)

    def _one_message(self, chunk: bytes) -> Frame | None:
        """The frame of a read that is exactly one sound message of a known headers block (a
        live stream's every read after its first few); None for anything else, which ``_decode``
        then reads, and judges. The CRC of the whole message goes on from the prelude's."""
        if len(chunk) < _MIN_MESSAGE:
            return None
        total, headers_size, prelude_crc = _PRELUDE.unpack_from(chunk)
        if total != len(chunk) or total > self._max or headers_size > total - _MIN_MESSAGE:
            return None
        body = 12 + headers_size
        parsed = _KNOWN.get(chunk[12:body])
        if parsed is None or parsed is _SKIP or parsed[1] is not None:  # new, skipped, an error
            return None
        crc32 = zlib.crc32
        head = crc32(chunk[:8])
        if head != prelude_crc or crc32(chunk[8:-4], head) != _U32.unpack_from(chunk, total - 4)[0]:
            return None
        frame = UnsealedFrame(parsed[0], chunk[body:-4].decode("utf-8", "replace"), None, None)
        frame.__class__ = Frame  # type: ignore[assignment]  # sealed (see seal)
        return frame  # type: ignore[return-value]

    def flush(self) -> list[Frame]:
        """End of stream: any byte left is a message cut short."""
        if self._fault is not None:
            raise self._fault
        left = len(self._buf)
        self._buf.clear()
        if left:
            raise MalformedStreamError(
                f"the event stream ended inside a message ({left} bytes of it received)"
            )
        return []

    def _decode(self, data: bytes, out: list[UnsealedFrame]) -> int:
        """Append the frame of every whole message of ``data`` to ``out``; return where the
        first incomplete one starts (``len(data)`` if none)."""
        size = len(data)
        limit = self._max
        crc32 = zlib.crc32
        unpack_prelude = _PRELUDE.unpack_from
        unpack_u32 = _U32.unpack_from
        append = out.append
        known = _KNOWN
        pos = 0
        with memoryview(data) as view:
            while size - pos >= 12:
                total, headers_size, prelude_crc = unpack_prelude(data, pos)
                if crc32(view[pos : pos + 8]) != prelude_crc:
                    raise MalformedStreamError("event-stream prelude CRC mismatch")
                if total < _MIN_MESSAGE or headers_size > total - _MIN_MESSAGE:
                    raise MalformedStreamError(
                        f"event-stream message of impossible length {total} "
                        f"(headers {headers_size})"
                    )
                if total > limit:
                    raise EventTooLargeError(
                        f"an event-stream message exceeded max_event_bytes={limit} ({total} bytes)"
                    )
                end = pos + total
                if end > size:
                    self._need = total
                    return pos  # the rest arrives with a later read
                if crc32(view[pos : end - 4]) != unpack_u32(data, end - 4)[0]:
                    raise MalformedStreamError("event-stream message CRC mismatch")
                body = pos + 12 + headers_size
                # A stream repeats a handful of header blocks (one per event type): each is
                # parsed once.
                block = data[pos + 12 : body]
                parsed = known.get(block)
                if parsed is None:
                    parsed = _parse_headers(block) or _SKIP
                    if parsed[1] is None:  # an error's block holds its message: not kept
                        if len(known) >= _KNOWN_BLOCKS:
                            known.clear()
                        known[block] = parsed
                pos = end
                if parsed is _SKIP:
                    continue
                event, text = parsed
                if text is None:
                    text = str(view[body : end - 4], "utf-8", "replace")
                append(UnsealedFrame(event, text, None, None))
        self._need = 12
        return pos


def _parse_headers(data: bytes) -> tuple[str, str | None] | None:
    """What a headers block makes of its message: the frame's ``event`` and, for an ``error``
    message, its ``data`` (None: the payload); None for a message to skip."""
    found: dict[bytes, str] = {}
    unpack_u16 = _U16.unpack_from
    pos, end = 0, len(data)
    while pos < end:
        name_end = pos + 1 + data[pos]
        if name_end >= end:
            raise MalformedStreamError("an event-stream header overruns its block")
        name = data[pos + 1 : name_end]
        kind = data[name_end]
        pos = name_end + 1
        if kind in (_STRING, _BYTES):
            if pos + 2 > end:
                raise MalformedStreamError("an event-stream header overruns its block")
            value_end = pos + 2 + unpack_u16(data, pos)[0]
            if value_end > end:
                raise MalformedStreamError("an event-stream header overruns its block")
            if kind == _STRING and name in _WANTED:
                found[name] = data[pos + 2 : value_end].decode("utf-8", "replace")
            pos = value_end
            continue
        fixed = _FIXED_SIZES.get(kind)
        if fixed is None:
            raise MalformedStreamError(f"event-stream header of unknown value type {kind}")
        pos += fixed
        if pos > end:
            raise MalformedStreamError("an event-stream header overruns its block")
    message_type = found.get(b":message-type", "event")
    if message_type == "event":
        return found.get(b":event-type", ""), None
    if message_type == "exception":
        return EXCEPTION_PREFIX + found.get(b":exception-type", ""), None
    if message_type == "error":
        message = json.dumps({"message": found.get(b":error-message", "")}, ensure_ascii=False)
        return ERROR_PREFIX + found.get(b":error-code", ""), message
    return None

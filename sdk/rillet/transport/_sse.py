"""Server-sent events: a pure, incremental decoder of ``Frame`` values.

The decoder follows the WHATWG EventSource parsing rules (``event``, ``data`` lines joined with
``\\n``, ``id``, ``retry``, ``:`` comments, CR / LF / CRLF line ends, one leading BOM, a field
without a colon) with one deliberate deviation: a last event that is not followed by a blank
line is dispatched at end of stream, because real servers end that way.

Speed matters here (one call per network read, hundreds of events per read), so the decoder
works on whole buffers: line ends are normalised with ``bytes.replace``, complete events are cut
with ``rfind``/``split`` and decoded from UTF-8 in one call, and the common one-line
``data:`` event (and ``event:`` + ``data:`` pair) skips the general field loop. A read of
one-line ``data:`` events with CRLF line ends (Gemini's) is cut on its raw bytes, since
normalising it would copy it and cost more than the rest of its decoding. Only bytes after
the last complete event are carried over, as bytes, so a multi-byte character split between two
reads is decoded once it is whole.
"""

from __future__ import annotations

from rillet._exceptions import EventTooLargeError
from rillet.transport._frame import Frame, UnsealedFrame, seal

__all__ = ["DEFAULT_MAX_EVENT_BYTES", "SSEDecoder"]

DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024
_BOM = b"\xef\xbb\xbf"


class SSEDecoder:
    """Bytes in, ``Frame`` out. No I/O: ``feed`` each chunk as it arrives, ``flush`` at EOF.

    An event (its field lines, as bytes) larger than ``max_event_bytes`` raises
    ``EventTooLargeError``; no line-length limit applies otherwise. Invalid UTF-8 is replaced
    with U+FFFD, as the spec's decoding rule says, so decoding never raises.
    """

    __slots__ = ("_buf", "_head", "_last_id", "_max", "_skip_lf", "_started", "retry")
    pending = False  # every complete event comes out of the read that completed it

    def __init__(self, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        if max_event_bytes <= 0:
            raise ValueError("max_event_bytes must be positive")
        self._max = max_event_bytes
        self._buf = bytearray()  # bytes after the last blank line, CR already normalised
        self._head = b""  # a possible BOM prefix held back at stream start
        self._started = False
        self._skip_lf = False  # the previous chunk ended with CR: a leading LF belongs to it
        self._last_id: str | None = None
        self.retry: int | None = None
        """The last reconnection time (ms) the stream announced with a ``retry`` field."""

    @property
    def partial(self) -> bool:
        """Bytes of an event whose end has not arrived are held (the next read goes on with
        it); False between events."""
        return bool(self._buf)

    def feed(self, chunk: bytes) -> list[Frame]:
        """Decode one chunk; return the events it completed (often several, often none)."""
        if not self._started:  # past a BOM (held back while it may still be split)
            chunk = self._strip_bom(chunk)
        if not self._buf and self._started and not self._skip_lf and len(chunk) <= self._max:
            # A live stream's read (the first one too): one whole event, nothing pending.
            frame = _one_event(chunk, self._last_id)
            if frame is not None:
                frame.__class__ = Frame  # type: ignore[assignment]  # seal, inline
                return [frame]  # type: ignore[list-item]
        if self._skip_lf and chunk:
            self._skip_lf = False
            if chunk[0] == 0x0A:
                chunk = chunk[1:]
        if not chunk:
            return []
        if b"\r" in chunk:
            frames = self._crlf_data_events(chunk)
            if frames is not None:
                return frames
            # A CR ending this chunk is a line end now; a LF opening the next one is its pair.
            self._skip_lf = chunk[-1] == 0x0D
            chunk = _to_lf(chunk)
        buf = self._buf
        if buf:
            # Search only the new bytes, plus one: a blank line may straddle the two reads.
            start = len(buf) - 1
            buf += chunk
            end = buf.rfind(b"\n\n", start)
            if end < 0:
                self._check_pending()
                return []
            region = bytes(buf[:end])
            del buf[: end + 2]
            self._check_pending()
        else:
            end = chunk.rfind(b"\n\n")
            if end < 0:
                buf += chunk
                self._check_pending()
                return []
            region = chunk[:end]
            buf += chunk[end + 2 :]
            self._check_pending()
        if len(region) > self._max:
            self._check_blocks(region)
        text = region.decode("utf-8", "replace")
        if region.startswith(b"data: "):
            # Fast path: reads of one-line "data: ..." events only (OpenAI, Gemini SSE).
            frames = _data_events(text, "\n\n", self._last_id)
            if frames is not None:
                return frames
        return self._decode(text)

    def _crlf_data_events(self, chunk: bytes) -> list[Frame] | None:
        """A read of one-line ``data:`` events with CRLF line ends (Gemini), cut on the raw
        bytes: normalising a burst read's line ends copies it and costs more than the rest of
        its decoding. None, with nothing changed, for anything else (a lone CR or LF, other
        fields, a blank line in the carried-over bytes): the general path reads it then."""
        end = chunk.rfind(b"\r\n\r\n")
        if end < 0:
            return None
        tail = chunk[end + 4 :]
        rest = _to_lf(tail)
        if rest[:1] == b"\n" or b"\n\n" in rest:
            return None  # a later blank line, in another line-end style
        buf = self._buf
        region = bytes(buf) + chunk[:end] if buf else chunk[:end]
        if len(region) > self._max or not region.startswith(b"data: "):
            return None
        frames = _data_events(region.decode("utf-8", "replace"), "\r\n\r\n", self._last_id)
        if frames is None:
            return None
        buf[:] = rest
        self._skip_lf = tail[-1:] == b"\r"
        self._check_pending()
        return frames

    def flush(self) -> list[Frame]:
        """End of stream: dispatch what is left, even without the closing blank line."""
        rest = self._head + bytes(self._buf)  # line ends already normalised by feed
        self._head = b""
        self._buf.clear()
        self._started = True
        out: list[UnsealedFrame] = []
        self._parse_block(rest.decode("utf-8", "replace"), out)
        return seal(out)

    def _strip_bom(self, chunk: bytes) -> bytes:
        data = self._head + chunk
        if len(data) < len(_BOM) and _BOM.startswith(data):
            self._head = data  # could still be a BOM split across reads
            return b""
        self._head = b""
        self._started = True
        return data[len(_BOM) :] if data.startswith(_BOM) else data

    def _check_pending(self) -> None:
        # An event's size is its lines', not the line ends around them: the pending bytes may
        # hold the end of a blank line before the event and the end of its last line.
        if len(self._buf) > self._max and (size := len(self._buf.strip(b"\n"))) > self._max:
            self._buf.clear()
            raise EventTooLargeError(
                f"an SSE event exceeded max_event_bytes={self._max} ({size} bytes so far)"
            )

    def _check_blocks(self, region: bytes) -> None:
        # Rare path: only reached when one read brought more than the limit at once.
        largest = max(len(block.strip(b"\n")) for block in region.split(b"\n\n"))
        if largest > self._max:
            raise EventTooLargeError(
                f"an SSE event exceeded max_event_bytes={self._max} ({largest} bytes)"
            )

    def _decode(self, text: str) -> list[Frame]:
        """The events of complete blocks (the text between and excluding blank lines)."""
        out: list[UnsealedFrame] = []
        append = out.append
        for block in text.split("\n\n"):
            if block[:6] == "event:":
                # "event: x\ndata: y", the shape of Anthropic and OpenAI Responses events.
                nl = block.find("\n")
                if block.startswith("data:", nl + 1) and block.find("\n", nl + 1) < 0:
                    event = block[7:nl] if block[6:7] == " " else block[6:nl]
                    data = block[nl + 7 :] if block[nl + 6 : nl + 7] == " " else block[nl + 6 :]
                    append(UnsealedFrame(event or "message", data, self._last_id, None))
                    continue
            elif block[:5] == "data:" and "\n" not in block:
                data = block[6:] if block[5:6] == " " else block[5:]
                append(UnsealedFrame("message", data, self._last_id, None))
                continue
            self._parse_block(block, out)
        return seal(out)

    def _parse_block(self, block: str, out: list[UnsealedFrame]) -> None:
        """The spec's field loop, for any block of lines; a blank line dispatches."""
        data: list[str] = []
        event = ""
        retry: int | None = None
        for line in block.split("\n"):
            if not line:
                if data:
                    out.append(
                        UnsealedFrame(event or "message", "\n".join(data), self._last_id, retry)
                    )
                data, event, retry = [], "", None
                continue
            # A comment (":" first, e.g. a keep-alive) has the empty field name: ignored below.
            name, colon, value = line.partition(":")
            if colon and value[:1] == " ":
                value = value[1:]
            if name == "data":
                data.append(value)
            elif name == "event":
                event = value
            elif name == "id":
                if "\0" not in value:
                    self._last_id = value
            elif name == "retry" and value.isascii() and value.isdigit():
                retry = self.retry = int(value)
        # An empty data buffer (no data line at all) dispatches nothing, per the spec.
        if data:
            out.append(UnsealedFrame(event or "message", "\n".join(data), self._last_id, retry))


def _to_lf(data: bytes) -> bytes:
    """CRLF and lone CR line ends as LF (a CR at the very end is a line end already)."""
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def _data_events(text: str, blank: str, last_id: str | None) -> list[Frame] | None:
    """The frames of ``text``, events of one ``data: `` line each with ``blank`` (a blank
    line's two line ends) between them: one split yields every event's data. None when any
    holds another line (a field, a second data line, a line end of another style)."""
    datas = text[6:].split(blank + "data: ")
    joined = "".join(datas)
    if "\n" in joined or "\r" in joined:
        return None
    return seal([UnsealedFrame("message", data, last_id, None) for data in datas])


def _one_event(chunk: bytes, last_id: str | None) -> UnsealedFrame | None:
    """The frame of a chunk that holds exactly one event of the two common shapes, ``data:``
    alone or ``event:`` then ``data:``, one line each, then the blank line; None for anything
    else (the general decoder then reads it). Bounded searches: a burst read of many events is
    turned down without a copy."""
    if chunk[-2:] == b"\n\n":
        end = len(chunk) - 2
    elif chunk[-4:] == b"\r\n\r\n":  # Gemini ends lines with CRLF
        end = len(chunk) - 4
    else:
        return None
    if chunk[:6] == b"data: ":
        if chunk.find(b"\n", 6, end) >= 0 or chunk.find(b"\r", 6, end) >= 0:
            return None
        return UnsealedFrame("message", chunk[6:end].decode("utf-8", "replace"), last_id, None)
    if chunk[:7] == b"event: " and end == len(chunk) - 2:
        line_end = chunk.find(b"\n")
        start = line_end + 7  # after "data: "
        if (
            chunk[line_end + 1 : start] != b"data: "
            or chunk.find(b"\n", start, end) >= 0
            or chunk.find(b"\r", 0, end) >= 0
        ):
            return None
        event = chunk[7:line_end].decode("utf-8", "replace") or "message"
        return UnsealedFrame(event, chunk[start:end].decode("utf-8", "replace"), last_id, None)
    return None

"""Property tests of the SSE decoder: cut anywhere, it gives the frames of the whole; the frames
are those of the WHATWG parsing rules; any bytes end in frames or a typed rillet error."""

from __future__ import annotations

import re
from functools import partial

from hypothesis import example, given
from hypothesis import strategies as st

from rillet import EventTooLargeError
from rillet.transport import Frame, SSEDecoder

from ._split import cut, decode, same_whatever_the_cut

_BOM = "\ufeff"
_EOL = st.sampled_from(["\n", "\r", "\r\n"])
_NAMES = st.sampled_from(["data", "event", "id", "retry", "", "dat", "Data", "data ", "x"])
# field values: any text without a line end (NUL, U+FFFD and non-ASCII digits included)
_VALUE = st.text(
    st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=12
) | st.sampled_from(["", " ", "  x", "[DONE]", "{}", "12", "٣", "1\x00", "-5", "5 "])


@st.composite
def _line(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return ""  # a blank line: dispatch
    if kind == 1:
        return ":" + draw(_VALUE)  # a comment
    name, value = draw(_NAMES), draw(_VALUE)
    if kind == 2:
        return name  # a field without a colon
    return f"{name}:{value}" if draw(st.booleans()) else f"{name}: {value}"


@st.composite
def sse_bodies(draw: st.DrawFn) -> bytes:
    """SSE-like text: fields, comments, blank lines, mixed line ends, maybe a BOM, maybe a last
    event with no blank line after it."""
    lines = draw(st.lists(_line(), max_size=24))
    text = "".join(line + draw(_EOL) for line in lines)
    if draw(st.booleans()):
        text += draw(_line())  # no line end at all
    return ((_BOM if draw(st.booleans()) else "") + text).encode()


def reference(body: bytes, *, at_eof: bool = True) -> list[Frame]:
    """The spec's algorithm, line by line (rillet also dispatches a last unterminated event at
    the end of the stream; before it, ``at_eof=False``, an unended last line is not read)."""
    text = body.removeprefix(_BOM.encode()).decode("utf-8", "replace")
    frames: list[Frame] = []
    data: list[str] = []
    event, retry, last_id = "", None, None
    lines = re.split("\r\n|\r|\n", text)
    for line in [*lines, ""] if at_eof else lines[:-1]:
        if not line:
            if data:
                frames.append(Frame(event or "message", "\n".join(data), last_id, retry))
            data, event, retry = [], "", None
        elif not line.startswith(":"):
            name, colon, value = line.partition(":")
            value = value[1:] if colon and value.startswith(" ") else value
            if name == "data":
                data.append(value)
            elif name == "event":
                event = value
            elif name == "id" and "\0" not in value:
                last_id = value
            elif name == "retry" and value.isascii() and value.isdigit():
                retry = int(value)
    return frames


@given(st.data(), sse_bodies())
def test_any_split_gives_the_frames_of_the_spec(data: st.DataObject, body: bytes) -> None:
    whole = decode(SSEDecoder, [body])
    assert whole.error is None
    assert whole.frames == reference(body)
    pieces = data.draw(cut(body))
    assert decode(SSEDecoder, pieces) == whole


@st.composite
def live_bodies(draw: st.DrawFn) -> bytes:
    """Events of the shapes a live model sends one per read (``data:`` alone, ``event:`` then
    ``data:``), with LF or CRLF line ends, among arbitrary SSE text."""
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 8))):
        value, other, eol, eol2 = draw(_VALUE), draw(_VALUE), draw(_EOL), draw(_EOL)
        parts.append(
            draw(
                st.sampled_from(
                    [
                        f"data: {value}{eol}{eol}",
                        f"event: {other}{eol}data: {value}{eol}{eol}",
                        f"id: {other}{eol}{eol}",  # sets the id of the events after it
                        f"data: {value}{eol}data: {other}{eol}{eol}",
                        f"data: {value}{eol}{other}{eol2}{eol2}",  # a line end inside
                        f"event: {other}{eol}data: {value}{eol2}{eol2}",
                        f"event: e{eol}data: {value}{eol}data: {other}{eol}{eol}",
                        f"event: e{eol}id: {other}{eol}data: {value}{eol}{eol}",
                        draw(sse_bodies()).decode("utf-8", "replace"),
                    ]
                )
            )
        )
    return "".join(parts).encode()


_EVENT_ENDS = re.compile(rb"(?<=\n\n)|(?<=\r\n\r\n)|(?<=\r\r)")


@given(live_bodies() | sse_bodies())
@example(b"data: 0\n\nevent: a\r\ndata: b\n\n")  # a CR ending the event line, LFs after it
@example(b"data: 0\n\ndata: a\rb\n\n")  # a lone CR inside is a line end
def test_a_read_per_event_gives_the_frames_of_the_whole(body: bytes) -> None:
    # A live stream: each read ends where an event does.
    whole = decode(SSEDecoder, [body])
    assert whole.frames == reference(body)
    assert decode(SSEDecoder, _EVENT_ENDS.split(body)) == whole


@st.composite
def crlf_bursts(draw: st.DrawFn) -> bytes:
    """What Gemini sends: one-line ``data:`` events with CRLF line ends, now and then broken by
    something else (another line end, another field, a comment, a blank line, two data lines)."""
    crlf = "data: {0}\r\n\r\n"
    shapes = [crlf] * 6 + [
        "data: {0}\n\n",
        "data: {0}\r\r",
        "data: {0}\r\n\n",
        "data: {0}\n\r\n",
        "event: e\r\ndata: {0}\r\n\r\n",
        "data: {0}\r\ndata: {1}\r\n\r\n",
        ": keep-alive\r\n\r\n",
        "\r\n",
        "data: {0}\rx\r\n\r\n",
    ]
    events = draw(st.lists(st.tuples(st.sampled_from(shapes), _VALUE, _VALUE), max_size=16))
    return "".join(shape.format(value, other) for shape, value, other in events).encode()


@given(crlf_bursts().flatmap(cut))
@example([b"data: a\r\n\r\ndata: b\r\n\n"])  # the last blank line is not CRLF CRLF
@example([b"data: a\r\n\r\ndata: b\r\n\r", b"\n"])  # a read ends with a CR, a line end
@example([b"data: a\r\n", b"\r\ndata: b\r\n\r\n"])  # a blank line across two reads
@example([b"data: a\r\n\r\ndata: b\r", b"\ndata: c\r\n\r\n"])  # a CRLF across two reads
def test_crlf_bursts_give_each_event_as_soon_as_its_blank_line_comes(
    pieces: list[bytes],
) -> None:
    # Every read gives exactly the events its bytes completed: none held back, none early.
    body = b"".join(pieces)
    assert decode(SSEDecoder, [body]).frames == reference(body)
    decoder, frames, seen = SSEDecoder(), list[Frame](), b""
    for piece in pieces:
        seen += piece
        frames += decoder.feed(piece)
        assert frames == reference(seen, at_eof=False), (seen, frames)


@given(st.data(), sse_bodies())
def test_retry_is_the_last_valid_one_whatever_the_split(data: st.DataObject, body: bytes) -> None:
    frames = reference(body)
    retries = [f.retry for f in frames if f.retry is not None]
    decoder = SSEDecoder()
    for piece in data.draw(cut(body)):
        decoder.feed(piece)
    decoder.flush()
    if retries:
        assert decoder.retry == retries[-1]


_ANY_BYTES = st.binary(max_size=200) | sse_bodies().map(lambda body: body + b"\xff\xc3")


@given(st.data(), _ANY_BYTES, st.integers(1, 48))
def test_any_bytes_end_in_frames_or_a_typed_error(
    data: st.DataObject, body: bytes, limit: int
) -> None:
    """Garbage, invalid UTF-8 and events over the size limit: frames or ``EventTooLargeError``
    (``decode`` lets any other exception fail the test), the same whatever the split."""
    make = partial(SSEDecoder, max_event_bytes=limit)
    whole = same_whatever_the_cut(make, body, data.draw(cut(body)))
    if whole.error is None:
        assert whole.frames == reference(body)


# -- what the fuzzers found ----------------------------------------------------------------------


def test_the_size_limit_counts_the_event_not_the_line_ends_around_it() -> None:
    """An event of exactly ``max_event_bytes`` passes however the reads cut it: the line end
    before its blank line, or a blank line before it, is not part of the event."""
    body = b"\n\n\ndata: xy\n\n"  # an extra blank line, then an 8-byte event
    for pieces in ([body], [body[:3], body[3:]], [body[:-1], body[-1:]]):
        assert decode(partial(SSEDecoder, max_event_bytes=8), pieces).error is None
    drip = [body[i : i + 1] for i in range(len(body))]
    assert decode(partial(SSEDecoder, max_event_bytes=8), drip).frames == [Frame(data="xy")]
    assert decode(partial(SSEDecoder, max_event_bytes=7), drip).error is not None


def test_an_oversized_event_after_a_complete_one_in_the_same_read_is_caught() -> None:
    """The bytes left after the last complete event are checked whatever came before them in
    the buffer: an oversized last event is not dispatched at the end of the stream."""
    body = b"data: a\n\ndata: " + b"x" * 20
    make = partial(SSEDecoder, max_event_bytes=16)
    for pieces in ([body], [body[:4], body[4:]], [body[:9], body[9:]]):
        assert decode(make, pieces).error is EventTooLargeError, pieces

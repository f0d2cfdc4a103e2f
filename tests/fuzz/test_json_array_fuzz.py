"""Property tests of the JSON-array decoder: cut anywhere, it gives the elements of the whole,
each the text of one element; any bytes end in frames or a typed rillet error."""

from __future__ import annotations

import json
import re
from functools import partial
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from rillet import EventTooLargeError, MalformedStreamError
from rillet.transport import JSONArrayDecoder

from ._split import cut, decode, same_whatever_the_cut

_SPACE = st.sampled_from(["", " ", "\n", "\r\n", "  ", "\t", "\n  "])
# between elements: compact, spaced, Gemini's "\n,\r\n", and odd but valid layouts
_SEPARATOR = st.sampled_from([",", ", ", "\n,\r\n", " ,\n", ",\n\n", "\r\n,"])

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10)
    | st.sampled_from(["}", "]", "{", "[", '"', "\\", ",", "\n}", "\u2028", "😀"])
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
# Gemini's elements: objects; any JSON value is an element too
_ELEMENTS = st.dictionaries(st.text(max_size=6), _VALUES, max_size=4) | _VALUES


@st.composite
def _serialized(draw: st.DrawFn, value: Any) -> str:
    """One element as JSON text: compact, spaced, or pretty-printed as Gemini prints it."""
    indent = draw(st.sampled_from([None, None, 0, 1, 2]))
    separators = draw(st.sampled_from([(",", ":"), (", ", ": "), (" , ", " : ")]))
    ascii_only = draw(st.booleans())
    return json.dumps(value, indent=indent, separators=separators, ensure_ascii=ascii_only)


@st.composite
def arrays(draw: st.DrawFn) -> tuple[bytes, list[Any]]:
    """A JSON array's bytes, and its elements."""
    values = draw(st.lists(_ELEMENTS, max_size=6))
    texts = [draw(_serialized(value)) for value in values]
    body = draw(_SPACE) + "[" + draw(_SPACE)
    for number, text in enumerate(texts):
        body += (draw(_SEPARATOR) if number else "") + text
    body += draw(_SPACE) + "]" + draw(_SPACE)
    bom = "\ufeff" if draw(st.integers(0, 9)) == 0 else ""
    return (bom + body).encode(), values


@given(st.data(), arrays())
def test_any_split_gives_each_element_whole(
    data: st.DataObject, array: tuple[bytes, list[Any]]
) -> None:
    body, values = array
    whole = decode(JSONArrayDecoder, [body])
    assert whole.error is None
    assert [json.loads(frame.data) for frame in whole.frames] == values
    assert all(frame.event == "message" and frame.id is None for frame in whole.frames)
    assert decode(JSONArrayDecoder, data.draw(cut(body))) == whole


@given(arrays())
def test_a_read_per_element_gives_each_element_whole(array: tuple[bytes, list[Any]]) -> None:
    # A live Gemini stream: each read is the separator and the next element (the comma can only
    # be written once the next element exists), pretty-printed or not.
    body, values = array
    pieces = body.split(b"\n,\r\n")
    reads = pieces[:1] + [b"\n,\r\n" + piece for piece in pieces[1:]]
    frames = decode(JSONArrayDecoder, reads).frames
    assert [json.loads(frame.data) for frame in frames] == values
    assert frames == decode(JSONArrayDecoder, [body]).frames
    # Reads that end at a brace opening a line without ending the element (a nested object,
    # pretty-printed with indent=0) must wait for the rest of it.
    finer = [part for read in reads for part in re.split(rb"(?<=\n\})", read)]
    assert decode(JSONArrayDecoder, finer).frames == frames


@given(st.data(), st.lists(_ELEMENTS, min_size=1, max_size=4))
def test_a_body_that_is_not_an_array_is_one_element(data: st.DataObject, values: list[Any]) -> None:
    """A single value (an error object, say) is kept whole, as one element, at the end."""
    body = json.dumps(values[0], indent=2).encode()
    if body.lstrip().startswith(b"["):
        return  # an array, the other test's case
    outcome = decode(JSONArrayDecoder, data.draw(cut(body)))
    assert outcome.error is None
    assert [json.loads(frame.data) for frame in outcome.frames] == [values[0]]


@given(st.data(), arrays())
def test_the_largest_element_fits_a_limit_of_its_size_whatever_the_cut(
    data: st.DataObject, array: tuple[bytes, list[Any]]
) -> None:
    """The limit is on an element's bytes, never on the blanks or commas around it."""
    body, _ = array
    elements = decode(JSONArrayDecoder, [body]).frames
    if not elements:
        return
    limit = max(len(frame.data.encode()) for frame in elements)
    outcome = decode(partial(JSONArrayDecoder, max_event_bytes=limit), data.draw(cut(body)))
    assert outcome.error is None
    assert outcome.frames == elements
    if limit > 1:
        smaller = partial(JSONArrayDecoder, max_event_bytes=limit - 1)
        assert decode(smaller, data.draw(cut(body))).error is EventTooLargeError


@st.composite
def _mutated(draw: st.DrawFn) -> bytes:
    """A valid array with a few bytes changed, removed or added: near misses of real bodies."""
    body = bytearray(draw(arrays())[0])
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(body)))
        action = draw(st.integers(0, 2))
        junk = draw(st.sampled_from([b"[", b"]", b"{", b"}", b",", b'"', b"\\", b"x", b"\xff"]))
        if action == 0 and at < len(body):
            body[at : at + 1] = junk
        elif action == 1:
            del body[at : at + 1]
        else:
            body[at:at] = junk
    return bytes(body)


_ANY_BYTES = st.binary(max_size=120) | _mutated() | arrays().map(lambda array: array[0][:-1])


@given(st.data(), _ANY_BYTES, st.integers(1, 32) | st.just(1 << 20))
def test_any_bytes_end_in_frames_or_a_typed_error(
    data: st.DataObject, body: bytes, limit: int
) -> None:
    """Only rillet errors (``decode`` lets any other exception fail the test), and the same
    frames or error however the bytes are cut."""
    make = partial(JSONArrayDecoder, max_event_bytes=limit)
    same_whatever_the_cut(make, body, data.draw(cut(body)))


# -- what the fuzzers found ----------------------------------------------------------------------


def test_the_blanks_around_a_bare_scalar_do_not_count_toward_the_limit() -> None:
    body = b"[1,      12345678 ]"  # an 8-byte number with blanks before and after it
    make = partial(JSONArrayDecoder, max_event_bytes=8)
    for at in range(len(body) + 1):
        outcome = decode(make, [body[:at], body[at:]])
        assert outcome.error is None, body[:at]
        assert [frame.data for frame in outcome.frames] == ["1", "12345678"]


def test_an_invalid_byte_after_the_array_in_the_same_read_is_malformed() -> None:
    # The C scanner reads the text decoded up to the first invalid byte: the end of the array
    # was found there, and the byte after it went unchecked when the whole body came at once.
    for body in (b"[{}]\x80", '[{"a": "é"}]\x80'.encode()):
        whole = same_whatever_the_cut(JSONArrayDecoder, body, [body[:1], body[1:-1], body[-1:]])
        assert whole.error is MalformedStreamError

"""The SSE decoder alone: the WHATWG spec's examples, its pitfalls, and every way to split."""

from __future__ import annotations

import dataclasses
from itertools import combinations, pairwise

import pytest

from rillet import EventTooLargeError
from rillet.transport import Frame, SSEDecoder


def decode(body: bytes, cuts: tuple[int, ...] = (), **kwargs: int) -> list[Frame]:
    decoder = SSEDecoder(**kwargs)
    events: list[Frame] = []
    bounds = [0, *cuts, len(body)]
    for start, end in pairwise(bounds):
        events += decoder.feed(body[start:end])
    return events + decoder.flush()


def assert_every_split(body: bytes, expected: list[Frame], pairs: bool = True) -> None:
    """The same events whatever the cuts: every single cut, every pair, one byte at a time."""
    positions = range(1, len(body))
    assert decode(body) == expected
    for cut in positions:
        assert decode(body, (cut,)) == expected, f"cut at {cut}"
    if pairs:
        for cut_pair in combinations(positions, 2):
            assert decode(body, cut_pair) == expected, f"cuts at {cut_pair}"
    assert decode(body, tuple(positions)) == expected


# The examples of https://html.spec.whatwg.org/multipage/server-sent-events.html


def test_spec_stock_example_joins_data_lines() -> None:
    body = b"data: YHOO\ndata: +2\ndata: 10\n\n"
    assert_every_split(body, [Frame(data="YHOO\n+2\n10")])


def test_spec_comment_id_and_leading_space_example() -> None:
    body = b": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n"
    assert_every_split(
        body,
        [
            Frame(data="first event", id="1"),
            Frame(data="second event", id=""),  # a bare id resets the last event id
            Frame(data=" third event", id=""),  # only one leading space is removed
        ],
    )


def test_spec_empty_data_example() -> None:
    # The spec's last block ("data:" without a blank line) is dispatched here: our deviation.
    body = b"data\n\ndata\ndata\n\ndata:"
    assert_every_split(body, [Frame(data=""), Frame(data="\n"), Frame(data="")])


def test_spec_space_after_colon_is_optional() -> None:
    assert_every_split(b"data:test\n\ndata: test\n\n", [Frame(data="test")] * 2)


def test_spec_event_types() -> None:
    body = (
        b"event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\nevent: add\ndata: 113411\n\n"
    )
    assert_every_split(
        body,
        [
            Frame("add", "73857293"),
            Frame("remove", "2153"),
            Frame("add", "113411"),
        ],
        pairs=False,
    )


# Known pitfalls


def test_id_then_blank_lines_dispatches_nothing() -> None:
    assert_every_split(b"id: 7\n\n\n\nevent: ping\n\n", [])


def test_id_persists_into_later_events() -> None:
    body = b"id: 7\n\ndata: a\n\ndata: b\nid: 8\n\n"
    assert decode(body) == [Frame(data="a", id="7"), Frame(data="b", id="8")]


def test_id_with_nul_is_ignored() -> None:
    assert decode(b"id: 1\n\ndata: a\nid: x\0y\n\n") == [Frame(data="a", id="1")]


def test_retry_field_digits_only() -> None:
    decoder = SSEDecoder()
    events = decoder.feed(
        b"retry: 1500\ndata: a\n\nretry: 1.5\ndata: b\n\nretry: \xc2\xb2\ndata: c\n\n"
    )
    assert events == [Frame(data="a", retry=1500), Frame(data="b"), Frame(data="c")]
    assert decoder.retry == 1500


def test_unknown_fields_comments_and_field_without_colon() -> None:
    body = b": keep-alive\nfoo: bar\nevent\ndata\n\n:\n\n"
    # "event" without a colon sets an empty type: the default "message" applies.
    assert_every_split(body, [Frame(data="")])


def test_empty_event_name_means_message() -> None:
    assert decode(b"event:\ndata: x\n\n") == [Frame(data="x")]


def test_bom_stripped_once_at_start_only() -> None:
    body = b"\xef\xbb\xbfdata: a\n\n\xef\xbb\xbfdata: b\n\n"
    # The second BOM makes "\ufeffdata" an unknown field name: nothing is dispatched for it.
    assert_every_split(body, [Frame(data="a")])


def test_two_boms_only_the_first_is_stripped() -> None:
    assert decode(b"\xef\xbb\xbf\xef\xbb\xbfdata: a\n\n") == []


def test_partial_bom_that_is_not_a_bom() -> None:
    assert decode(b"\xefdata: a\n\n", (1,)) == []  # U+FFFD then "data": an unknown field
    assert decode(b"\xef\xbb", (1,)) == []


@pytest.mark.parametrize("eol", [b"\n", b"\r", b"\r\n"])
def test_line_ends(eol: bytes) -> None:
    body = b"event: e" + eol + b"data: 1" + eol + b"data: 2" + eol + eol + b"data: 3" + eol + eol
    assert_every_split(body, [Frame("e", "1\n2"), Frame(data="3")])


def test_mixed_line_ends_and_cr_split_from_lf() -> None:
    body = b"data: a\r\n\r\ndata: b\r\rdata: c\n\ndata: d\r\n\n"
    assert_every_split(body, [Frame(data="a"), Frame(data="b"), Frame(data="c"), Frame(data="d")])


def test_crlf_split_between_cr_and_lf_is_one_line_end() -> None:
    # "data: a\r" | "\ndata: b\r\n\r\n": the LF pairs with the CR, no blank line in between.
    assert decode(b"data: a\r\ndata: b\r\n\r\n", (8,)) == [Frame(data="a\nb")]


def test_last_event_without_blank_line_is_dispatched_at_eof() -> None:
    assert_every_split(b"data: a\n\ndata: b", [Frame(data="a"), Frame(data="b")])
    assert decode(b"event: x\ndata: b\n") == [Frame("x", "b")]


@pytest.mark.parametrize("text", ["é", "€", "𝄞", "日本語", "naïve 🙂 ok"])
def test_multibyte_utf8_split_at_every_position(text: str) -> None:
    body = f"data: {text}\n\nevent: {text}\ndata: {text}\n\n".encode()
    assert_every_split(body, [Frame(data=text), Frame(text, text)])


def test_invalid_utf8_is_replaced_not_raised() -> None:
    assert decode(b"data: a\xffb\n\n") == [Frame(data="a\ufffdb")]


def test_max_event_bytes_on_a_pending_event() -> None:
    decoder = SSEDecoder(max_event_bytes=100)
    decoder.feed(b"data: " + b"x" * 50)
    with pytest.raises(EventTooLargeError):
        decoder.feed(b"x" * 60)


def test_max_event_bytes_on_a_complete_event_in_one_chunk() -> None:
    body = b"data: ok\n\ndata: " + b"x" * 200 + b"\n\ndata: ok\n\n"
    with pytest.raises(EventTooLargeError):
        SSEDecoder(max_event_bytes=100).feed(body)
    assert len(decode(body, max_event_bytes=300)) == 3


def test_many_small_events_do_not_count_as_one() -> None:
    body = b"data: 0123456789\n\n" * 1000
    assert len(decode(body, max_event_bytes=32)) == 1000


def test_large_event_in_many_chunks_is_linear() -> None:
    decoder = SSEDecoder()
    line = b"x" * 65536
    assert decoder.feed(b"data: ") == []
    for _ in range(64):  # 4 MiB in 64 KiB reads
        assert decoder.feed(line) == []
    events = decoder.feed(b"\n\n")
    assert len(events) == 1 and len(events[0].data) == 64 * 65536


def test_blank_lines_only_and_empty_input() -> None:
    assert decode(b"") == []
    assert decode(b"\n\n\n\r\n") == []
    assert SSEDecoder().feed(b"") == []


def test_many_events_in_one_chunk_and_across_chunks() -> None:
    body = b"".join(b'event: e%d\ndata: {"i": %d}\n\n' % (i, i) for i in range(200))
    expected = [Frame(f"e{i}", f'{{"i": {i}}}') for i in range(200)]
    assert decode(body) == expected
    assert decode(body, tuple(range(7, len(body), 13))) == expected


def test_decoded_events_are_real_frozen_sse_events() -> None:
    fast = decode(b"data: a\n\ndata: b\n\n")  # the one-split fast path
    general = decode(b"event: e\ndata: a\nid: 1\n\n")  # the field loop
    for event in fast + general:
        assert type(event) is Frame
        with pytest.raises(dataclasses.FrozenInstanceError):
            event.data = "changed"  # type: ignore[misc]
        assert dataclasses.replace(event, data="z").data == "z"
        assert hash(event) == hash(Frame(event.event, event.data, event.id, event.retry))


def test_max_event_bytes_must_be_positive_and_is_an_inclusive_limit() -> None:
    with pytest.raises(ValueError, match=r"^max_event_bytes must be positive$"):
        SSEDecoder(max_event_bytes=0)
    assert SSEDecoder(max_event_bytes=1).feed(b"x") == []
    decoder = SSEDecoder(max_event_bytes=10)
    assert decoder.feed(b"data: 1234") == []  # exactly the limit, still pending
    with pytest.raises(EventTooLargeError, match=r"max_event_bytes=10 \(11 bytes so far\)$"):
        decoder.feed(b"5")


def test_max_event_bytes_in_one_read_measures_each_event_whole() -> None:
    exact = b"data: " + b"x" * 4  # 10 bytes: at the limit, allowed
    assert len(SSEDecoder(max_event_bytes=10).feed(exact + b"\n\n" + exact + b"\n\n")) == 2
    words = b"data:" + b" w" * 10  # spaces inside an event do not split it
    with pytest.raises(EventTooLargeError, match=r"max_event_bytes=10 \(25 bytes\)$"):
        SSEDecoder(max_event_bytes=10).feed(words + b"\n\n" + exact + b"\n\n")


def test_no_retry_until_the_stream_announces_one() -> None:
    decoder = SSEDecoder()
    assert decoder.retry is None
    decoder.feed(b"retry: 250\ndata: x\n\n")
    assert decoder.retry == 250


def test_a_read_completing_two_events_returns_both_at_once() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n") == []
    assert decoder.feed(b"\ndata: b\n\n") == [Frame(data="a"), Frame(data="b")]


def test_a_one_byte_event_then_an_unterminated_one() -> None:
    assert_every_split(b":\n\ndata: b", [Frame(data="b")])
    assert_every_split(b"\n\ndata: b", [Frame(data="b")])


def test_extra_blank_lines_between_events_dispatch_nothing() -> None:
    body = b"data: a\n\n\ndata: b\n\n\n\n\ndata: c"
    assert_every_split(body, [Frame(data="a"), Frame(data="b"), Frame(data="c")])


def test_event_and_data_without_the_space_after_the_colon() -> None:
    body = b"id: 7\n\nevent:ping\ndata:yz\n\nevent: x\nxdata: y\n\n"
    assert decode(body) == [Frame(event="ping", data="yz", id="7")]


def test_flush_twice_dispatches_nothing_more() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"\xef\xbb")
    assert decoder.flush() == []


def test_event_name_without_a_space_after_the_colon() -> None:
    body = b"event:add\ndata:1\n\nevent:  two spaces\ndata: 2\n\nevent:x\ndata: 3\ndata: 4\n\n"
    expected = [Frame("add", "1"), Frame(" two spaces", "2"), Frame("x", "3\n4")]
    assert_every_split(body, expected, pairs=False)


@pytest.mark.parametrize("name", ["data", "event"])
def test_an_event_of_exactly_max_event_bytes_passes_one_more_byte_does_not(name: str) -> None:
    # The limit counts the event's field lines, whatever the split (the blank line not included).
    body = f"{name}: ".encode() + b"x" * 20 + (b"\ndata: y" if name == "event" else b"")
    limit = len(body)
    framed = b"data: a\n\n" + body + b"\n\ndata: b\n\n"
    for cuts in [(), *((cut,) for cut in range(1, len(framed)))]:
        assert len(decode(framed, cuts, max_event_bytes=limit)) == 3, f"cuts at {cuts}"
        with pytest.raises(EventTooLargeError):
            decode(framed, cuts, max_event_bytes=limit - 1)


def test_an_event_too_large_is_dropped_not_kept() -> None:
    decoder = SSEDecoder(max_event_bytes=100)
    assert decoder.feed(b"data: first\n\ndata: " + b"x" * 50) == [Frame(data="first")]
    with pytest.raises(EventTooLargeError):
        decoder.feed(b"x" * 60)
    # The refused bytes are gone: nothing of them comes out at the end or after.
    assert decoder.feed(b"\n\ndata: next\n\n") == [Frame(data="next")]
    assert decoder.flush() == []


def test_an_event_closed_by_three_line_ends_keeps_its_id_retry_and_data_lines() -> None:
    # The read's last blank line leaves a line end inside the block: the field loop dispatches.
    body = b"data: a\ndata: b\nid: 5\nretry: 7\n\n\ndata: c\n\n"
    expected = [Frame(data="a\nb", id="5", retry=7), Frame(data="c", id="5")]
    assert_every_split(body, expected, pairs=False)


def test_comments_are_ignored_wherever_they_stand() -> None:
    body = b": hi\ndata: a\n:data: b\n: event: x\ndata: c\n:\n\n:only a comment\n\n"
    assert_every_split(body, [Frame(data="a\nc")], pairs=False)


def test_common_event_shapes_skip_the_general_field_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    # Speed (the module doc): one-line "data:" events and "event:" + "data:" pairs, the shapes
    # every provider sends, are cut out directly; the field loop costs several times more.
    def no_field_loop(self: SSEDecoder, block: str, out: list[object]) -> None:
        raise AssertionError(f"the field loop decoded {block!r}")

    decoder = SSEDecoder()
    monkeypatch.setattr(SSEDecoder, "_parse_block", no_field_loop)
    assert decoder.feed(b"data: a\n\ndata: b\n\n") == [Frame(data="a"), Frame(data="b")]
    body = b"event: e\ndata: 1\n\nevent:f\ndata:2\n\ndata:3\n\nevent: g\ndata: 4\n\ndata: 5\n\n"
    expected = [Frame("e", "1"), Frame("f", "2"), Frame(data="3"), Frame("g", "4"), Frame(data="5")]
    assert decoder.feed(body) == expected
    assert decoder.feed(b"event: h\ndata: ") == []
    assert decoder.feed(b"6\n\n") == [Frame("h", "6")]


def test_a_read_of_one_line_data_events_is_cut_with_one_split(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Speed (the module doc): OpenAI's and Gemini's reads, one-line "data: " events only, skip
    # even the per-block loop.
    def no_block_loop(self: SSEDecoder, text: str) -> list[Frame]:
        raise AssertionError(f"the block loop decoded {text!r}")

    decoder = SSEDecoder()
    monkeypatch.setattr(SSEDecoder, "_decode", no_block_loop)
    assert decoder.feed(b"data: a\n\ndata: {}\n\ndata: \n\ndata: c") == [
        Frame(data="a"),
        Frame(data="{}"),
        Frame(data=""),
    ]
    assert decoder.feed(b"\n\ndata: d\n\n") == [Frame(data="c"), Frame(data="d")]

"""The AWS event-stream decoder: Bedrock's real bodies cut anywhere give the same frames, every
header value type is read or skipped, and every broken frame is a ``MalformedStreamError``."""

from __future__ import annotations

import json
import os
import random
import struct
import zlib
from collections.abc import Sequence
from pathlib import Path

import pytest

from rillet import EventTooLargeError, MalformedStreamError, RilletError
from rillet.emulator.render._eventstream import encode_message, event_message, exception_message
from rillet.transport import EventStreamDecoder, Frame

REPO = Path(__file__).resolve().parents[2]


def _bedrock_bodies() -> list[bytes]:
    folder = Path(
        os.environ.get("RILLET_REAL_STREAMS_BEDROCK") or REPO.parent / "shared/real-streams-bedrock"
    )
    index = folder / "index.json"
    if not index.is_file():
        return []
    entries = json.loads(index.read_text(encoding="utf-8"))
    return [(folder / e["body"]).read_bytes() for e in entries if e["status"] == 200]


_BODIES = _bedrock_bodies()


def _outcome(pieces: Sequence[bytes]) -> tuple[list[Frame], RilletError | None]:
    """The frames of ``pieces`` fed one by one, and the rillet error that ended them."""
    decoder = EventStreamDecoder()
    frames: list[Frame] = []
    try:
        for piece in pieces:
            frames += decoder.feed(piece)
        frames += decoder.flush()
    except RilletError as error:
        return frames, error
    return frames, None


def _frames(body: bytes, cuts: list[int]) -> list[Frame]:
    decoder = EventStreamDecoder()
    out: list[Frame] = []
    for start, end in zip([0, *cuts], [*cuts, len(body)], strict=True):
        out += decoder.feed(body[start:end])
    return out + decoder.flush()


def _message_ends(body: bytes) -> list[int]:
    """Where each message of a well-formed body ends: the reads of a live stream."""
    ends, at = [], 0
    while at < len(body):
        at += struct.unpack_from(">I", body, at)[0]
        ends.append(at)
    return ends[:-1]


@pytest.mark.parametrize("number", range(len(_BODIES)) if _BODIES else [pytest.param(-1)])
def test_real_bodies_give_the_same_frames_whole_byte_by_byte_one_message_per_read_and_cut_at_random(
    number: int,
) -> None:
    if number < 0:
        pytest.skip("the real Bedrock streams folder is absent")
    body = _BODIES[number]
    whole = _frames(body, [])
    assert whole[0].event == "messageStart" and whole[-1].event == "metadata"
    assert all(json.loads(frame.data)["p"] for frame in whole)  # the padding is in every payload
    assert _frames(body, list(range(1, len(body)))) == whole
    assert _frames(body, _message_ends(body)) == whole  # a live stream's reads
    rng = random.Random(number)
    for _ in range(20):
        cuts = sorted(rng.sample(range(1, len(body)), rng.randint(1, 30)))
        assert _frames(body, cuts) == whole


def test_an_event_message_is_its_event_type_and_payload_text() -> None:
    body = event_message("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "é€"}})
    assert _frames(body, []) == [
        Frame("contentBlockDelta", '{"contentBlockIndex":0,"delta":{"text":"é€"}}')
    ]


def test_exception_and_error_messages_are_told_apart_from_events() -> None:
    error = encode_message(
        {":message-type": "error", ":error-code": "InternalFailure", ":error-message": 'x "y"'}, b""
    )
    body = (exception_message("throttlingException", "slow down") + error) * 2
    expected = [
        Frame(":exception:throttlingException", '{"message":"slow down"}'),
        Frame(":error:InternalFailure", '{"message": "x \\"y\\""}'),
    ] * 2
    assert _frames(body, []) == expected
    assert _frames(body, _message_ends(body)) == expected  # read alone, their blocks known


def test_a_payload_of_invalid_utf8_is_replaced_alike_whole_or_read_alone() -> None:
    body = encode_message({":event-type": "x"}, b"{}") + encode_message(
        {":event-type": "x"}, b'{"t":"\xff"}'
    )
    expected = [Frame("x", "{}"), Frame("x", '{"t":"\ufffd"}')]
    assert _frames(body, []) == expected
    assert _frames(body, _message_ends(body)) == expected


def test_a_message_of_an_unknown_type_is_skipped_and_one_without_a_type_is_an_event() -> None:
    odd = encode_message({":message-type": "ping", ":event-type": "x"}, b"{}")
    plain = encode_message({":event-type": "messageStop"}, b"{}")
    body = (odd + plain) * 2
    assert _frames(body, []) == [Frame("messageStop", "{}")] * 2
    assert _frames(body, _message_ends(body)) == [Frame("messageStop", "{}")] * 2


def _header(name: str, kind: int, value: bytes) -> bytes:
    raw = name.encode()
    return struct.pack(">B", len(raw)) + raw + struct.pack(">B", kind) + value


def _raw_message(headers: bytes, payload: bytes) -> bytes:
    prelude = struct.pack(">II", 16 + len(headers) + len(payload), len(headers))
    head = prelude + struct.pack(">I", zlib.crc32(prelude)) + headers + payload
    return head + struct.pack(">I", zlib.crc32(head))


_EVERY_TYPE = b"".join(
    [
        _header("t", 0, b""),
        _header("f", 1, b""),
        _header("b", 2, b"\x7f"),
        _header("s", 3, b"\x00\x01"),
        _header("i", 4, b"\x00\x00\x00\x01"),
        _header("l", 5, b"\x00" * 8),
        _header("bytes", 6, struct.pack(">H", 3) + b"\x00\xff\x07"),
        _header(":event-type", 7, struct.pack(">H", 8) + b"metadata"),
        _header("ts", 8, b"\x00" * 8),
        _header("id", 9, b"\x01" * 16),
    ]
)


def test_every_header_value_type_is_skipped_or_read() -> None:
    body = _raw_message(_EVERY_TYPE, b'{"a":1}')
    assert _frames(body, list(range(1, len(body)))) == [Frame("metadata", '{"a":1}')]


def _corrupt(body: bytes, at: int) -> bytes:
    return body[:at] + bytes([body[at] ^ 0x01]) + body[at + 1 :]


_GOOD = event_message("messageStart", {"role": "assistant"})


def _with_message_crc(message: bytes) -> bytes:
    return message[:-4] + struct.pack(">I", zlib.crc32(message[:-4]))


_CORRUPT = {
    "prelude CRC": _corrupt(_GOOD, 9),
    "prelude CRC alone": _with_message_crc(_corrupt(_GOOD, 9)),
    "length in the prelude": _corrupt(_GOOD, 3),
    "header byte": _corrupt(_GOOD, 14),
    "payload byte": _corrupt(_GOOD, len(_GOOD) - 6),
    "message CRC": _corrupt(_GOOD, len(_GOOD) - 1),
    "cut short": _GOOD[:-1],
    "bytes after the last message": _GOOD + b"\x00",
    "a prelude only": _GOOD[:12],
    "shorter than 16": _raw_message(b"", b"")[:8] + b"\x00" * 8,
    "headers longer than the message": _raw_message(b"\x01", b""),
    "unknown value type": _raw_message(_header("x", 10, b""), b"{}"),
    "header value past its block": _raw_message(_header("x", 7, b"\x00\x09abc"), b""),
    "fixed value past its block": _raw_message(_header("x", 5, b"\x00"), b""),
    "name past its block": _raw_message(b"\x09ab", b""),
}


@pytest.mark.parametrize("name", list(_CORRUPT))
def test_a_broken_message_is_a_malformed_stream_whole_or_byte_by_byte(name: str) -> None:
    body = _CORRUPT[name]
    for pieces in ([body], [body[i : i + 1] for i in range(len(body))]):
        frames, error = _outcome(pieces)
        assert isinstance(error, MalformedStreamError)
        kept = 1 if name == "bytes after the last message" else 0  # the message before them
        assert [frame.event for frame in frames] == ["messageStart"] * kept


@pytest.mark.parametrize("name", list(_CORRUPT))
def test_a_broken_message_read_alone_after_a_sound_one_of_its_kind_is_malformed(name: str) -> None:
    # A live stream's read holds one message, and its headers block is known by then: the
    # decoder's one-message path must judge it as the general one does.
    frames, error = _outcome([_GOOD, _CORRUPT[name]])
    assert isinstance(error, MalformedStreamError)
    kept = 2 if name == "bytes after the last message" else 1
    assert [frame.event for frame in frames] == ["messageStart"] * kept


def test_a_message_read_alone_whose_headers_overrun_it_is_malformed_even_if_they_match() -> None:
    # A message with no payload whose prelude claims 4 more header bytes than it holds: its
    # "headers" run into its CRC. Another message's headers block can be those very bytes; the
    # decoder must still refuse the first (a search finds an event type for which the CRC's
    # bytes end the block as one more valid header: a 2-byte name, then type true or false).
    for number in range(1_000_000):  # pragma: no branch (found within 100,000)
        block = _header(":event-type", 7, struct.pack(">H", 7) + f"e{number:06}".encode())
        prelude = struct.pack(">II", 16 + len(block), len(block) + 4)
        head = prelude + struct.pack(">I", zlib.crc32(prelude)) + block
        crc = struct.pack(">I", zlib.crc32(head))
        if crc[0] == 2 and crc[3] in (0, 1):
            break
    overrun = head + crc
    sound = _raw_message(block + crc, b"{}")
    frames, error = _outcome([sound, overrun])
    assert frames == [Frame(f"e{number:06}", "{}")]
    assert isinstance(error, MalformedStreamError)


def test_a_message_read_alone_over_max_event_bytes_is_too_large() -> None:
    bigger = event_message("messageStart", {"role": "assistant", "pad": "x" * 20})
    decoder = EventStreamDecoder(max_event_bytes=len(_GOOD))
    assert decoder.feed(_GOOD) == [Frame("messageStart", '{"role":"assistant"}')]
    with pytest.raises(EventTooLargeError, match=f"{len(bigger)} bytes"):
        decoder.feed(bigger)


def test_impossible_lengths_are_malformed_at_once() -> None:
    tiny = struct.pack(">II", 15, 0)
    tiny += struct.pack(">I", zlib.crc32(tiny))
    with pytest.raises(MalformedStreamError, match="impossible length 15"):
        EventStreamDecoder().feed(tiny)


def test_a_message_over_max_event_bytes_is_too_large_before_its_payload_arrives() -> None:
    decoder = EventStreamDecoder(max_event_bytes=len(_GOOD) - 1)
    with pytest.raises(EventTooLargeError, match=f"{len(_GOOD)} bytes"):
        decoder.feed(_GOOD[:12])
    assert EventStreamDecoder(max_event_bytes=len(_GOOD)).feed(_GOOD) == _frames(_GOOD, [])


def test_the_messages_before_a_broken_one_in_the_same_read_are_handed_out_first() -> None:
    second = event_message("messageStop", {"stopReason": "end_turn"})
    decoder = EventStreamDecoder()
    frames = decoder.feed(_GOOD + _corrupt(second, len(second) - 1))
    assert [frame.event for frame in frames] == ["messageStart"]
    with pytest.raises(MalformedStreamError, match="message CRC"):
        decoder.feed(b"")
    with pytest.raises(MalformedStreamError, match="message CRC"):
        decoder.flush()


def test_a_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        EventStreamDecoder(max_event_bytes=0)


def _count_parses(monkeypatch: pytest.MonkeyPatch, limit: int = 256) -> list[bytes]:
    """The header blocks parsed from now on, with the shared cache empty and ``limit`` long."""
    from rillet.transport import _eventstream

    parses: list[bytes] = []
    parse = _eventstream._parse_headers

    def counted(block: bytes) -> tuple[str, str | None] | None:
        parses.append(block)
        return parse(block)

    monkeypatch.setattr(_eventstream, "_parse_headers", counted)
    monkeypatch.setattr(_eventstream, "_KNOWN", {})
    monkeypatch.setattr(_eventstream, "_KNOWN_BLOCKS", limit)
    return parses


def test_a_header_block_is_parsed_once_for_every_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every stream of a service repeats the same few header blocks (one per event type): the
    # second stream, and the later messages of the first, parse none of them again.
    parses = _count_parses(monkeypatch)
    kinds = ["messageStart", "contentBlockDelta", "messageStop"]
    body = b"".join(event_message(kind, {"n": n}) for n in range(4) for kind in kinds)
    for cuts in ([], _message_ends(body)):
        assert [f.event for f in _frames(body, cuts)] == kinds * 4
    assert len(parses) == len(kinds)


def test_error_blocks_are_not_kept_and_a_full_cache_starts_over(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An error message's block holds its own text: each is parsed where it comes. A header that
    # changes every message fills the cache, which then starts over rather than stay full of
    # blocks never seen again, so the next stream's blocks are kept (and parsed once) again.
    parses = _count_parses(monkeypatch, limit=4)
    error = encode_message(
        {":message-type": "error", ":error-code": "E", ":error-message": "m"}, b""
    )
    assert [f.event for f in _frames(error * 2, [])] == [":error:E"] * 2
    assert len(parses) == 2
    churn = b"".join(encode_message({":event-type": "x", "id": str(n)}, b"{}") for n in range(9))
    assert len(_frames(churn, [])) == 9
    parses.clear()
    body = event_message("messageStart", {}) * 3 + event_message("messageStop", {}) * 3
    assert len(_frames(body, _message_ends(body))) == 6
    assert len(parses) == 2

"""Property tests of the AWS event-stream decoder: messages cut anywhere give the frames of the
whole; any bytes end in frames or a typed rillet error, the same however they are cut."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from rillet.emulator.render._eventstream import encode_message, event_message, exception_message
from rillet.transport import EventStreamDecoder, Frame

from ._split import cut, decode, same_whatever_the_cut

_NAMES = st.sampled_from(["messageStart", "contentBlockDelta", "metadata", "é", "x" * 300])
_PAYLOADS = st.dictionaries(st.text(max_size=8), st.text(max_size=20) | st.integers(), max_size=4)


@st.composite
def _messages(draw: st.DrawFn) -> tuple[bytes, Frame]:
    """One message's bytes, and its frame."""
    name, payload = draw(_NAMES), draw(_PAYLOADS)
    if draw(st.integers(0, 4)) == 0:
        message = str(payload.get("", ""))
        text = json.dumps({"message": message}, ensure_ascii=False, separators=(",", ":"))
        return exception_message(name, message), Frame(":exception:" + name, text)
    extra = draw(st.dictionaries(st.sampled_from(["a", ":date", ":id"]), st.text(max_size=9)))
    headers = {":event-type": name, **extra, ":message-type": "event"}
    if draw(st.booleans()):
        raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        return event_message(name, payload), Frame(name, raw)
    raw = json.dumps(payload)
    return encode_message(headers, raw.encode()), Frame(name, raw)


@given(st.data(), st.lists(_messages(), max_size=6))
def test_any_split_gives_each_message_whole(
    data: st.DataObject, messages: list[tuple[bytes, Frame]]
) -> None:
    body = b"".join(raw for raw, _ in messages)
    whole = decode(EventStreamDecoder, [body])
    assert whole.error is None
    assert whole.frames == [frame for _, frame in messages]
    assert decode(EventStreamDecoder, data.draw(cut(body))) == whole


@st.composite
def _mutated(draw: st.DrawFn) -> bytes:
    """Valid messages with a few bytes changed, removed or added."""
    body = bytearray(b"".join(raw for raw, _ in draw(st.lists(_messages(), min_size=1))))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(body)))
        action = draw(st.integers(0, 2))
        junk = draw(st.binary(min_size=1, max_size=2))
        if action == 0 and at < len(body):
            body[at : at + 1] = junk[:1]
        elif action == 1:
            del body[at : at + 1]
        else:
            body[at:at] = junk
    return bytes(body)


_ANY_BYTES: Any = st.binary(max_size=120) | _mutated()


@given(st.data(), _ANY_BYTES, st.integers(16, 64) | st.just(1 << 20))
def test_any_bytes_end_in_frames_or_a_typed_error(
    data: st.DataObject, body: bytes, limit: int
) -> None:
    make = partial(EventStreamDecoder, max_event_bytes=limit)
    same_whatever_the_cut(make, body, data.draw(cut(body)))

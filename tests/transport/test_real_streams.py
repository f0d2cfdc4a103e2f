"""Every recorded real provider body frames the same whole, byte by byte and at random cuts,
through the pure decoders and through the transport over a real connection."""

from __future__ import annotations

import json

import pytest
from real_streams import Entry, as_params, body, entries, frames, missing, random_cuts

from rillet.testing import FaultServer, Reply
from rillet.transport import Frame, HTTPTransport


def decode(entry: Entry, data: bytes, cuts: list[int]) -> list[Frame]:
    return frames(data, json_array=entry["api"] == "gemini_json", cuts=cuts)


def check_frames(entry: Entry, data: bytes, framed: list[Frame]) -> None:
    """What the frames must be, known independently of our decoder."""
    if entry["api"] == "gemini_json":
        assert [json.loads(f.data) for f in framed] == json.loads(data)
        return
    assert framed, "no frames"
    # One frame per block with a "data:" line. 009.sse opens with " data: ..." (a leading
    # space): per the spec that field is named " data" and ignored, as the OpenAI SDK does.
    blocks = data.decode().split("\n\n")
    assert len(framed) == sum(
        any(line.startswith("data:") for line in b.split("\n")) for b in blocks
    )
    for frame in framed:
        if frame.data == "[DONE]":
            continue
        payload = json.loads(frame.data)
        if frame.event != "message":  # Anthropic and OpenAI Responses name each event by type
            assert payload["type"] == frame.event


@pytest.mark.parametrize("entry", as_params(entries(), lambda e: str(e["body"])))
def test_decoders_frame_identically_however_cut(entry: Entry | None) -> None:
    data = body(entry)
    assert entry is not None
    whole = decode(entry, data, [])
    check_frames(entry, data, whole)
    assert decode(entry, data, list(range(1, len(data)))) == whole
    for attempt in range(3):
        assert decode(entry, data, random_cuts(data, f"{entry['body']}{attempt}")) == whole


async def test_transport_frames_every_body(server: FaultServer, transport: HTTPTransport) -> None:
    for entry in entries() or missing("the real streams folder"):
        data = body(entry)
        expected = decode(entry, data, [])
        for chunks in ("whole", random_cuts(data, entry["body"])):
            server.script(Reply(body=data, content_type=entry["content_type"], chunks=chunks))
            async with transport.stream("POST", server.url, headers={}) as stream:
                framed = [frame async for frame in stream]
            assert framed == expected, entry["body"]


def smallest_per_api() -> list[Entry]:
    chosen: dict[str, Entry] = {}
    for entry in entries():
        best = chosen.get(entry["api"])
        if best is None or len(body(entry)) < len(body(best)):
            chosen[entry["api"]] = entry
    return list(chosen.values())


@pytest.mark.parametrize(
    "entry", as_params(smallest_per_api(), lambda e: f"{e['api']}-{e['body']}")
)
async def test_transport_one_byte_drip(
    server: FaultServer, transport: HTTPTransport, entry: Entry | None
) -> None:
    # A byte per write costs a loop turn each: one body per API keeps this fast.
    data = body(entry)
    assert entry is not None
    server.script(Reply(body=data, content_type=entry["content_type"], chunks="drip", gzip=True))
    async with transport.stream("POST", server.url, headers={}) as stream:
        framed = [frame async for frame in stream]
    assert framed == decode(entry, data, [])

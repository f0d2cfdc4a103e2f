"""Every recorded real provider body frames the same whole, byte by byte and at random cuts,
through the pure decoders and through the transport over a real connection."""

from __future__ import annotations

import json
import random
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from rillet.testing import FaultServer, Reply
from rillet.transport import HTTPTransport, JSONArrayDecoder, SSEDecoder, SSEEvent

STREAMS = Path("/work/shared/real-streams")
INDEX: list[dict[str, Any]] = (
    json.loads((STREAMS / "index.json").read_text()) if (STREAMS / "index.json").exists() else []
)
pytestmark = pytest.mark.skipif(not INDEX, reason="the recorded real streams are not available")


def body_of(entry: dict[str, Any]) -> bytes:
    return (STREAMS / str(entry["body"])).read_bytes()


def decode(entry: dict[str, Any], body: bytes, cuts: list[int]) -> list[SSEEvent]:
    decoder = JSONArrayDecoder() if entry["api"] == "gemini_json" else SSEDecoder()
    bounds = [0, *cuts, len(body)]
    events: list[SSEEvent] = []
    for start, end in pairwise(bounds):
        events += decoder.feed(body[start:end])
    return events + decoder.flush()


def check_frames(entry: dict[str, Any], body: bytes, frames: list[SSEEvent]) -> None:
    """What the frames must be, known independently of our decoder."""
    if entry["api"] == "gemini_json":
        assert [json.loads(f.data) for f in frames] == json.loads(body)
        return
    assert frames, "no frames"
    # One frame per block with a "data:" line. 009.sse opens with " data: ..." (a leading
    # space): per the spec that field is named " data" and ignored, as the OpenAI SDK does.
    blocks = body.decode().split("\n\n")
    assert len(frames) == sum(
        any(line.startswith("data:") for line in b.split("\n")) for b in blocks
    )
    for frame in frames:
        if frame.data == "[DONE]":
            continue
        payload = json.loads(frame.data)
        if frame.event != "message":  # Anthropic and OpenAI Responses name each event by type
            assert payload["type"] == frame.event


def random_cuts(body: bytes, seed: str) -> list[int]:
    rng = random.Random(seed)
    return sorted(rng.sample(range(1, len(body)), min(len(body) - 1, 40)))


@pytest.mark.parametrize("entry", INDEX, ids=[e["body"] for e in INDEX])
def test_decoders_frame_identically_however_cut(entry: dict[str, Any]) -> None:
    body = body_of(entry)
    whole = decode(entry, body, [])
    check_frames(entry, body, whole)
    assert decode(entry, body, list(range(1, len(body)))) == whole
    for attempt in range(3):
        assert decode(entry, body, random_cuts(body, f"{entry['body']}{attempt}")) == whole


async def test_transport_frames_every_body(server: FaultServer, transport: HTTPTransport) -> None:
    for entry in INDEX:
        body = body_of(entry)
        expected = decode(entry, body, [])
        for chunks in ("whole", random_cuts(body, entry["body"])):
            server.script(Reply(body=body, content_type=entry["content_type"], chunks=chunks))
            async with transport.stream("POST", server.url, headers={}) as stream:
                frames = [frame async for frame in stream]
            assert frames == expected, entry["body"]


def smallest_per_api() -> list[dict[str, Any]]:
    chosen: dict[str, dict[str, Any]] = {}
    for entry in INDEX:
        best = chosen.get(entry["api"])
        if best is None or len(body_of(entry)) < len(body_of(best)):
            chosen[entry["api"]] = entry
    return list(chosen.values())


@pytest.mark.parametrize("entry", smallest_per_api(), ids=lambda e: f"{e['api']}-{e['body']}")
async def test_transport_one_byte_drip(
    server: FaultServer, transport: HTTPTransport, entry: dict[str, Any]
) -> None:
    # A byte per write costs a loop turn each: one body per API keeps this fast.
    body = body_of(entry)
    server.script(Reply(body=body, content_type=entry["content_type"], chunks="drip", gzip=True))
    async with transport.stream("POST", server.url, headers={}) as stream:
        frames = [frame async for frame in stream]
    assert frames == decode(entry, body, [])

"""A credential the server echoes into a frame is redacted from every frame handed out after it,
in every wire format, however the network cuts the body: whole in one read, cut in two at every
place, or dripped a few bytes a read (the watch then searches the edges of reads that go on
with a frame begun before them)."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from rillet.emulator.render._eventstream import event_message
from rillet.transport import EventStreamDecoder, Frame, JSONArrayDecoder, SSEDecoder
from rillet.transport._stream import Decoder

from ._support import ReaderProtocol, reader_stream, sse

SECRET = "zq-4h8w2v9r7t1y6u3i5o0p"
PREFIX = b"data: {}\n\n"  # the stream's first read, before any secret


def _bodies() -> dict[str, tuple[bytes, bytes, type[Decoder]]]:
    """format -> (the first read, the rest of the body, its decoder): the secret sits in the
    middle of the second frame's text, and a third frame follows."""
    text = json.dumps({"text": f"key {SECRET} echoed"})
    gemini = [json.dumps({"n": i}) for i in range(3)]
    gemini[1] = text
    bedrock = [event_message("contentBlockDelta", {"text": t}) for t in ("a", "b", "c")]
    bedrock[1] = event_message("contentBlockDelta", json.loads(text))
    return {
        "sse": (PREFIX, sse(text, "after"), SSEDecoder),
        "json-array": (
            b"[" + gemini[0].encode(),
            ("\n," + ",".join(gemini[1:]) + "]").encode(),
            JSONArrayDecoder,
        ),
        "event-stream": (bedrock[0], bedrock[1] + bedrock[2], EventStreamDecoder),
    }


BODIES = _bodies()


async def _read(first: bytes, reads: list[bytes], decoder: Decoder) -> list[Frame]:
    protocol = ReaderProtocol()
    content = aiohttp.StreamReader(protocol, 1 << 16, loop=asyncio.get_running_loop())  # type: ignore[arg-type]
    frames = reader_stream(content, protocol, first=first, decoder=decoder, secrets=(SECRET,))
    out: list[Frame] = []
    try:
        for data in [*reads, None]:
            if data is None:
                content.feed_eof()
            else:
                content.feed_data(data)
            await frames.wait()
            while (batch := frames.take_nowait()) is not None:
                out += batch
                if not batch:
                    break
    finally:
        await frames.aclose()
    return out


def _cuts(body: bytes, size: int) -> list[bytes]:
    return [body[i : i + size] for i in range(0, len(body), size)]


@pytest.mark.parametrize("fmt", BODIES)
async def test_an_echoed_secret_is_redacted_however_the_reads_cut_it(fmt: str) -> None:
    first, rest, decoder = BODIES[fmt]
    whole = await _read(first, [rest], decoder())
    assert len(whole) == 3 and "REDACTED" in whole[1].data
    ways = [[rest[:cut], rest[cut:]] for cut in range(1, len(rest))]
    ways += [_cuts(rest, size) for size in (1, 3, 7)]
    for reads in ways:
        frames = await _read(first, reads, decoder())
        assert frames == whole, [len(read) for read in reads]
        assert all(SECRET not in frame.data for frame in frames)

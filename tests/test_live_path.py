"""The path a read takes to the consumer (``HTTPBatches`` and ``StreamingLLMResponse``'s pull):
a live stream (one event per network read) reaches the consumer with no coroutine of rillet's
between it and the socket's wait, since each layer costs a call and a frame per event; and a
read's frames before a bad one still reach the consumer, ahead of the error."""

from __future__ import annotations

import asyncio
import itertools
import json

import pytest

from rillet import LLMClient, MalformedStreamError, Timeout
from rillet.testing import FaultServer, Reply
from rillet.transport import Frame, HTTPTransport


def _client(server: FaultServer, http: HTTPTransport) -> LLMClient:
    return LLMClient(
        provider="openai", model="m", api_key="k", base_url=server.url, options={"transport": http}
    )


def _events(count: int) -> list[bytes]:
    def frame(delta: dict[str, str], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        data = json.dumps({"id": "c1", "model": "m", "choices": [choice]})
        return f"data: {data}\n\n".encode()

    words = [frame({"content": f"w{i} "}) for i in range(count)]
    return [frame({"role": "assistant"}), *words, frame({}, "stop"), b"data: [DONE]\n\n"]


@pytest.mark.parametrize(
    ("total", "chain"),
    [
        # The consumer and StreamingLLMResponse.__anext__, awaiting the reader's own future:
        # nothing else (no adapter generator, no transport coroutine, no aiohttp read).
        (None, ["consume", "__anext__"]),
        # With a total deadline, aiohttp's reader bounds its wait (``_wait``) and is read
        # through it.
        (60.0, ["consume", "__anext__", "_wait"]),
    ],
)
async def test_a_waiting_live_stream_holds_no_coroutine_of_rillets(
    no_leaks: None, total: float | None, chain: list[str]
) -> None:
    events = _events(12)
    cuts = list(itertools.accumulate(len(event) for event in events))[:-1]
    async with FaultServer() as server, HTTPTransport() as http:
        server.script(Reply(body=b"".join(events), chunks=cuts, chunk_delay=0.03))
        client = _client(server, http)
        texts: list[str] = []

        async def consume() -> None:
            async with client.stream("hi", timeout=Timeout(total=total)) as stream:
                async for chunk in stream:
                    if chunk.type == "content":
                        texts.append(chunk.text)

        task = asyncio.create_task(consume())
        stacks: list[list[str]] = []
        while not task.done():
            await asyncio.sleep(0.01)
            # After the first word and before the last: the live path, never the stream's end
            # (which closes the connection, awaiting its own release).
            if 0 < len(texts) < 12 and not task.done():
                stacks.append(_awaiting(task.get_coro()))
        await task
        await client.aclose()
    assert "".join(texts) == "".join(f"w{i} " for i in range(12))
    waiting = [stack[:-1] for stack in stacks if len(stack) > 1]  # less the future
    assert len(waiting) >= 5, stacks
    assert all(stack == chain for stack in waiting), stacks


def _awaiting(awaitable: object) -> list[str]:
    """The chain a task waits through: each coroutine's name, then what ends it (the future
    it waits for, or an async generator's step, which hides the rest)."""
    names: list[str] = []
    while awaitable is not None:
        frame = getattr(awaitable, "cr_frame", None)
        if frame is None:
            names.append(type(awaitable).__name__)
            break
        names.append(frame.f_code.co_name)
        awaitable = getattr(awaitable, "cr_await", None)
    return names


async def test_chunks_before_a_bad_frame_of_the_same_read_come_first(no_leaks: None) -> None:
    # One read holds good frames and then a malformed one: the good frames' chunks reach the
    # consumer (and the response) before the error, which carries the frames up to the bad one.
    events = _events(3)
    good, bad = b"".join(events[:3]), b"data: {not json\n\n"
    async with FaultServer() as server, HTTPTransport() as http:
        server.script(Reply(body=events[0] + good[len(events[0]) :] + bad, chunks=[len(events[0])]))
        client = _client(server, http)
        seen: list[str] = []
        async with client.stream("hi") as stream:
            with pytest.raises(MalformedStreamError) as raised:  # after the error chunk
                async for chunk in stream:
                    seen.append(chunk.type if chunk.type != "content" else f"content:{chunk.text}")
        await client.aclose()
    assert seen == ["start", "content:w0 ", "content:w1 ", "error"]
    assert stream.response.text == "w0 w1 " and raised.value.partial is not None
    assert raised.value.partial.text == "w0 w1 "
    assert raised.value.frames[-1] == Frame(data="{not json")

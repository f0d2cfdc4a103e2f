"""A live stream (one event per network read) reaches the consumer with no coroutine of rillet's
between it and the socket's wait: each layer of coroutines costs a call and a frame per event,
and the issue of live performance was exactly that cost."""

from __future__ import annotations

import asyncio
import itertools
import json

from rillet import LLMClient
from rillet.testing import FaultServer, Reply
from rillet.transport import HTTPTransport


def _events(count: int) -> list[bytes]:
    def frame(delta: dict[str, str], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        data = json.dumps({"id": "c1", "model": "m", "choices": [choice]})
        return f"data: {data}\n\n".encode()

    words = [frame({"content": f"w{i} "}) for i in range(count)]
    return [frame({"role": "assistant"}), *words, frame({}, "stop"), b"data: [DONE]\n\n"]


async def test_a_waiting_live_stream_holds_no_coroutine_of_rillets(no_leaks: None) -> None:
    events = _events(12)
    cuts = list(itertools.accumulate(len(event) for event in events))[:-1]
    async with FaultServer() as server, HTTPTransport() as http:
        server.script(Reply(body=b"".join(events), chunks=cuts, chunk_delay=0.03))
        client = LLMClient(
            provider="openai",
            model="m",
            api_key="k",
            base_url=server.url,
            options={"transport": http},
        )
        texts: list[str] = []

        async def consume() -> None:
            async with client.stream("hi") as stream:
                async for chunk in stream:
                    if chunk.type == "content":
                        texts.append(chunk.text)

        task = asyncio.create_task(consume())
        stacks: list[list[str]] = []
        while not task.done():
            await asyncio.sleep(0.01)
            if texts and not task.done():  # after the first chunk: the live path
                stacks.append(_awaiting(task.get_coro()))
        await task
        await client.aclose()
    assert "".join(texts) == "".join(f"w{i} " for i in range(12))
    waiting = [stack[:-1] for stack in stacks if len(stack) > 1]  # less the future's iterator
    assert len(waiting) >= 5, stacks
    # The consumer, StreamingLLMResponse.__anext__, and aiohttp's own wait for bytes: nothing
    # else (no adapter generator, no transport coroutine, no aiohttp read) in between.
    assert all(stack == ["consume", "__anext__", "_wait"] for stack in waiting), stacks


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

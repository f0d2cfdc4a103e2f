"""The console script and MockAdapter's scripting features."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import pytest

import rillet
from rillet import (
    ConfigurationError,
    ContentChunk,
    FinishReason,
    LLMClient,
    MockAdapter,
    MockResponse,
    StartChunk,
    StopChunk,
    StreamChunk,
)


def test_version_flag() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "rillet", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == f"rillet {rillet.__version__}"
    assert rillet.__version__ != "0.0.0+unknown"


async def test_mock_script_is_consumed_in_order_then_exhausted() -> None:
    client = LLMClient(MockAdapter(["first", MockResponse(text="second")]))
    assert (await client.call("a")).text == "first"
    assert (await client.call("b")).text == "second"
    with pytest.raises(ConfigurationError, match="exhausted"):
        await client.call("c")


async def test_mock_repeat_and_raw_chunks() -> None:
    chunks: list[StreamChunk] = [
        StartChunk(provider="mock"),
        ContentChunk(text="raw"),
        StopChunk(finish_reason=FinishReason.length),
    ]
    client = LLMClient(MockAdapter([chunks], repeat=True))
    for _ in range(3):
        response = await client.call("again")
        assert response.text == "raw"
        assert response.finish_reason is FinishReason.length


async def test_mock_delay_lets_other_tasks_run_and_can_be_cancelled() -> None:
    client = LLMClient(MockAdapter(MockResponse(text="x" * 100, chunk_size=1), delay=0.01))
    started = time.perf_counter()
    task = asyncio.create_task(client.call("slow"))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.perf_counter() - started < 0.5

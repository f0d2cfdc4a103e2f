"""Everything that reads a stream in the benchmarks: the floor, rillet, the official SDKs, and
what users pick instead of an SDK (litellm, pydantic-ai). Async clients everywhere.

Each consumer has ``drain(fmt, model) -> items`` (read one whole stream, as tight a loop as
its API allows), ``drain_first(fmt, model) -> (items, seconds to the first)`` and
``first(fmt, model) -> seconds`` (time from the call to the first item in
the consumer's hands, then the rest is drained so that the connection is reused). A consumer
whose package is missing or does not work here is skipped with the reason, never fatal.

Every client points at the loopback server through its ``base_url`` option, with a dummy key
and retries off, and keeps its connection pool for the whole run.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import aiohttp

KEY = "bench-key-0000000000"
MESSAGES = [{"role": "user", "content": "bench"}]
SIZES_NOTE = "N text deltas; CPU per event is divided by the wire events the floor counts"

_ELEMENT_END = b"\n,\r\n"  # between two elements of a Gemini JSON array

Opener = Callable[[str, str], AbstractAsyncContextManager[AsyncIterable[Any]]]


class Consumer:
    """A named way to read a stream; subclasses set ``formats`` and ``open`` (or override
    ``drain`` and ``first`` when an ``open`` wrapper would cost per item)."""

    name: str = ""
    formats: tuple[str, ...] = ()
    skip_reason: str | None = None

    def __init__(self, url: str, pool_limit: int = 100) -> None:
        self.url = url
        self.pool_limit = pool_limit  # connections per client (0: no limit)

    async def start(self) -> None:
        """Build the clients (inside the running loop)."""

    def open(self, fmt: str, model: str) -> AbstractAsyncContextManager[AsyncIterable[Any]]:
        raise NotImplementedError

    async def drain(self, fmt: str, model: str) -> int:
        count = 0
        async with self.open(fmt, model) as items:
            async for _ in items:
                count += 1
        return count

    async def drain_first(self, fmt: str, model: str) -> tuple[int, float]:
        """``drain`` that also notes the seconds from the call to the first item in hand."""
        started = time.perf_counter()
        count, took = 0, math.nan
        async with self.open(fmt, model) as items:
            async for _ in items:
                if not count:
                    took = time.perf_counter() - started
                count += 1
        return count, took

    async def first(self, fmt: str, model: str) -> float:
        took = (await self.drain_first(fmt, model))[1]
        assert not math.isnan(took), "the stream held no item"
        return took

    async def close(self) -> None:
        pass


# -- the floor -----------------------------------------------------------------------------------


class Floor(Consumer):
    """aiohttp ``readline`` + ``json.loads`` of each data line (untyped, unvalidated).

    For the Gemini JSON array (pretty-printed elements with ``\\n,\\r\\n`` between them), the
    "line" is the element: aiohttp's ``readuntil`` of that separator, the cheapest reading of
    that layout with aiohttp's line reader (``readline`` itself would cost one call for each of
    the ~25 lines of an element).
    """

    name = "floor"
    formats = ("openai-chat", "openai-responses", "anthropic", "gemini-sse", "gemini-json")

    async def start(self) -> None:
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self.pool_limit))

    def _post(self, fmt: str, model: str) -> Any:
        return self.session.post(
            f"{self.url}/floor/{fmt}", data=json.dumps({"model": model}).encode()
        )

    async def drain(self, fmt: str, model: str) -> int:
        return (await self.drain_first(fmt, model))[0]

    async def drain_first(self, fmt: str, model: str) -> tuple[int, float]:
        loads, clock = json.loads, time.perf_counter
        started = clock()
        count, took = 0, math.nan
        async with self._post(fmt, model) as response:
            readline = response.content.readline
            if fmt == "gemini-json":
                readuntil = response.content.readuntil
                while element := await readuntil(_ELEMENT_END):
                    loads(element.strip(b"[,]\r\n"))
                    if not count:
                        took = clock() - started
                    count += 1
                return count, took
            while line := await readline():
                if line[:5] == b"data:":
                    data = line[5:].strip()
                    if data != b"[DONE]":
                        loads(data)
                        if not count:
                            took = clock() - started
                        count += 1
        return count, took

    async def close(self) -> None:
        await self.session.close()


# -- rillet --------------------------------------------------------------------------------------

RILLET_PROVIDERS = {
    "openai-chat": ("openai", "/v1", {}),
    "openai-responses": ("openai-responses", "/v1", {}),
    "anthropic": ("anthropic", "", {}),
    "gemini-sse": ("gemini", "", {}),
    "gemini-json": ("gemini", "", {"sse": False}),
}


class Rillet(Consumer):
    """``LLMClient(provider=...).stream()`` consumed to the end: transport, adapter, accumulator."""

    name = "rillet"
    formats = tuple(RILLET_PROVIDERS)
    stream_options: dict[str, Any] = {}
    transport_options: dict[str, Any] = {}  # more HTTPTransport arguments

    async def start(self) -> None:
        from rillet import LLMClient
        from rillet.transport import HTTPTransport

        self.clients = {
            fmt: LLMClient(
                provider=provider,
                api_key=KEY,
                base_url=self.url + suffix,
                options={
                    **options,
                    "transport": HTTPTransport(
                        pool_limit=self.pool_limit, max_retries=0, **self.transport_options
                    ),
                },
            )
            for fmt, (provider, suffix, options) in RILLET_PROVIDERS.items()
        }

    async def drain(self, fmt: str, model: str) -> int:
        count = 0
        async with self.clients[fmt].stream("bench", model=model, **self.stream_options) as stream:
            async for _ in stream:
                count += 1
        return count

    def open(self, fmt: str, model: str) -> AbstractAsyncContextManager[AsyncIterable[Any]]:
        return self.clients[fmt].stream("bench", model=model, **self.stream_options)

    async def close(self) -> None:
        for client in self.clients.values():
            await client.aclose()


class RilletLean(Rillet):
    """rillet with the memory opt-outs: ``keep_frames=False, keep_text=False``."""

    name = "rillet lean"
    stream_options = {"keep_frames": False, "keep_text": False}


# -- the official SDKs ---------------------------------------------------------------------------


class _OpenAIBase(Consumer):
    async def start(self) -> None:
        from openai import AsyncOpenAI

        self.client = AsyncOpenAI(api_key=KEY, base_url=self.url + "/v1", max_retries=0)

    async def close(self) -> None:
        await self.client.close()


class OpenAICreate(_OpenAIBase):
    name = "openai create"
    formats = ("openai-chat",)

    @asynccontextmanager
    async def open(self, fmt: str, model: str) -> AsyncIterator[AsyncIterable[Any]]:
        stream = await self.client.chat.completions.create(
            model=model,
            messages=MESSAGES,  # type: ignore[arg-type]
            stream=True,
            stream_options={"include_usage": True},
        )
        async with stream:
            yield stream


class OpenAIStreamHelper(_OpenAIBase):
    name = "openai .stream()"
    formats = ("openai-chat",)

    def open(self, fmt: str, model: str) -> AbstractAsyncContextManager[AsyncIterable[Any]]:
        return self.client.chat.completions.stream(  # type: ignore[return-value]
            model=model, messages=MESSAGES, stream_options={"include_usage": True}
        )


class OpenAIResponsesCreate(_OpenAIBase):
    name = "openai responses.create"
    formats = ("openai-responses",)

    @asynccontextmanager
    async def open(self, fmt: str, model: str) -> AsyncIterator[AsyncIterable[Any]]:
        stream = await self.client.responses.create(model=model, input="bench", stream=True)
        async with stream:
            yield stream


class _AnthropicBase(Consumer):
    formats = ("anthropic",)

    async def start(self) -> None:
        from anthropic import AsyncAnthropic

        self.client = AsyncAnthropic(api_key=KEY, base_url=self.url, max_retries=0)

    async def close(self) -> None:
        await self.client.close()


class AnthropicCreate(_AnthropicBase):
    name = "anthropic create"

    @asynccontextmanager
    async def open(self, fmt: str, model: str) -> AsyncIterator[AsyncIterable[Any]]:
        stream = await self.client.messages.create(
            model=model,
            max_tokens=1024,
            messages=MESSAGES,
            stream=True,  # type: ignore[arg-type]
        )
        async with stream:
            yield stream


class AnthropicStreamHelper(_AnthropicBase):
    name = "anthropic .stream()"

    def open(self, fmt: str, model: str) -> AbstractAsyncContextManager[AsyncIterable[Any]]:
        return self.client.messages.stream(  # type: ignore[return-value]
            model=model,
            max_tokens=1024,
            messages=MESSAGES,  # type: ignore[arg-type]
        )


class GoogleGenAI(Consumer):
    """``client.aio.models.generate_content_stream``: it asks for SSE only (``alt=sse``)."""

    name = "google-genai"
    formats = ("gemini-sse",)

    async def start(self) -> None:
        from google import genai
        from google.genai import types

        self.client = genai.Client(
            api_key=KEY,
            http_options=types.HttpOptions(
                base_url=self.url,
                api_version="v1beta",
                retry_options=types.HttpRetryOptions(attempts=1),
            ),
        )

    @asynccontextmanager
    async def open(self, fmt: str, model: str) -> AsyncIterator[AsyncIterable[Any]]:
        stream = await self.client.aio.models.generate_content_stream(model=model, contents="bench")
        try:
            yield stream
        finally:
            await stream.aclose()

    async def close(self) -> None:
        await self.client.aio.aclose()


# -- what users pick instead of an SDK -----------------------------------------------------------


class LiteLLM(Consumer):
    """``litellm.acompletion(stream=True)``; OpenAI chat through its ``openai/`` provider and
    Anthropic through ``anthropic/``. The model-cost map is read locally (no network)."""

    name = "litellm"
    formats = ("openai-chat", "anthropic")

    async def start(self) -> None:
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        os.environ.setdefault("LITELLM_TELEMETRY", "False")
        import litellm

        litellm.suppress_debug_info = True
        litellm.telemetry = False
        self.litellm = litellm

    @asynccontextmanager
    async def open(self, fmt: str, model: str) -> AsyncIterator[AsyncIterable[Any]]:
        if fmt == "openai-chat":
            target = {"model": f"openai/{model}", "api_base": self.url + "/v1"}
        else:
            target = {"model": f"anthropic/{model}", "api_base": self.url}
        stream = await self.litellm.acompletion(
            messages=MESSAGES,
            stream=True,
            api_key=KEY,
            num_retries=0,
            max_retries=0,
            max_tokens=1024,
            **target,
        )
        yield stream


class PydanticAI(Consumer):
    """``Agent.run_stream`` over its OpenAI chat model; text deltas without debouncing."""

    name = "pydantic-ai"
    formats = ("openai-chat",)

    async def start(self) -> None:
        from openai import AsyncOpenAI
        from pydantic_ai import Agent
        from pydantic_ai.models.openai import OpenAIChatModel
        from pydantic_ai.providers.openai import OpenAIProvider

        self.openai = AsyncOpenAI(api_key=KEY, base_url=self.url + "/v1", max_retries=0)
        provider = OpenAIProvider(openai_client=self.openai)
        self._model = lambda name: OpenAIChatModel(name, provider=provider)
        self.agent: Any = Agent()
        self.models: dict[str, Any] = {}

    @asynccontextmanager
    async def open(self, fmt: str, model: str) -> AsyncIterator[AsyncIterable[Any]]:
        if model not in self.models:
            self.models[model] = self._model(model)
        async with self.agent.run_stream("bench", model=self.models[model]) as result:
            yield result.stream_text(delta=True, debounce_by=None)

    async def close(self) -> None:
        await self.openai.close()


ALL: list[type[Consumer]] = [
    Floor,
    Rillet,
    OpenAICreate,
    OpenAIStreamHelper,
    OpenAIResponsesCreate,
    AnthropicCreate,
    AnthropicStreamHelper,
    GoogleGenAI,
    LiteLLM,
    PydanticAI,
]


async def start_all(url: str, kinds: list[type[Consumer]]) -> list[Consumer]:
    """Start each consumer; one that cannot be imported or built is kept with its reason."""
    consumers = []
    for kind in kinds:
        consumer = kind(url)
        try:
            await consumer.start()
        except Exception as error:  # an optional package missing or broken here
            consumer.skip_reason = f"{type(error).__name__}: {error}"[:200]
            print(f"  skipping {kind.name}: {consumer.skip_reason}", flush=True)
        consumers.append(consumer)
    return consumers


async def close_all(consumers: list[Consumer]) -> None:
    for consumer in consumers:
        if consumer.skip_reason is None:
            with contextlib.suppress(Exception):
                await consumer.close()

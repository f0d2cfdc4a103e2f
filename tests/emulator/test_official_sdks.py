"""The official SDKs read every built-in scenario as rillet does.

openai (Chat Completions and Responses), anthropic (Messages) and google-genai (Gemini over SSE)
are pointed at one emulator on 127.0.0.1 and stream each scenario. What each reads (text,
reasoning and its signatures, tool calls, the raw finish reason, usage) equals rillet's reading
of the same scenario; where rillet raises, each SDK ends in its own matching error, after the
same partial text. Each SDK is configured as a user would configure it (a base URL, a key, a
read timeout, retries); whatever an SDK needs from the wire (its auth header, base64
signatures, usage) is the emulator's job, as it is the real API's.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import anthropic
import openai
import pytest
import pytest_asyncio
from google import genai
from google.genai import errors as genai_errors
from google.genai import types as genai_types

from rillet import (
    IdleTimeoutError,
    InternalServerError,
    LLMClient,
    LLMResponse,
    OverloadedError,
    RilletError,
    StreamInterruptedError,
    Timeout,
)
from rillet.emulator import BUILTIN_SCENARIOS, Emulator, Scenario

in_module_loop = pytest.mark.asyncio(loop_scope="module")  # one emulator and client per SDK
# google-genai subclasses aiohttp's ClientSession, which aiohttp discourages with a warning
pytestmark = pytest.mark.filterwarnings(
    "ignore:Inheritance class AiohttpClientSession:DeprecationWarning"
)

# Seconds without a byte before a client gives up: the "stall" scenario stalls far longer.
_READ_TIMEOUT = 0.5
_RILLET_IDLE = 1.0  # rillet reads every scenario at once: a busy loop must not look like a stall
_GEMINI_TIMEOUT_MS = 1500  # google-genai has a total timeout only
_PROMPT = "Hello"


@dataclass
class Reading:
    """What a client read from one stream."""

    text: str = ""
    reasoning: str = ""
    signatures: set[str] = field(default_factory=set)
    tool_calls: list[tuple[str | None, Any]] = field(default_factory=list)
    finish: str | None = None
    """The provider's raw finish reason."""
    usage: tuple[int | None, int | None] | None = None
    error: object = None
    """What ended the stream early: the client's exception, or the error event it streamed."""


@dataclass
class Clients:
    emulator: Emulator
    rillet: dict[tuple[str, str], Reading]
    """rillet's reading of each (wire, scenario name)."""
    openai_chat: openai.AsyncOpenAI
    openai_responses: openai.AsyncOpenAI
    anthropic_messages: anthropic.AsyncAnthropic
    gemini: genai.Client


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def clients() -> AsyncIterator[Clients]:
    async with Emulator() as emulator:
        key = emulator.api_key
        timeout = openai.Timeout(5.0, read=_READ_TIMEOUT)
        # google-genai retries only when asked to, and only the statuses it is given
        retry = genai_types.HttpRetryOptions(
            attempts=3,
            initial_delay=0.01,
            max_delay=0.05,
            jitter=0.0,
            http_status_codes=[429, 500, 503, 529],
        )
        gemini_options = genai_types.HttpOptions(
            base_url=emulator.base_url("gemini"), timeout=_GEMINI_TIMEOUT_MS, retry_options=retry
        )
        # rillet reads every scenario first, all at once (each has its own status sequence)
        pairs = [(sdk.wire, scenario.name) for sdk in SDKS for scenario in BUILTIN_SCENARIOS]
        readings = await asyncio.gather(*(_read_rillet(emulator, *pair) for pair in pairs))
        made = Clients(
            emulator=emulator,
            rillet=dict(zip(pairs, readings, strict=True)),
            openai_chat=openai.AsyncOpenAI(
                base_url=emulator.base_url("openai"), api_key=key, timeout=timeout, max_retries=2
            ),
            openai_responses=openai.AsyncOpenAI(
                base_url=emulator.base_url("openai-responses"),
                api_key=key,
                timeout=timeout,
                max_retries=2,
            ),
            anthropic_messages=anthropic.AsyncAnthropic(
                base_url=emulator.base_url("anthropic"), api_key=key, timeout=timeout, max_retries=2
            ),
            gemini=genai.Client(api_key=key, http_options=gemini_options),
        )
        try:
            yield made
        finally:
            await made.openai_chat.close()
            await made.openai_responses.close()
            await made.anthropic_messages.close()
            await made.gemini.aio.aclose()


# -- each SDK's reading ---------------------------------------------------------------------------


async def _read_chat(clients: Clients, model: str) -> Reading:
    """The SDK's own accumulation (``ChatCompletionStreamState`` behind ``stream``)."""
    reading = Reading()
    snapshot = None
    manager = clients.openai_chat.chat.completions.stream(
        model=model,
        messages=[{"role": "user", "content": _PROMPT}],
        stream_options={"include_usage": True},
    )
    try:
        async with manager as stream:
            async for event in stream:
                if event.type == "chunk":
                    snapshot = event.snapshot
    except openai.APIError as error:
        reading.error = error
    if snapshot is None:
        return reading
    if snapshot.choices:
        choice = snapshot.choices[0]
        reading.text = choice.message.content or ""
        calls = choice.message.tool_calls or []
        reading.tool_calls = [(c.function.name, json.loads(c.function.arguments)) for c in calls]
        reading.finish = choice.finish_reason
    if snapshot.usage is not None:
        reading.usage = (snapshot.usage.prompt_tokens, snapshot.usage.completion_tokens)
    return reading


async def _read_responses(clients: Clients, model: str) -> Reading:
    """The SDK's typed events; the terminal event's ``response`` holds the whole answer."""
    reading = Reading()
    deltas: list[str] = []
    try:
        stream = await clients.openai_responses.responses.create(
            model=model, input=_PROMPT, stream=True
        )
        async with stream:
            async for event in stream:
                if event.type == "response.output_text.delta":
                    deltas.append(event.delta)
                elif event.type == "error":
                    reading.error = event
                elif event.type in ("response.completed", "response.incomplete"):
                    _read_response(reading, event.response)
                elif event.type == "response.failed":
                    _read_response(reading, event.response)
                    reading.error = event
    except openai.APIError as error:
        reading.error = error
    reading.text = reading.text or "".join(deltas)
    return reading


def _read_response(reading: Reading, response: openai.types.responses.Response) -> None:
    reading.text = response.output_text
    for item in response.output:
        if item.type == "reasoning":
            reading.reasoning += "".join(part.text for part in item.summary)
            if item.encrypted_content:
                reading.signatures.add(item.encrypted_content)
        elif item.type == "function_call":
            reading.tool_calls.append((item.name, json.loads(item.arguments)))
    details = response.incomplete_details
    reading.finish = details.reason if details and details.reason else response.status
    if response.usage is not None:
        reading.usage = (response.usage.input_tokens, response.usage.output_tokens)


async def _read_anthropic(clients: Clients, model: str) -> Reading:
    """The SDK's own accumulation (``current_message_snapshot`` of ``messages.stream``)."""
    reading = Reading()
    manager = clients.anthropic_messages.messages.stream(
        model=model, max_tokens=1024, messages=[{"role": "user", "content": _PROMPT}]
    )
    message = None
    try:
        async with manager as stream:
            async for _ in stream:
                message = stream.current_message_snapshot
    except anthropic.APIError as error:
        reading.error = error
    if message is None:
        return reading
    for block in message.content:
        if block.type == "text":
            reading.text += block.text
        elif block.type == "thinking":
            reading.reasoning += block.thinking
            reading.signatures.add(block.signature)
        elif block.type == "tool_use":
            reading.tool_calls.append((block.name, block.input))
    reading.finish = message.stop_reason
    reading.usage = (message.usage.input_tokens, message.usage.output_tokens)
    return reading


async def _read_gemini(clients: Clients, model: str) -> Reading:
    """Gemini sends whole parts: the chunks' parts, in order, are the answer."""
    reading = Reading()
    try:
        stream = await clients.gemini.aio.models.generate_content_stream(
            model=model, contents=_PROMPT
        )
        async for chunk in stream:
            if chunk.usage_metadata is not None:
                usage = chunk.usage_metadata
                reading.usage = (usage.prompt_token_count, usage.candidates_token_count)
            for candidate in chunk.candidates or []:
                _read_candidate(reading, candidate)
    except (genai_errors.APIError, aiohttp.ClientPayloadError, asyncio.TimeoutError) as error:
        reading.error = error
    return reading


def _read_candidate(reading: Reading, candidate: genai_types.Candidate) -> None:
    parts = candidate.content.parts if candidate.content is not None else None
    for part in parts or []:
        if part.thought_signature is not None:
            reading.signatures.add(base64.b64encode(part.thought_signature).decode())
        if part.function_call is not None:
            reading.tool_calls.append((part.function_call.name, part.function_call.args))
        elif part.thought:
            reading.reasoning += part.text or ""
        else:
            reading.text += part.text or ""
    if candidate.finish_reason is not None:
        reading.finish = candidate.finish_reason.value


@dataclass(frozen=True)
class Sdk:
    name: str
    wire: str
    """The emulator's wire format (and rillet's provider) that the SDK speaks."""
    read: Callable[[Clients, str], Awaitable[Reading]]
    errors: dict[type, Callable[[object], bool]]
    """For each error rillet raises, whether the SDK's ending is its matching one."""


def _is(cls: type, **attributes: Any) -> Callable[[object], bool]:
    """Exactly a ``cls`` (not a subclass standing for another failure) with these attributes:
    each SDK exposes the error body's type or code on its exceptions and events."""

    def matches(error: object) -> bool:
        return type(error) is cls and all(
            getattr(error, name, None) == value for name, value in attributes.items()
        )

    return matches


_OPENAI_TRANSPORT: dict[type, Callable[[object], bool]] = {
    IdleTimeoutError: _is(openai.APITimeoutError),
    StreamInterruptedError: _is(openai.APIConnectionError),
}
_RESPONSE_EVENTS = openai.types.responses
SDKS = [
    Sdk(
        "openai-chat",
        "openai",
        _read_chat,
        {
            OverloadedError: _is(openai.APIError, type="server_error", code="503"),
            **_OPENAI_TRANSPORT,
        },
    ),
    Sdk(
        "openai-responses",
        "openai-responses",
        _read_responses,
        {
            # the Responses API streams its errors as events, and the SDK hands them over
            OverloadedError: _is(_RESPONSE_EVENTS.ResponseErrorEvent, code="server_is_overloaded"),
            InternalServerError: _is(_RESPONSE_EVENTS.ResponseFailedEvent),
            **_OPENAI_TRANSPORT,
        },
    ),
    Sdk(
        "anthropic",
        "anthropic",
        _read_anthropic,
        {
            OverloadedError: _is(anthropic.APIStatusError, type="overloaded_error"),
            InternalServerError: _is(anthropic.APIStatusError, type="api_error"),
            IdleTimeoutError: _is(anthropic.APITimeoutError),
            StreamInterruptedError: _is(anthropic.APIConnectionError),
        },
    ),
    Sdk(
        "google-genai",
        "gemini",
        _read_gemini,
        {
            OverloadedError: _is(genai_errors.ServerError, code=503, status="UNAVAILABLE"),
            IdleTimeoutError: _is(asyncio.TimeoutError),
            StreamInterruptedError: _is(aiohttp.ClientPayloadError),
        },
    ),
]


# -- rillet's reading of the same scenario ---------------------------------------------------------


async def _read_rillet(emulator: Emulator, wire: str, model: str) -> Reading:
    async with LLMClient(
        provider=wire,
        base_url=emulator.base_url(wire),
        api_key=emulator.api_key,
        model=model,
        timeout=Timeout(connect=5.0, idle=_RILLET_IDLE),
        max_retries=2,
    ) as client:
        try:
            response = await client.call(_PROMPT)
        except RilletError as error:
            reading = _reading_of(error.partial) if error.partial is not None else Reading()
            reading.error = error
            return reading
    return _reading_of(response)


def _reading_of(response: LLMResponse) -> Reading:
    signatures = {
        value
        for block in response.reasoning_details
        for value in (block.signature, block.encrypted_content)
        if value
    } | {call.signature for call in response.tool_calls if call.signature}
    usage = response.usage
    return Reading(
        text=response.text,
        reasoning=response.reasoning,
        signatures=signatures,
        tool_calls=[(call.name, call.arguments) for call in response.tool_calls],
        finish=response.provider_finish_reason,
        usage=None if usage is None else (usage.input_tokens, usage.output_tokens),
    )


# -- the test -------------------------------------------------------------------------------------


@in_module_loop
@pytest.mark.parametrize("sdk", SDKS, ids=lambda sdk: sdk.name)
@pytest.mark.parametrize("scenario", BUILTIN_SCENARIOS, ids=lambda scenario: scenario.name)
async def test_the_sdk_reads_what_rillet_reads(
    clients: Clients, sdk: Sdk, scenario: Scenario
) -> None:
    want = clients.rillet[sdk.wire, scenario.name]
    got = await sdk.read(clients, scenario.name)
    if want.error is None:
        assert want.text == scenario.all_text  # (rillet's reading is the scenario's)
        assert [name for name, _ in want.tool_calls] == [c.name for c in scenario.tool_calls]
        assert got.error is None, repr(got.error)
        assert got.text == want.text
        assert got.reasoning == want.reasoning
        assert got.signatures == want.signatures
        assert got.tool_calls == want.tool_calls
        assert got.finish == want.finish
        assert got.usage == want.usage
    else:
        matches = sdk.errors.get(type(want.error))
        assert matches is not None, f"rillet raised {want.error!r}; no SDK error is expected"
        assert matches(got.error), f"rillet: {want.error!r}; {sdk.name}: {got.error!r}"
        assert got.text == want.text  # the same partial text before the error

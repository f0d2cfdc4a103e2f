"""A model's refusal, end to end against the emulator (a real local server speaking each wire as
the real API does): a plain response keeps the refusal apart from its text, and structured
output ends in ``OutputRefusedError`` carrying the model's words and everything that arrived."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anthropic
import openai
import pytest
from pydantic import BaseModel

from rillet import LLMClient, OutputRefusedError, OutputValidationError
from rillet.emulator import Emulator, Scenario
from rillet.output._parser import OutputEvent
from rillet.protocol import FinishReason

KEY = "emulator-key-for-refusal-tests"


class Verdict(BaseModel):
    guilty: bool


WORDS = ("I'm sorry, ", "I can't help ", "with that.")
REFUSED = Scenario(name="refused", refusal=WORDS)
# Anthropic's classifiers can stop a structured answer partway: its JSON so far, then the stop.
CUT_SHORT = Scenario(name="cut-short", text=('{"gui',), refusal=('lty": tr',))
NOT_JSON = Scenario(name="not-json", text=("Nope", ", no verdict."))

OPTIONS: dict[str, dict[str, Any]] = {
    "vertex-anthropic": {"project": "p", "location": "us-central1", "access_token": KEY},
}
# Where the refusal's words are not the answer: OpenAI says them apart from the text.
APART = ("openai", "openai-responses", "azure", "azure-responses")
# Where they are the text, and a refusal stop says what they were.
AS_TEXT = ("anthropic", "vertex-anthropic")


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    async with Emulator([REFUSED, CUT_SHORT, NOT_JSON], api_key=KEY) as server:
        yield server


def _client(provider: str, emulator: Emulator, model: str) -> LLMClient:
    options = OPTIONS.get(provider, {})
    return LLMClient(
        provider=provider,
        base_url=emulator.base_url(provider) if not options else emulator.url,
        api_key=None if options else KEY,
        model=model,
        options=options,
    )


@pytest.mark.parametrize("provider", APART + AS_TEXT)
async def test_a_plain_call_says_the_refusal_as_its_wire_does(
    provider: str, emulator: Emulator
) -> None:
    """OpenAI: the words apart from the text and an ordinary stop; Anthropic: the words as
    text and a ``refusal`` stop, filtered as content."""
    async with _client(provider, emulator, "refused") as client:
        response = await client.call("Judge him.")
    words = "".join(WORDS)
    if provider in APART:
        assert (response.text, response.refusal) == ("", words)
        assert (response.finish_reason, response.provider_finish_reason) == (
            FinishReason.stop,
            "completed" if provider.endswith("responses") else "stop",
        )
    else:
        assert (response.text, response.refusal) == (words, None)
        assert response.finish_reason is FinishReason.content_filter
        assert response.provider_finish_reason == "refusal"


@pytest.mark.parametrize("provider", APART + AS_TEXT)
async def test_structured_output_raises_the_refusal_with_its_words(
    provider: str, emulator: Emulator
) -> None:
    async with _client(provider, emulator, "refused") as client:
        with pytest.raises(OutputRefusedError, match="I can't help") as caught:
            await client.call("Judge him.", output=Verdict)
    error = caught.value
    assert error.refusal == "".join(WORDS)
    assert error.code == "output_refused" and not error.retryable
    assert error.partial is not None and error.partial.finish_reason is not None


@pytest.mark.parametrize("provider", APART + AS_TEXT)
async def test_output_events_end_with_the_refusal(provider: str, emulator: Emulator) -> None:
    client = _client(provider, emulator, "refused")
    events: list[OutputEvent] = []
    async with client, client.stream("Judge him.", output=Verdict) as stream:
        with pytest.raises(OutputRefusedError) as caught:
            async for event in stream.output_events():
                events.append(event)
        assert caught.value.refusal == "".join(WORDS)
        with pytest.raises(OutputRefusedError):
            await stream.get_output()  # the same answer when asked again
    if provider in APART:
        assert events == [] and stream.partial_output is None  # refusal text is never parsed


async def test_a_refusal_stop_partway_keeps_the_json_so_far(emulator: Emulator) -> None:
    client = _client("anthropic", emulator, "cut-short")
    async with client, client.stream("Judge him.", output=Verdict) as stream:
        with pytest.raises(OutputRefusedError) as caught:
            async for _ in stream.output_events():
                pass
    assert caught.value.refusal == '{"guilty": tr'
    assert caught.value.partial is not None and caught.value.partial.text == '{"guilty": tr'


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_text_that_is_not_json_without_a_refusal_is_invalid_output(
    provider: str, emulator: Emulator
) -> None:
    client = _client(provider, emulator, "not-json")
    async with client, client.stream("Judge him.", output=Verdict) as stream:
        with pytest.raises(OutputValidationError) as caught:
            async for _ in stream.output_events():
                pass
    assert caught.value.raw_text == "Nope, no verdict."  # read to the end, then judged


async def test_gemini_has_no_refusal_words_only_a_safety_stop(emulator: Emulator) -> None:
    async with _client("gemini", emulator, "refused") as client:
        response = await client.call("Judge him.")
    assert (response.text, response.refusal) == ("", None)
    assert response.finish_reason is FinishReason.content_filter
    assert response.provider_finish_reason == "SAFETY"


async def test_the_official_sdks_read_the_same_refusal(emulator: Emulator) -> None:
    """The emulator's refusals are the real APIs' shapes: each official SDK reads the words
    where it keeps a refusal (typed events, the final message, the stop reason)."""
    words = "".join(WORDS)
    chat = openai.AsyncOpenAI(base_url=emulator.base_url("openai"), api_key=KEY, max_retries=0)
    responses = openai.AsyncOpenAI(
        base_url=emulator.base_url("openai-responses"), api_key=KEY, max_retries=0
    )
    claude = anthropic.AsyncAnthropic(
        base_url=emulator.base_url("anthropic"), api_key=KEY, max_retries=0
    )
    async with chat, responses, claude:
        prompt: Any = [{"role": "user", "content": "Judge him."}]
        async with chat.chat.completions.stream(model="refused", messages=prompt) as stream:
            deltas = [e.delta async for e in stream if e.type == "refusal.delta"]
            final = await stream.get_final_completion()
        assert "".join(deltas) == final.choices[0].message.refusal == words
        assert final.choices[0].message.content is None
        async with responses.responses.stream(model="refused", input="Judge him.") as events:
            done = [e.refusal async for e in events if e.type == "response.refusal.done"]
            answer = await events.get_final_response()
        item = answer.output[0].model_dump()
        assert done == [words] and item["content"] == [{"type": "refusal", "refusal": words}]
        async with claude.messages.stream(
            model="refused", max_tokens=64, messages=prompt
        ) as message_stream:
            message = await message_stream.get_final_message()
        assert message.stop_reason == "refusal"
        assert [block.text for block in message.content if block.type == "text"] == [words]

"""Options given to ``stream()`` / ``call()`` with an ``LLMRequest`` are merged into it, never
dropped; a conflicting or unknown one is a ``ConfigurationError``."""

from __future__ import annotations

from typing import Any

import pytest

from rillet import ConfigurationError, LLMClient, LLMRequest, MockAdapter, SyncLLMClient
from rillet.protocol import Message, ReasoningOptions, UserMessage

_HI: list[Message] = [UserMessage(role="user", content="hi")]


def _client() -> tuple[LLMClient, MockAdapter]:
    adapter = MockAdapter("ok")
    return LLMClient(adapter, model="m"), adapter


async def test_options_given_with_a_request_reach_the_adapter() -> None:
    client, adapter = _client()
    request = LLMRequest(messages=_HI, temperature=0.2)
    await client.call(
        request, max_tokens=999, stop=["END"], reasoning={"effort": "low"}, tool_choice="none"
    )
    sent = adapter.requests[0]
    assert sent.max_tokens == 999
    assert sent.stop == ["END"]
    assert sent.reasoning == ReasoningOptions(effort="low")
    assert sent.tool_choice == "none"
    assert sent.temperature == 0.2  # the request's own fields stay
    assert sent.model == "m"


async def test_stream_merges_options_too() -> None:
    client, adapter = _client()
    async with client.stream(LLMRequest(messages=_HI), provider_options={"seed": 1}) as stream:
        await stream.get_response()
    assert adapter.requests[0].provider_options == {"seed": 1}


async def test_an_option_equal_to_the_requests_own_value_is_no_conflict() -> None:
    client, adapter = _client()
    await client.call(LLMRequest(messages=_HI, max_tokens=5), max_tokens=5, temperature=None)
    assert adapter.requests[0].max_tokens == 5


@pytest.mark.parametrize(
    ("own", "option", "shown"),
    [
        ({"max_tokens": 5}, {"max_tokens": 999}, "(5)"),
        ({"model": "a"}, {"model": "b"}, "('a')"),
        ({"provider_options": {"seed": 1}}, {"provider_options": {"seed": 2}}, ""),
    ],
)
async def test_an_option_conflicting_with_the_request_is_refused(
    own: dict[str, Any], option: dict[str, Any], shown: str
) -> None:
    client, adapter = _client()
    name = next(iter(option))
    with pytest.raises(
        ConfigurationError, match=rf"^{name} is set both by the LLMRequest"
    ) as error:
        await client.call(LLMRequest(messages=_HI, **own), **option)
    assert shown in str(error.value)
    if not shown:
        assert "seed" not in str(error.value)  # objects are never shown
    assert adapter.requests == []


async def test_an_unknown_option_is_a_configuration_error_naming_the_accepted() -> None:
    client, adapter = _client()
    bad: dict[str, Any] = {"max_token": 5}
    for messages in ("hi", LLMRequest(messages=_HI)):
        with pytest.raises(ConfigurationError, match=r"'max_token'.*accepted: .*max_tokens"):
            await client.call(messages, **bad)
    assert adapter.requests == []


async def test_an_invalid_option_with_a_request_names_the_field() -> None:
    client, _ = _client()
    bad: dict[str, Any] = {"max_tokens": "many"}
    with pytest.raises(ConfigurationError, match="max_tokens"):
        await client.call(LLMRequest(messages=_HI), **bad)


def test_the_sync_client_merges_options_into_a_request() -> None:
    adapter = MockAdapter("ok")
    with SyncLLMClient(adapter, model="m") as client:
        client.call(LLMRequest(messages=_HI), max_tokens=7)
        with pytest.raises(ConfigurationError, match="max_tokens"):
            client.call(LLMRequest(messages=_HI, max_tokens=1), max_tokens=7)
    assert [r.max_tokens for r in adapter.requests] == [7]


@pytest.mark.parametrize(("given", "sent"), [("END", ["END"]), (["A", "B"], ["A", "B"])])
async def test_a_single_stop_string_is_one_stop_sequence(given: Any, sent: list[str]) -> None:
    built, built_adapter = _client()
    merged, merged_adapter = _client()
    await built.call("hi", stop=given)
    await merged.call(LLMRequest(messages=_HI), stop=given)
    assert built_adapter.requests[0].stop == sent  # never ["E", "N", "D"]
    assert merged_adapter.requests[0].stop == sent

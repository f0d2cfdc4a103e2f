"""The request options are typed: mypy (``mypy --strict tests``, as CI runs it) refuses a
misspelt or mistyped one. Each ``type: ignore`` below is needed only because the typing holds:
with ``warn_unused_ignores`` (on under ``--strict``) an option typed ``Any`` again would make
mypy report the ignore as unused. At run time the same calls are ``ConfigurationError``."""

from __future__ import annotations

import pytest

from rillet import (
    ConfigurationError,
    LLMClient,
    LLMRequest,
    MockAdapter,
    RuntimeBuilder,
    SyncLLMClient,
)
from rillet.protocol import UserMessage

_REQUEST = LLMRequest(messages=[UserMessage(role="user", content="hi")])


async def test_a_misspelt_option_is_caught_by_mypy_and_at_run_time() -> None:
    client = LLMClient(MockAdapter("ok"), model="m")
    with pytest.raises(ConfigurationError, match="max_token"):
        client.stream("hi", max_token=5)  # type: ignore[call-overload]
    with pytest.raises(ConfigurationError, match="max_token"):
        await client.call(_REQUEST, max_token=5)  # type: ignore[call-overload]
    with pytest.raises(ConfigurationError, match="max_tokens"):
        await client.call("hi", max_tokens="many")  # type: ignore[call-overload]
    with pytest.raises(ConfigurationError, match="temprature"):
        client.build_request("hi", temprature=0.5)  # type: ignore[call-arg]


def test_the_sync_client_options_are_typed_too() -> None:
    with SyncLLMClient(MockAdapter("ok"), model="m") as client:
        with pytest.raises(ConfigurationError, match="max_token"):
            client.call("hi", max_token=5)  # type: ignore[call-overload]
        with pytest.raises(ConfigurationError, match="max_token"):
            client.stream(_REQUEST, max_token=5)  # type: ignore[call-overload]
        with pytest.raises(ConfigurationError, match="max_token"):
            client.build_request("hi", max_token=5)  # type: ignore[call-arg]


def test_an_agents_request_fields_are_typed_and_checked_when_given() -> None:
    builder = RuntimeBuilder().with_request_fields(max_tokens=5)
    with pytest.raises(ConfigurationError, match="max_token"):
        builder.with_request_fields(max_token=5)  # type: ignore[call-arg]

"""botocore, the official AWS SDK (boto3's core), reads the emulator's Bedrock as it reads the
real service.

``bedrock-runtime`` ``converse_stream`` is pointed at the emulator with the test credentials:
its own SigV4 signatures pass the emulator's check (model ids with ``:`` percent-encoded in
the path, as botocore sends them), its own event-stream parser reads every built-in scenario
to what rillet expects, an exception message inside the stream is its ``EventStreamError``,
and a wrong secret is its ``InvalidSignatureException``. botocore is blocking: it runs in a
thread while the emulator serves on the test's loop.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from typing import Any

import botocore.session  # type: ignore[import-untyped]
import pytest
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.exceptions import ClientError, EventStreamError  # type: ignore[import-untyped]

from rillet.emulator import AWS_TEST_CREDENTIALS, BUILTIN_SCENARIOS, Emulator, Scenario

from ._expect import expected

_PLAIN = [
    s
    for s in BUILTIN_SCENARIOS
    if s.error is None and not s.faults.statuses and s.faults.chunks == "whole"
    if not (s.faults.stall_after_events or s.faults.reset_after_events)
    if not s.faults.truncate_after_events
]


def _client(url: str, secret: str = AWS_TEST_CREDENTIALS[1]) -> Any:
    return botocore.session.get_session().create_client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id=AWS_TEST_CREDENTIALS[0],
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}, read_timeout=5, connect_timeout=2),
    )


def _read(client: Any, model: str) -> dict[str, Any]:
    """What botocore makes of one ConverseStream: every event folded into one reading."""
    response = client.converse_stream(
        modelId=model, messages=[{"role": "user", "content": [{"text": "Hello"}]}]
    )
    text, reasoning, signatures = [], [], []
    calls: dict[int, dict[str, Any]] = {}
    reading: dict[str, Any] = {}
    for event in response["stream"]:
        if "contentBlockStart" in event:
            start = event["contentBlockStart"]
            use = start["start"]["toolUse"]
            calls[start["contentBlockIndex"]] = {"name": use["name"], "input": []}
        elif "contentBlockDelta" in event:
            at, delta = (
                event["contentBlockDelta"]["contentBlockIndex"],
                event["contentBlockDelta"]["delta"],
            )
            if "text" in delta:
                text.append(delta["text"])
            elif "toolUse" in delta:
                calls[at]["input"].append(delta["toolUse"]["input"])
            elif "reasoningContent" in delta:
                content = delta["reasoningContent"]
                reasoning.append(content.get("text", ""))
                if "signature" in content:
                    signatures.append(content["signature"])
        elif "messageStop" in event:
            reading["finish"] = event["messageStop"]["stopReason"]
        elif "metadata" in event:
            usage = event["metadata"]["usage"]
            reading["usage"] = (usage["inputTokens"], usage["outputTokens"])
    reading["text"], reading["reasoning"] = "".join(text), "".join(reasoning)
    reading["signatures"] = signatures
    reading["tool_calls"] = [
        (call["name"], json.loads("".join(call["input"]) or "{}"))
        for _, call in sorted(calls.items())
    ]
    return reading


async def test_botocore_reads_every_builtin_scenario() -> None:
    # each scenario under a real-looking model id, with the ':' that the path percent-encodes
    named = {f"emulated.{s.name}-v1:0": s for s in _PLAIN}
    async with Emulator([replace(s, name=name) for name, s in named.items()]) as emulator:
        client = _client(emulator.url)
        for name, scenario in named.items():
            reading = await asyncio.to_thread(_read, client, name)
            want = expected("bedrock", scenario)
            assert reading["text"] == want.text, name
            assert reading["reasoning"] == want.reasoning, name
            assert reading["tool_calls"] == want.tool_calls, name
            assert reading["finish"] == want.raw_finish, name
            assert reading["usage"] == want.usage, name
            if scenario.reasoning_signature is not None:
                assert reading["signatures"] == [scenario.reasoning_signature]
        paths = {request.path for request in emulator.requests}
    assert len(paths) == len(named)
    assert all(r.reply.status == 200 for r in emulator.requests)


async def test_botocore_gets_an_exception_message_as_its_event_stream_error() -> None:
    scenario = next(s for s in BUILTIN_SCENARIOS if s.name == "error-overloaded")
    async with Emulator([replace(scenario, name="emulated.overloaded-v1")]) as emulator:
        with pytest.raises(EventStreamError) as caught:
            await asyncio.to_thread(_read, _client(emulator.url), "emulated.overloaded-v1")
    assert caught.value.response["Error"]["Code"] == "serviceUnavailableException"


async def test_botocore_gets_a_wrong_secret_as_invalid_signature() -> None:
    async with Emulator([Scenario("emulated.model-v1:0", text=("Hi",))]) as emulator:
        client = _client(emulator.url, secret="not-the-secret")
        with pytest.raises(ClientError) as caught:
            await asyncio.to_thread(_read, client, "emulated.model-v1:0")
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error["Error"]["Code"] == "InvalidSignatureException"
    assert error["Error"]["Message"].startswith("The request signature we calculated")

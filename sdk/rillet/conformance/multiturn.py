"""Runs a multi-turn case: the agent loop over the emulator, one scenario per turn.

The adapter sits behind the suite's tap (``rillet.conformance.tap``), which here also has the
emulator play the next turn before each request (all turns share one model name). The agent runs the
case's tools (scripted: each returns what it was asked, a ``failing`` one raises), so the next
request carries real tool results. Every request the emulator received is then judged by
``rillet.conformance.history``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any

from rillet.adapter import CallSettings, ProviderAdapter
from rillet.agent import RuntimeBuilder
from rillet.client import LLMClient
from rillet.conformance.conversation import TOOL_FAILURE, Conversation
from rillet.conformance.history import SentRequest, judge
from rillet.conformance.observation import Observation, Violation
from rillet.conformance.signing import adapter_auth
from rillet.conformance.tap import Tap
from rillet.emulator import Emulator, RecordedRequest
from rillet.emulator.reply_server import ReplyServer
from rillet.protocol import LLMRequest, StreamChunk
from rillet.registry import AdapterConfig, create_adapter

__all__ = ["converse", "with_key"]

_MAX_TOKENS = 2048
_GUARD = 20.0
"""Seconds a whole conversation may take before it counts as hung."""


class _ScriptedTool:
    """A tool the agent runs: answers with its arguments, or raises when it is to fail."""

    def __init__(self, name: str, fails: bool) -> None:
        self.name = name
        self.description: str | None = f"the {name} tool"
        self.parameters: dict[str, Any] = {"type": "object", "properties": {}}
        self._fails = fails

    async def run(self, arguments: dict[str, Any]) -> object:
        if self._fails:
            raise RuntimeError(TOOL_FAILURE)
        return {"tool": self.name, "asked": arguments, "answer": "found"}


class _TurnTap(Tap):
    """The tap, where each request first has the emulator play the next turn."""

    def __init__(
        self,
        inner: ProviderAdapter,
        seen: Observation,
        emulator: Emulator,
        conversation: Conversation,
    ) -> None:
        super().__init__(inner, seen)
        self._emulator = emulator
        self._turns = conversation.turns
        self._count = 0

    def stream_batches(
        self, request: LLMRequest, settings: CallSettings
    ) -> AsyncGenerator[Sequence[StreamChunk], None]:
        self._emulator.add(self._turns[min(self._count, len(self._turns) - 1)])
        self._count += 1
        return super().stream_batches(request, settings)


def with_key(
    api_key: str | None, options: Mapping[str, Any], key_option: str | None
) -> tuple[str | None, dict[str, Any]]:
    """(api_key, options) of an adapter: the key in the option ``key_option`` names, where a
    target names one (Vertex AI's ``access_token``), else as ``api_key``."""
    if key_option is None:
        return api_key, dict(options)
    return None, {**options, key_option: api_key}


async def converse(
    conversation: Conversation,
    wire: str,
    factory: str,
    options: dict[str, Any],
    *,
    base_url: str,
    api_key: str,
    server: ReplyServer | None,
    emulator: Emulator | None = None,
    key_option: str | None = None,
) -> tuple[Observation, list[Violation]]:
    """Run ``conversation`` through the adapter ``factory`` makes, against ``base_url``; the
    run and its violations of the multi-turn rules, judged on the requests ``server`` received
    (None: a vcrpy replay, where no server sees them: no violations). ``emulator`` (when it is
    the server) plays the turns; a fault server replaying a cassette plays its script."""
    seen = Observation()
    model = conversation.turns[0].name
    if emulator is not None:
        emulator.reset()
    key, options = with_key(api_key, options, key_option)
    key, signed = adapter_auth(wire, options, key)
    config = AdapterConfig(model=model, api_key=key, base_url=base_url, options=signed)
    started = time.perf_counter()
    try:
        adapter = create_adapter(factory, config)
    except Exception as error:  # a broken factory fails the case, not the whole run
        seen.error = error
        return seen, judge(wire, conversation, [], error)
    tap = (
        Tap(adapter, seen) if emulator is None else _TurnTap(adapter, seen, emulator, conversation)
    )
    client = LLMClient(tap, model=model)
    failing = conversation.failing
    runtime = (
        RuntimeBuilder()
        .with_client(client)
        .with_tools(*(_ScriptedTool(name, name in failing) for name in conversation.tool_names))
        .with_system_prompt(conversation.system)
        .with_max_steps(len(conversation.turns))
        .with_request_fields(max_tokens=_MAX_TOKENS, **conversation.fields_for(wire))
        .build()
    )
    prompt = conversation.prompt_for(wire)
    run_input: Any = prompt if isinstance(prompt, str) else [{"role": "user", "content": prompt}]
    try:
        result = await asyncio.wait_for(runtime.run(run_input), _GUARD)
        seen.response = result.response
    except asyncio.TimeoutError:
        seen.hung = True
    except Exception as error:
        seen.error = error
    finally:
        seen.seconds = time.perf_counter() - started
        if server is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await server.wait_finished(timeout=1.0)
        await client.aclose()
    if server is None:
        return seen, []
    sent = [_sent(record) for record in server.requests]
    return seen, judge(wire, conversation, sent, seen.error)


def _sent(record: RecordedRequest) -> SentRequest:
    try:
        body = json.loads(record.body or b"{}")
    except ValueError:
        body = None
    return SentRequest(body, record.reply.status, record.reply.body)

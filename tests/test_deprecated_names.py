"""Renamed public names still work for one release, each use warning with the new name and
pointing at the caller's line. Delete a test together with the name it keeps alive."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

import rillet.agent
import rillet.agent.executor
import rillet.transport
from rillet import LLMClient, MockAdapter
from rillet.agent import AgentResult, AgentRuntime, CallbackPolicy, RuntimeBuilder, ToolLoopStrategy
from rillet.agent.context import RunContext
from rillet.transport import Frame


@contextmanager
def renamed(old: str, new: str) -> Iterator[None]:
    """Every warning in the block is a ``DeprecationWarning`` naming ``old`` and ``new``,
    attributed to this file (the caller's line, not rillet's), and there is at least one."""
    with pytest.warns(DeprecationWarning, match=f"{re.escape(old)}.*{re.escape(new)}") as record:
        yield
    assert all(w.category is DeprecationWarning for w in record)
    assert {w.filename for w in record} == {__file__}
    assert all(old in str(w.message) and new in str(w.message) for w in record)


def test_sse_event_is_frame() -> None:
    with renamed("rillet.transport.SSEEvent", "rillet.transport.Frame"):
        from rillet.transport import SSEEvent
    assert SSEEvent is Frame
    with renamed("rillet.transport.SSEEvent", "rillet.transport.Frame"):
        alias = rillet.transport.SSEEvent
    assert alias is Frame


@pytest.mark.parametrize("module", ["rillet.agent", "rillet.agent.executor"])
def test_callback_options_is_callback_policy(module: str) -> None:
    imported = importlib.import_module(module)
    with renamed(f"{module}.CallbackOptions", f"{module}.CallbackPolicy"):
        alias = imported.CallbackOptions
    assert alias is CallbackPolicy


@pytest.mark.parametrize("module", [rillet.transport, rillet.agent, rillet.agent.executor])
def test_other_missing_names_still_raise_attribute_error(module: Any) -> None:
    with pytest.raises(AttributeError, match="has no attribute 'SSEEvents'"):
        module.SSEEvents  # noqa: B018


def test_builder_with_request_options_sets_request_fields() -> None:
    builder = RuntimeBuilder().with_client(LLMClient(MockAdapter("hi")))
    with renamed("with_request_options", "with_request_fields"):
        builder.with_request_options(model="m", max_tokens=5)
    assert builder.build().request_fields == {"model": "m", "max_tokens": 5}


def test_builder_with_callback_options_sets_the_policy_keeping_other_fields() -> None:
    builder = RuntimeBuilder().with_client(LLMClient(MockAdapter("hi")))
    with renamed("with_callback_options", "with_callback_policy"):
        builder.with_callback_options(queue_size=8)
    assert builder.build().callback_policy == CallbackPolicy(queue_size=8)


def test_runtime_keywords() -> None:
    client = LLMClient(MockAdapter("hi"))
    policy = CallbackPolicy(drain_timeout=0.5)
    with renamed("request_options", "request_fields"):
        runtime = AgentRuntime(client, request_options={"model": "m"})
    assert runtime.request_fields == {"model": "m"}
    with renamed("callback_options", "callback_policy"):
        runtime = AgentRuntime(client, callback_options=policy)
    assert runtime.callback_policy is policy


def test_runtime_attributes() -> None:
    policy = CallbackPolicy(drain_timeout=0.5)
    runtime = AgentRuntime(
        LLMClient(MockAdapter("hi")), request_fields={"model": "m"}, callback_policy=policy
    )
    with renamed("AgentRuntime.request_options", "AgentRuntime.request_fields"):
        fields = runtime.request_options
    assert fields == {"model": "m"}
    with renamed("AgentRuntime.callback_options", "AgentRuntime.callback_policy"):
        assert runtime.callback_options is policy
    with renamed("AgentRuntime.request_options", "AgentRuntime.request_fields"):
        runtime.request_options = {"model": "n"}
    assert runtime.request_fields == {"model": "n"}
    with renamed("AgentRuntime.callback_options", "AgentRuntime.callback_policy"):
        runtime.callback_options = CallbackPolicy(queue_size=2)
    assert runtime.callback_policy == CallbackPolicy(queue_size=2)


async def test_a_strategy_using_run_request_options_gets_the_request_fields() -> None:
    seen: list[dict[str, Any]] = []

    class UsesOldName(ToolLoopStrategy):
        async def execute(self, run: RunContext) -> AgentResult:
            with renamed("RunContext.request_options", "RunContext.request_fields"):
                fields = run.request_options
            seen.append(fields)
            with renamed("RunContext.request_options", "RunContext.request_fields"):
                run.request_options = {**fields, "max_tokens": 7}
            return await super().execute(run)

    adapter = MockAdapter("hi")
    runtime = (
        RuntimeBuilder()
        .with_client(LLMClient(adapter))
        .with_strategy(UsesOldName())
        .with_request_fields(model="m")
        .build()
    )
    await runtime.run("hello")
    assert seen == [{"model": "m"}]
    assert adapter.requests[0].model == "m"
    assert adapter.requests[0].max_tokens == 7

"""The turn loop: what is sent back to the model, max_steps, stream=False, failures."""

from __future__ import annotations

import pytest

from rillet import (
    AssistantMessage,
    ErrorCode,
    LLMClient,
    LLMRequest,
    MockAdapter,
    MockResponse,
    RateLimitError,
    SystemMessage,
    ToolCall,
    ToolMessage,
    UserMessage,
)
from rillet.agent import (
    AgentErrorEvent,
    AgentResult,
    AgentRunStartEvent,
    MaxStepsExceededError,
    RuntimeBuilder,
    ToolLoopStrategy,
)

from ._support import EventLog, squeezed


def lookup(key: str) -> str:
    """Look a key up."""
    return f"value of {key}"


def broken_sync(x: int) -> int:
    """Always fails."""
    raise ValueError(f"no good: {x}")


async def broken_async() -> str:
    """Always fails, asynchronously."""
    raise KeyError("missing")


def tool_results(adapter: MockAdapter, request: int) -> dict[str, ToolMessage]:
    return {
        m.tool_call_id: m for m in adapter.requests[request].messages if isinstance(m, ToolMessage)
    }


async def test_tool_errors_and_invalid_arguments_reach_the_model_as_error_results() -> None:
    calls = [
        ToolCall(id="ok", name="lookup", arguments={"key": "k"}),
        ToolCall(id="sync", name="broken_sync", arguments={"x": 1}),
        ToolCall(id="async", name="broken_async"),
        ToolCall(id="unknown", name="nope", arguments={}),
        ToolCall(id="schema", name="lookup", arguments={"key": 1, "extra": True}),
        ToolCall(id="missing", name="broken_sync", arguments={}),
        ToolCall(id="not-json", name="lookup", raw_arguments='{"key": "k"'),  # cut short
    ]
    adapter = MockAdapter([MockResponse(tool_calls=calls), "Understood."])
    log = EventLog()
    runtime = (
        RuntimeBuilder()
        .with_client(LLMClient(adapter))
        .with_tools(lookup, broken_sync, broken_async)
        .with_on_event(log)
        .build()
    )
    result = await runtime.run("try them all")  # no exception: the model is told instead

    assert result.response.text == "Understood."
    results = tool_results(adapter, 1)
    assert list(results) == [c.id for c in calls]  # one result per call, in the calls' order
    assert results["ok"].content == "value of k" and not results["ok"].is_error
    errors = {call_id: m.content for call_id, m in results.items() if m.is_error}
    assert set(errors) == {"sync", "async", "unknown", "schema", "missing", "not-json"}
    assert errors["sync"] == "ValueError: no good: 1"
    assert errors["async"] == "KeyError: 'missing'"
    assert "unknown tool 'nope'" in errors["unknown"] and "lookup" in errors["unknown"]
    assert "key: Input should be a valid string" in errors["schema"]
    assert "extra: Extra inputs are not permitted" in errors["schema"]
    assert "x: Field required" in errors["missing"]
    assert errors["not-json"] == (
        "the arguments of 'lookup' are not valid JSON: Expecting ',' delimiter at line 1 column 12;"
        ' the tool needs a JSON object. The arguments were: {"key": "k"'
    )
    assert all(m.name is not None for m in results.values())
    ends = {e.tool_call_id: e for e in log.events if e.type == "AGENT_TOOL_CALL_END"}
    assert ends["sync"].is_error and ends["sync"].error == errors["sync"]
    assert ends["sync"].result is None and ends["ok"].result == "value of k"
    # the assistant turn is sent back whole, the cut-short call with its raw arguments
    assistant = adapter.requests[1].messages[1]
    assert isinstance(assistant, AssistantMessage)
    assert [c.id for c in assistant.tool_calls] == [c.id for c in calls]
    assert assistant.tool_calls[-1].raw_arguments == '{"key": "k"'


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "call"])
async def test_each_call_with_invalid_arguments_gets_its_own_reason(stream: bool) -> None:
    calls = [
        ToolCall(id="list", name="lookup", raw_arguments='["k"]'),
        ToolCall(id="ok", name="lookup", raw_arguments='{"key": "k"}'),
        ToolCall(id="nan", name="lookup", raw_arguments='{"key": NaN}'),
        ToolCall(id="blank", name="lookup", raw_arguments="  "),  # {}: the schema says why not
    ]
    adapter = MockAdapter([MockResponse(tool_calls=calls), "Understood."])
    runtime = (
        RuntimeBuilder()
        .with_client(LLMClient(adapter))
        .with_tools(lookup)
        .with_strategy(ToolLoopStrategy(stream=stream))
        .build()
    )
    await runtime.run("go")

    results = tool_results(adapter, 1)
    assert results["ok"].content == "value of k" and not results["ok"].is_error
    assert results["list"].is_error and results["list"].content == (
        "the arguments of 'lookup' are a JSON array, not an object; the tool needs a JSON object."
        ' The arguments were: ["k"]'
    )
    assert results["nan"].is_error and results["nan"].content == (
        "the arguments of 'lookup' are not valid JSON: NaN is not a JSON number; the tool needs a"
        ' JSON object. The arguments were: {"key": NaN}'
    )
    assert results["blank"].is_error and "key: Field required" in results["blank"].content


async def test_reasoning_signatures_are_sent_back_on_the_next_turn() -> None:
    adapter = MockAdapter(
        [
            MockResponse(
                reasoning="I should look it up.",
                reasoning_signature="sig-123",
                text="Checking.",
                tool_calls=[ToolCall(id="c1", name="lookup", arguments={"key": "k"})],
            ),
            "Done.",
        ]
    )
    runtime = RuntimeBuilder().with_client(LLMClient(adapter)).with_tools(lookup).build()
    result = await runtime.run("look it up")

    sent = adapter.requests[1].messages
    assert [m.role for m in sent] == ["user", "assistant", "tool"]
    assistant = sent[1]
    assert isinstance(assistant, AssistantMessage)
    assert assistant.content == "Checking."
    assert [(b.text, b.signature, b.provider) for b in assistant.reasoning] == [
        ("I should look it up.", "sig-123", "mock")
    ]
    assert [(c.id, c.name, c.arguments) for c in assistant.tool_calls] == [
        ("c1", "lookup", {"key": "k"})
    ]
    assert result.messages[1] == assistant
    assert adapter.requests[1].tools[0].name == "lookup"


async def test_max_steps_ends_the_run_with_a_typed_error_and_an_error_event() -> None:
    forever = MockResponse(tool_calls=[ToolCall(id="c", name="lookup", arguments={"key": "k"})])
    adapter = MockAdapter([forever], repeat=True)
    log = EventLog()
    runtime = (
        RuntimeBuilder()
        .with_client(LLMClient(adapter))
        .with_tools(lookup)
        .with_on_event(log)
        .with_max_steps(3)
        .build()
    )
    with pytest.raises(MaxStepsExceededError, match=r"lookup.*max_steps=3") as caught:
        await runtime.run("loop")

    assert len(adapter.requests) == 3
    error = caught.value
    assert error.max_steps == 3 and error.result.steps == 3
    assert error.result.response.tool_calls[0].name == "lookup"
    # the tools of turns 1 and 2 ran; those of the last turn did not
    assert log.types.count("AGENT_TOOL_CALL_END") == 2
    assert [m.role for m in error.result.messages] == [
        "user",
        "assistant",
        "tool",
        "assistant",
        "tool",
        "assistant",
    ]
    assert log.types[-2:] == ["AGENT_TURN_END", "AGENT_ERROR"]
    last = log.events[-1]
    assert isinstance(last, AgentErrorEvent)
    assert last.error_type == "MaxStepsExceededError" and last.steps == 3
    assert last.response is not None and last.response.tool_calls[0].id == "c"


async def test_stream_false_uses_call_and_emits_the_same_turn_events() -> None:
    def script() -> list[MockResponse]:
        call = ToolCall(id="c1", name="lookup", arguments={"key": "k"})
        return [MockResponse(text="Let me see.", tool_calls=[call]), MockResponse(text="Found.")]

    logs: dict[bool, EventLog] = {}
    results: dict[bool, tuple[AgentResult, list[LLMRequest]]] = {}
    for stream in (True, False):
        log = EventLog()
        adapter = MockAdapter(script())
        runtime = (
            RuntimeBuilder()
            .with_client(LLMClient(adapter))
            .with_tools(lookup)
            .with_on_event(log)
            .with_stream(stream)
            .build()
        )
        results[stream] = (await runtime.run("find k"), adapter.requests)
        logs[stream] = log

    assert "AGENT_STREAM_CHUNK" not in logs[False].types
    assert [t for t in logs[True].types if t != "AGENT_STREAM_CHUNK"] == logs[False].types
    assert squeezed(logs[True].types).count("CHUNKS") == 2  # one stretch per turn
    streamed, whole = results[True], results[False]
    assert whole[0].response == streamed[0].response
    assert whole[0].messages == streamed[0].messages
    assert whole[1] == streamed[1]  # the very same requests
    start = logs[False].events[0]
    assert isinstance(start, AgentRunStartEvent) and start.stream is False
    assert ToolLoopStrategy(stream=False).stream is False


async def test_system_prompt_and_going_on_with_a_conversation() -> None:
    adapter = MockAdapter(["First answer.", "Second answer."])
    runtime = (
        RuntimeBuilder()
        .with_client(LLMClient(adapter))
        .with_system_prompt("Be brief.")
        .with_request_fields(temperature=0.2, max_tokens=50)
        .build()
    )
    first = await runtime.run("one")
    assert first.messages[0] == SystemMessage(role="system", content="Be brief.")
    second = await runtime.run([*first.messages, UserMessage(role="user", content="two")])
    assert [m.role for m in second.messages] == [
        "system",
        "user",
        "assistant",
        "user",
        "assistant",
    ]
    request = adapter.requests[1]
    assert request.temperature == 0.2 and request.max_tokens == 50
    assert sum(isinstance(m, SystemMessage) for m in request.messages) == 1


async def test_a_model_error_fails_the_run_after_an_error_event() -> None:
    adapter = MockAdapter(
        MockResponse(text="partial answer", error=RateLimitError("slow down"), error_after=3)
    )
    log = EventLog()
    runtime = RuntimeBuilder().with_client(LLMClient(adapter)).with_on_event(log).build()
    with pytest.raises(RateLimitError):
        await runtime.run("hi")
    last = log.events[-1]
    assert isinstance(last, AgentErrorEvent)
    assert last.code is ErrorCode.rate_limit and last.retryable
    assert last.error_type == "RateLimitError" and last.message == "slow down"
    assert last.response is not None and last.response.text.startswith("partial")
    assert log.types.count("AGENT_TURN_END") == 0

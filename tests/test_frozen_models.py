"""Protocol objects are values: one chunk, response or event reaches the accumulator, every
callback and the consumer, so none of them may change it under the others."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from protocol_samples import CHUNKS, EVENTS
from pydantic import BaseModel, ValidationError

from rillet import LLMClient, MockAdapter
from rillet.agent import (
    AgentEvent,
    AgentEventType,
    AgentStreamChunkEvent,
    RuntimeBuilder,
    parse_event,
)
from rillet.protocol import (
    AssistantMessage,
    ContentChunk,
    ImagePart,
    LLMRequest,
    LLMResponse,
    RateLimit,
    RateLimitQuota,
    ReasoningBlock,
    ReasoningChunk,
    ReasoningOptions,
    StartChunk,
    StreamChunkType,
    SystemMessage,
    TextPart,
    ToolCall,
    ToolCallChunk,
    ToolDefinition,
    ToolMessage,
    Usage,
    UserMessage,
    content_chunk,
    parse_chunk,
    rate_limit_quota,
    rate_limit_with,
    reasoning_text_chunk,
    start_chunk,
    start_with,
    tool_call_chunk,
)

_TOOL_CALL = ToolCall(id="c", name="f", arguments={"a": 1}, raw_arguments='{"a":1}')
_USAGE = Usage(input_tokens=3, output_tokens=5)


def assert_frozen(value: BaseModel) -> None:
    """Assigning or deleting any field raises, and the value stays as it was."""
    before = value.model_dump()
    for name in type(value).model_fields:
        with pytest.raises(ValidationError, match="frozen_instance"):
            setattr(value, name, object())
        with pytest.raises(ValidationError, match="frozen_instance"):
            delattr(value, name)
    assert value.model_dump() == before


@pytest.mark.parametrize("kind", [member.value for member in StreamChunkType])
def test_a_chunk_of_every_kind_is_frozen(kind: str) -> None:
    assert_frozen(parse_chunk(CHUNKS[kind]))


@pytest.mark.parametrize("kind", [member.value for member in AgentEventType])
def test_an_agent_event_of_every_kind_is_frozen(kind: str) -> None:
    assert_frozen(parse_event(EVENTS[kind]))


@pytest.mark.parametrize(
    "value",
    [
        LLMResponse(
            text="hi",
            tool_calls=[_TOOL_CALL],
            reasoning_details=[ReasoningBlock(text="t", signature="s")],
            usage=_USAGE,
        ),
        _TOOL_CALL,
        _USAGE,
        ReasoningBlock(text="t"),
        LLMRequest(
            messages=[
                SystemMessage(content="Be brief."),
                UserMessage(content=[TextPart(text="hi"), ImagePart(url="https://x.test/a.png")]),
                AssistantMessage(tool_calls=[_TOOL_CALL]),
                ToolMessage(tool_call_id="c", content="5"),
            ],
            tools=[ToolDefinition(name="f")],
            reasoning=ReasoningOptions(effort="low"),
        ),
    ],
    ids=lambda value: type(value).__name__,
)
def test_responses_requests_and_their_parts_are_frozen(value: BaseModel) -> None:
    assert_frozen(value)
    for field in type(value).model_fields:
        part = getattr(value, field)
        for item in part if isinstance(part, list) else [part]:
            if isinstance(item, BaseModel):
                assert_frozen(item)


@pytest.mark.parametrize(
    ("fast", "slow"),
    [
        (content_chunk("hi"), ContentChunk(text="hi")),
        (reasoning_text_chunk("t", 2, "rs_1"), ReasoningChunk(text="t", index=2, id="rs_1")),
        (tool_call_chunk(1, '{"a"'), ToolCallChunk(index=1, arguments_delta='{"a"')),
        (start_chunk("r1", "m", "openai"), StartChunk(id="r1", model="m", provider="openai")),
        (start_chunk(None, None, "gemini"), StartChunk(id=None, model=None, provider="gemini")),
        (
            rate_limit_quota(100, 99, 0.006, "6ms"),
            RateLimitQuota(limit=100, remaining=99, reset_seconds=0.006, reset="6ms"),
        ),
        (
            rate_limit_quota(None, 5, None, None),
            RateLimitQuota(limit=None, remaining=5, reset_seconds=None, reset=None),
        ),
        (
            rate_limit_with({"tokens": RateLimitQuota(limit=10)}, 2.5),
            RateLimit(tokens=RateLimitQuota(limit=10), retry_after=2.5),
        ),
        (rate_limit_with({}, None), RateLimit(retry_after=None)),
    ],
)
def test_fast_constructors_build_values_as_frozen_as_validated_ones(
    fast: BaseModel, slow: BaseModel
) -> None:
    assert fast == slow and hash(fast) == hash(slow)
    # What was set is what a validated value says was set (model_dump(exclude_unset=True)
    # and a copy read it): the same fields, and the same values in the same order.
    assert fast.model_fields_set == slow.model_fields_set
    assert list(fast.__dict__.items()) == list(slow.__dict__.items())
    assert fast.model_dump_json() == slow.model_dump_json()
    assert_frozen(fast)


@pytest.mark.parametrize(
    "build",
    [
        lambda: start_chunk(7, "m", "openai"),  # type: ignore[arg-type]
        lambda: rate_limit_quota("many", None, None, None),  # type: ignore[arg-type]
        lambda: rate_limit_with({"minutes": RateLimitQuota()}, None),
    ],
)
def test_fast_constructors_validate_what_is_not_of_the_field_types(
    build: Callable[[], BaseModel],
) -> None:
    with pytest.raises(ValidationError):
        build()


def test_start_with_is_model_copy_of_the_metadata_and_leaves_the_original() -> None:
    start = StartChunk(id="r1", model="m", provider="openai")
    fields = {
        "request_id": "req_1",
        "rate_limit": RateLimit(retry_after=2.0),
        "headers": {"x-request-id": "req_1"},
    }
    fast, slow = start_with(start, fields), start.model_copy(update=fields)
    assert fast == slow
    assert fast.model_fields_set == slow.model_fields_set
    assert fast.model_dump(exclude_unset=True) == slow.model_dump(exclude_unset=True)
    assert start.request_id is None and "request_id" not in start.model_fields_set
    assert fast.request_id == "req_1" and fast.id == "r1"
    assert_frozen(fast)


def test_model_copy_gives_a_changed_value_and_leaves_the_original() -> None:
    chunk = content_chunk("hi")
    changed = chunk.model_copy(update={"text": "bye"})
    assert (chunk.text, changed.text) == ("hi", "bye")
    assert_frozen(changed)


async def test_a_callback_cannot_change_what_later_callbacks_and_the_result_see() -> None:
    refused: list[str] = []
    seen: list[str] = []

    def tamper(event: AgentEvent) -> None:
        if isinstance(event, AgentStreamChunkEvent) and isinstance(event.chunk, ContentChunk):
            try:
                event.chunk.text = "tampered"  # type: ignore[misc]
            except ValidationError:
                refused.append(event.chunk.text)

    def read(event: AgentEvent) -> None:
        if isinstance(event, AgentStreamChunkEvent) and isinstance(event.chunk, ContentChunk):
            seen.append(event.chunk.text)

    runtime = (
        RuntimeBuilder()
        .with_client(LLMClient(MockAdapter("Hello there")))
        .with_on_event(tamper)
        .with_on_event(read)
        .build()
    )
    result = await runtime.run("hi")
    assert refused == seen and len(seen) > 1
    assert "".join(seen) == result.response.text == "Hello there"

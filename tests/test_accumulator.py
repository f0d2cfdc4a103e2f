"""The accumulator: every chunk order and split a provider may produce gives one response."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rillet import (
    ContentChunk,
    ErrorChunk,
    ErrorCode,
    FinishReason,
    InvalidToolArgumentsError,
    OverloadedError,
    ReasoningChunk,
    StartChunk,
    StopChunk,
    StreamChunk,
    StreamingLLMResponse,
    ToolCallChunk,
    ToolCallEndChunk,
    ToolCallStartChunk,
    Usage,
)
from rillet.accumulator import ResponseAccumulator

HOSTILE_ARGUMENTS: dict[str, Any] = {
    "path": 'C:\\dir\\"quoted"\\file',
    "emoji": "smile 😀, accents é ß, CJK 漢字, check ✓",
    "escapes": "tab\tnewline\nnull\u0000 slash/ bell\u0007",
    "numbers": [-12.5e3, 0, 1e-7, 12345678901234567890],
    "nested": {"a": [1, {"b": None, "c": True}], "": "empty key"},
}


def _call_chunks(
    raw_parts: list[str], index: int | None = 0, call_id: str = "call_1"
) -> list[StreamChunk]:
    return [
        ToolCallStartChunk(index=index, id=call_id, name="lookup"),
        *[ToolCallChunk(index=index, arguments_delta=part) for part in raw_parts],
        ToolCallEndChunk(index=index),
    ]


def _wrap(
    chunks: list[StreamChunk], reason: FinishReason = FinishReason.tool_calls
) -> list[StreamChunk]:
    return [
        StartChunk(id="r1", model="m", provider="test"),
        *chunks,
        StopChunk(finish_reason=reason),
    ]


@pytest.mark.parametrize("ensure_ascii", [True, False], ids=["escaped", "utf8"])
def test_every_split_point_gives_the_same_arguments(ensure_ascii: bool) -> None:
    raw = json.dumps(HOSTILE_ARGUMENTS, ensure_ascii=ensure_ascii)
    # escaped form holds \\uXXXX escapes and surrogate pairs (\\ud83d\\ude00) to split inside
    assert ("\\ud83d\\ude00" in raw) is ensure_ascii
    for cut in range(len(raw) + 1):
        response = StreamingLLMResponse.from_chunks(_wrap(_call_chunks([raw[:cut], raw[cut:]])))
        assert response.tool_calls[0].arguments == HOSTILE_ARGUMENTS, cut
        assert response.tool_calls[0].raw_arguments == raw


def test_three_way_splits_and_one_character_fragments() -> None:
    raw = json.dumps(HOSTILE_ARGUMENTS)
    for first in range(0, len(raw), 7):
        for second in range(first, len(raw), 11):
            parts = [raw[:first], raw[first:second], raw[second:]]
            response = StreamingLLMResponse.from_chunks(_wrap(_call_chunks(parts)))
            assert response.tool_calls[0].arguments == HOSTILE_ARGUMENTS
    one_by_one = StreamingLLMResponse.from_chunks(_wrap(_call_chunks(list(raw))))
    assert one_by_one.tool_calls[0].raw_arguments == raw


def test_two_calls_without_indexes_stay_two_calls() -> None:
    chunks = _wrap(
        [
            ToolCallStartChunk(id="call_a", name="first"),
            ToolCallChunk(arguments_delta='{"x": '),
            ToolCallChunk(arguments_delta="1}"),
            ToolCallStartChunk(id="call_b", name="second"),
            ToolCallChunk(arguments_delta='{"y": 2}'),
            ToolCallEndChunk(id="call_a"),
            ToolCallEndChunk(id="call_b"),
        ]
    )
    response = StreamingLLMResponse.from_chunks(chunks)
    assert [(c.id, c.name, c.arguments) for c in response.tool_calls] == [
        ("call_a", "first", {"x": 1}),
        ("call_b", "second", {"y": 2}),
    ]


def test_missing_index_is_filled_in_for_consumers() -> None:
    accumulator = ResponseAccumulator()
    accumulator.add(StartChunk(provider="test"))
    start = accumulator.add(ToolCallStartChunk(id="a", name="f"))
    fragment = accumulator.add(ToolCallChunk(arguments_delta="{}"))
    end = accumulator.add(ToolCallEndChunk())
    assert start.type == "tool_call_start" and start.index == 0
    assert fragment.type == "tool_call_chunk" and fragment.index == 0
    assert end.type == "tool_call_end" and end.arguments == {} and end.name == "f"


def test_interleaved_calls_by_index() -> None:
    chunks = _wrap(
        [
            ToolCallStartChunk(index=0, id="a", name="f"),
            ToolCallStartChunk(index=1, id="b", name="g"),
            ToolCallChunk(index=1, arguments_delta='{"b"'),
            ToolCallChunk(index=0, arguments_delta='{"a"'),
            ToolCallChunk(index=0, arguments_delta=":1}"),
            ToolCallChunk(index=1, arguments_delta=":2}"),
        ]
    )
    response = StreamingLLMResponse.from_chunks(chunks)
    assert [c.arguments for c in response.tool_calls] == [{"a": 1}, {"b": 2}]


def test_calls_end_at_stop_when_the_adapter_sent_no_end() -> None:
    chunks = _wrap(
        [ToolCallStartChunk(index=0, id="a", name="f"), ToolCallChunk(index=0, arguments_delta="")]
    )
    assert StreamingLLMResponse.from_chunks(chunks).tool_calls[0].arguments == {}


def test_end_with_whole_arguments_keeps_them_and_a_raw_string() -> None:
    chunks = _wrap(
        [
            ToolCallStartChunk(index=0, id="a", name="f"),
            ToolCallEndChunk(index=0, arguments={"k": [1]}),
        ]
    )
    call = StreamingLLMResponse.from_chunks(chunks).tool_calls[0]
    assert call.arguments == {"k": [1]}
    assert json.loads(call.raw_arguments) == {"k": [1]}


@pytest.mark.parametrize("raw", ['{"a": 1', "[1, 2]", '"text"', "{'a': 1}"])
def test_invalid_final_arguments_raise_with_the_raw_string_and_the_rest(raw: str) -> None:
    chunks = _wrap([ContentChunk(text="before "), *_call_chunks([raw]), ContentChunk(text="after")])
    with pytest.raises(InvalidToolArgumentsError) as caught:
        StreamingLLMResponse.from_chunks(chunks)
    error = caught.value
    assert error.raw_arguments == raw
    assert error.tool_name == "lookup"
    assert error.partial is not None
    assert error.partial.text == "before after"
    assert error.partial.tool_calls[0].raw_arguments == raw
    assert error.partial.finish_reason == FinishReason.tool_calls


@pytest.mark.parametrize("reason", list(FinishReason))
def test_each_finish_reason_round_trips(reason: FinishReason) -> None:
    raw_reason = f"provider-{reason.value}"
    usage = Usage(input_tokens=3, output_tokens=5, reasoning_tokens=1)
    chunks: list[StreamChunk] = [
        StartChunk(id="r", model="m", provider="p"),
        ContentChunk(text="hi"),
        StopChunk(finish_reason=reason, provider_finish_reason=raw_reason, usage=usage),
    ]
    # through JSON as well, as a cassette or a log would carry them
    from rillet.protocol import parse_chunk

    chunks = [parse_chunk(c.model_dump_json()) for c in chunks]
    response = StreamingLLMResponse.from_chunks(chunks)
    assert response.finish_reason is reason
    assert response.provider_finish_reason == raw_reason
    assert response.usage == usage


def test_error_chunk_raises_its_typed_error_with_the_partial_response() -> None:
    chunks: list[StreamChunk] = [
        StartChunk(provider="anthropic"),
        ContentChunk(text="partial text"),
        ErrorChunk(
            code=ErrorCode.overloaded,
            message="Overloaded",
            retryable=True,
            error_type="overloaded_error",
        ),
    ]
    with pytest.raises(OverloadedError) as caught:
        StreamingLLMResponse.from_chunks(chunks)
    assert caught.value.retryable is True
    assert caught.value.error_type == "overloaded_error"
    assert caught.value.partial is not None and caught.value.partial.text == "partial text"


def test_reasoning_blocks_keep_text_and_signatures_apart() -> None:
    chunks = _wrap(
        [
            ReasoningChunk(index=0, text="think "),
            ReasoningChunk(index=0, text="hard"),
            ReasoningChunk(index=0, signature="sig-A"),
            ReasoningChunk(index=1, encrypted_content="opaque"),
            ContentChunk(text="answer"),
        ],
        FinishReason.stop,
    )
    response = StreamingLLMResponse.from_chunks(chunks)
    assert response.text == "answer"
    assert response.reasoning == "think hard"
    assert [(b.text, b.signature, b.encrypted_content) for b in response.reasoning_details] == [
        ("think hard", "sig-A", None),
        ("", None, "opaque"),
    ]


def test_snapshot_at_any_moment_and_partial_arguments_on_demand() -> None:
    accumulator = ResponseAccumulator()
    accumulator.add(StartChunk(provider="p"))
    accumulator.add(ContentChunk(text="Hel"))
    assert accumulator.snapshot().text == "Hel"
    accumulator.add(ContentChunk(text="lo"))
    assert accumulator.snapshot().text == "Hello"
    accumulator.add(ToolCallStartChunk(index=0, id="a", name="f"))
    accumulator.add(ToolCallChunk(index=0, arguments_delta='{"city": "Par'))
    assert accumulator.partial_arguments(0) == {"city": "Par"}
    assert accumulator.snapshot().finish_reason is None


@pytest.mark.parametrize("parts", [[" "], ["\n", "\t ", ""], ["  \r\n"]])
def test_whitespace_only_arguments_are_an_empty_object(parts: list[str]) -> None:
    accumulator = ResponseAccumulator()
    for chunk in _wrap(_call_chunks(parts))[:-2]:  # the call started, its fragments in
        accumulator.add(chunk)
    assert accumulator.partial_arguments(0) == {}  # as live views see it before the end
    end = accumulator.add(ToolCallEndChunk(index=0))
    assert end.type == "tool_call_end" and end.arguments == {}
    accumulator.add(StopChunk(finish_reason=FinishReason.tool_calls))
    assert accumulator.failure() is None
    call = accumulator.result().tool_calls[0]
    assert (call.arguments, call.raw_arguments) == ({}, "".join(parts))

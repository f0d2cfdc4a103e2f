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
from rillet.accumulator import _PACK, ResponseAccumulator, _pack
from rillet.protocol import LLMResponse, RateLimit

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


def test_signature_deltas_are_concatenated_and_each_block_keeps_its_own() -> None:
    chunks = _wrap(
        [
            ReasoningChunk(index=0, text="a", id="rs_0"),
            ReasoningChunk(index=0, signature="Ab"),
            ReasoningChunk(index=0, signature="cD=="),
            ReasoningChunk(index=1, signature="other", encrypted_content="enc-1"),
        ],
        FinishReason.stop,
    )
    details = StreamingLLMResponse.from_chunks(chunks).reasoning_details
    assert [(b.id, b.signature, b.encrypted_content, b.provider) for b in details] == [
        ("rs_0", "AbcD==", None, "test"),
        (None, "other", "enc-1", "test"),
    ]


def test_a_repeated_start_continues_the_open_call() -> None:
    for index in (0, None):
        chunks = _wrap(
            [
                ToolCallStartChunk(index=index, id="a", name="f"),
                ToolCallChunk(index=index, arguments_delta='{"x": '),
                ToolCallStartChunk(index=index, id="a", name="f"),  # some servers repeat it
                ToolCallChunk(index=index, arguments_delta="1}"),
            ]
        )
        calls = StreamingLLMResponse.from_chunks(chunks).tool_calls
        assert [(c.id, c.name, c.arguments) for c in calls] == [("a", "f", {"x": 1})], index


def test_a_new_id_at_an_open_index_is_never_merged_into_the_old_call() -> None:
    chunks = _wrap(
        [
            ToolCallStartChunk(index=0, id="a", name="f"),
            ToolCallChunk(index=0, arguments_delta='{"x": 1}'),
            ToolCallStartChunk(index=0, id="b", name="g"),
            ToolCallChunk(index=0, arguments_delta='{"y": 2}'),
        ]
    )
    calls = StreamingLLMResponse.from_chunks(chunks).tool_calls
    assert ("b", "g", {"y": 2}) in [(c.id, c.name, c.arguments) for c in calls]
    assert all(c.raw_arguments in ('{"x": 1}', '{"y": 2}') for c in calls)


def test_a_start_repeating_an_ended_call_does_not_reopen_it() -> None:
    chunks = _wrap(
        [
            *_call_chunks(['{"x": 1}'], call_id="a"),
            *_call_chunks(['{"y": 2}'], call_id="a"),
        ]
    )
    calls = StreamingLLMResponse.from_chunks(chunks).tool_calls  # raises if merged
    assert calls[-1].arguments == {"y": 2} and calls[-1].raw_arguments == '{"y": 2}'


def test_ends_and_fragments_find_their_call_by_index_then_by_id() -> None:
    accumulator = ResponseAccumulator()
    accumulator.add(StartChunk(provider="p"))
    accumulator.add(ToolCallStartChunk(index=0, id="a", name="f"))
    accumulator.add(ToolCallStartChunk(index=1, id="b", name="g"))
    # index-less fragments and ends with an id go to that call, not to the latest one
    fragment = accumulator.add(ToolCallChunk(id="a", arguments_delta='{"a": 1}'))
    assert fragment.type == "tool_call_chunk" and fragment.index == 0
    end_a = accumulator.add(ToolCallEndChunk(id="a"))
    assert end_a.type == "tool_call_end"
    assert (end_a.index, end_a.id, end_a.name, end_a.arguments) == (0, "a", "f", {"a": 1})
    accumulator.add(ToolCallChunk(index=1, arguments_delta='{"b": 2}'))
    end_b = accumulator.add(ToolCallEndChunk(index=1))  # by index alone: its id filled in
    assert end_b.type == "tool_call_end"
    assert (end_b.index, end_b.id, end_b.name, end_b.arguments) == (1, "b", "g", {"b": 2})


def test_an_end_by_index_is_not_taken_for_the_latest_call() -> None:
    accumulator = ResponseAccumulator()
    accumulator.add(StartChunk(provider="p"))
    accumulator.add(ToolCallStartChunk(index=0, id="a", name="f"))
    accumulator.add(ToolCallStartChunk(index=1, id="b", name="g"))
    end = accumulator.add(ToolCallEndChunk(index=0, id="b"))  # the index decides
    assert end.type == "tool_call_end" and (end.index, end.id, end.name) == (0, "a", "f")


def test_fragments_of_an_unknown_call_are_kept_as_a_call_of_their_own(
    caplog: pytest.LogCaptureFixture,
) -> None:
    accumulator = ResponseAccumulator()
    accumulator.add(StartChunk(provider="p"))
    with caplog.at_level("DEBUG", logger="rillet.accumulator"):
        accumulator.add(ToolCallStartChunk(id="a", name="f"))
        accumulator.add(ToolCallChunk(id="a", arguments_delta='{"a": 1}'))
        # an id no call has, no start: a new call, never merged into "a"
        stray = accumulator.add(ToolCallChunk(id="x", arguments_delta='{"x": '))
        accumulator.add(ToolCallChunk(arguments_delta="1}"))  # no index, no id: the latest call
        at_seven = accumulator.add(ToolCallChunk(index=7, arguments_delta='{"s": '))
        nameless = accumulator.add(ToolCallChunk(arguments_delta="7}"))  # the latest call
        ignored = ToolCallEndChunk(index=3)
        assert accumulator.add(ignored) is ignored  # an end of an unknown call: left as it is
        end_x = accumulator.add(ToolCallEndChunk(id="x"))
    assert stray.type == "tool_call_chunk" and stray.index == 1
    assert at_seven.type == "tool_call_chunk" and at_seven.index == 7
    assert nameless.type == "tool_call_chunk" and nameless.index == 7
    assert end_x.type == "tool_call_end" and (end_x.index, end_x.name) == (1, "")
    accumulator.add(StopChunk(finish_reason=FinishReason.tool_calls))
    response = accumulator.result()
    assert [(c.id, c.name, c.raw_arguments) for c in response.tool_calls] == [
        ("a", "f", '{"a": 1}'),
        ("x", "", '{"x": 1}'),
        (response.tool_calls[2].id, "", '{"s": 7}'),
    ]
    assert response.tool_calls[2].id.startswith("call_")
    assert [c.arguments for c in response.tool_calls] == [{"a": 1}, {"x": 1}, {"s": 7}]
    messages = [r.getMessage() for r in caplog.records]
    assert "tool_call_chunk for an unknown call (index=None); kept as a new call" in messages
    assert "tool_call_chunk for an unknown call (index=7); kept as a new call" in messages
    assert "tool_call_end for an unknown call (index=3)" in messages


def test_an_id_less_fragment_before_any_call_starts_one_with_a_fresh_id() -> None:
    accumulator = ResponseAccumulator()
    fragment = accumulator.add(ToolCallChunk(arguments_delta='{"q": 1}'))
    assert fragment.type == "tool_call_chunk" and fragment.index == 0
    end = accumulator.add(ToolCallEndChunk())
    assert end.type == "tool_call_end" and end.id is not None and end.id.startswith("call_")
    assert (end.index, end.name, end.arguments) == (0, "", {"q": 1})


@pytest.mark.parametrize("streamed", [[], [""], ["", ""]])
def test_whole_arguments_from_the_end_chunk_give_a_compact_utf8_raw_string(
    streamed: list[str],
) -> None:
    given = {"city": "Zürich", "days": [1, 2], "note": "漢字 😀"}
    chunks = _wrap(
        [
            ToolCallStartChunk(index=0, id="a", name="f"),
            *[ToolCallChunk(index=0, arguments_delta=text) for text in streamed],
            ToolCallEndChunk(index=0, arguments=given),
        ]
    )
    call = StreamingLLMResponse.from_chunks(chunks).tool_calls[0]
    assert call.arguments == given
    assert call.raw_arguments == '{"city":"Zürich","days":[1,2],"note":"漢字 😀"}'


def test_whole_arguments_from_the_end_chunk_keep_the_streamed_text() -> None:
    chunks = _wrap(
        [
            ToolCallStartChunk(index=0, id="a", name="f"),
            ToolCallChunk(index=0, arguments_delta='{"k": 1}'),
            ToolCallEndChunk(index=0, arguments={"k": 1}),
        ]
    )
    assert StreamingLLMResponse.from_chunks(chunks).tool_calls[0].raw_arguments == '{"k": 1}'


def test_every_invalid_call_is_named_with_its_index_id_and_reason() -> None:
    accumulator = ResponseAccumulator()
    chunks = _wrap(
        [
            *_call_chunks(['{"ok": 1}'], index=0, call_id="good"),
            *_call_chunks(["[1]"], index=2, call_id="arr"),
            *_call_chunks(['{"a": '], index=1, call_id="cut"),
        ]
    )
    ends = [accumulator.add(chunk) for chunk in chunks]
    # the end chunk of an invalid call carries null arguments
    assert [c.arguments for c in ends if c.type == "tool_call_end"] == [{"ok": 1}, None, None]
    error = accumulator.failure()
    assert isinstance(error, InvalidToolArgumentsError)
    assert [(c.index, c.id, c.name, c.raw_arguments) for c in error.invalid_calls] == [
        (1, "cut", "lookup", '{"a": '),
        (2, "arr", "lookup", "[1]"),
    ]
    assert error.invalid_calls[1].reason == "a JSON array, not an object"
    assert error.invalid_calls[0].reason.startswith("not valid JSON: ")
    assert (error.index, error.tool_call_id) == (1, "cut")
    assert [c.arguments for c in error.partial.tool_calls] == [{"ok": 1}, {}, {}]  # type: ignore[union-attr]


@pytest.mark.parametrize("raw", ["[1, 2", '"tex', "12", "nul"])
def test_partial_arguments_that_are_no_object_are_none(raw: str) -> None:
    accumulator = ResponseAccumulator()
    accumulator.add(ToolCallStartChunk(index=0, id="a", name="f"))
    accumulator.add(ToolCallChunk(index=0, arguments_delta=raw))
    assert accumulator.partial_arguments(0) is None
    assert accumulator.partial_arguments(1) is None  # no such call


def test_partial_arguments_after_the_end_are_the_final_ones() -> None:
    accumulator = ResponseAccumulator()
    accumulator.add(ToolCallStartChunk(index=0, id="a", name="f"))
    accumulator.add(ToolCallEndChunk(index=0, arguments={"given": True}))
    assert accumulator.partial_arguments(0) == {"given": True}


def test_start_metadata_is_kept_and_a_later_bare_start_keeps_it() -> None:
    accumulator = ResponseAccumulator()
    assert not accumulator.started and accumulator.terminal is None
    accumulator.add(StartChunk(provider="p", request_id="req_1"))
    assert (accumulator.request_id, accumulator.headers) == ("req_1", {})
    assert accumulator.snapshot().headers == {}
    accumulator.add(StartChunk(provider="p", request_id="req_2", headers={"x-a": "1"}))
    accumulator.add(StartChunk(id="r2", model="m2", provider="q"))  # no metadata at all
    response = accumulator.snapshot()
    assert (response.id, response.model, response.provider) == ("r2", "m2", "q")
    assert (response.request_id, response.headers) == ("req_2", {"x-a": "1"})
    assert accumulator.started and accumulator.chunk_count == 3


def test_terminal_is_the_stop_or_error_chunk_once_it_arrives() -> None:
    accumulator = ResponseAccumulator()
    accumulator.add(StartChunk(provider="p"))
    accumulator.add(ContentChunk(text="x"))
    assert accumulator.terminal is None
    stop = StopChunk(finish_reason=FinishReason.stop)
    accumulator.add(stop)
    assert accumulator.terminal is stop
    failed = ResponseAccumulator()
    error = ErrorChunk(code=ErrorCode.overloaded, message="busy")
    failed.add(error)
    assert failed.terminal is error
    assert failed.chunk_count == 1


def test_a_snapshot_before_any_chunk_is_the_empty_response() -> None:
    assert ResponseAccumulator().snapshot() == LLMResponse()


def test_the_rate_limit_of_the_start_chunk_reaches_the_response() -> None:
    limit = RateLimit(retry_after=1.5)
    accumulator = ResponseAccumulator()
    accumulator.add(StartChunk(provider="p", rate_limit=limit))
    assert accumulator.rate_limit == limit
    assert accumulator.snapshot().rate_limit == limit


def test_pack_joins_the_unpacked_parts_once_there_are_pack_of_them() -> None:
    parts = [str(i % 10) for i in range(_PACK - 1)]
    assert _pack(parts, 0) == 0 and len(parts) == _PACK - 1  # not yet
    parts.append("x")
    assert _pack(parts, 0) == 1 and len(parts) == 1  # a run of _PACK parts: one string
    run = parts[0]
    parts += ["y"] * (_PACK - 1)
    assert _pack(parts, 1) == 1 and len(parts) == _PACK  # the packed run does not count
    parts.append("z")
    assert _pack(parts, 1) == 2 and parts == [run, "y" * (_PACK - 1) + "z"]
    assert _pack(parts, 5) == 2  # never more runs than parts


def test_compact_keeps_text_and_reasoning_about_one_string_per_run() -> None:
    accumulator = ResponseAccumulator()
    for i in range(2 * _PACK):
        accumulator.add(ContentChunk(text=str(i % 7)))
        accumulator.add(ReasoningChunk(text=str(i % 5)))
        if i + 1 == _PACK:
            accumulator.compact()
            assert (len(accumulator._text), len(accumulator._reasoning)) == (1, 1)
    accumulator.compact()
    assert (len(accumulator._text), len(accumulator._reasoning)) == (2, 2)
    assert accumulator.snapshot().text == "".join(str(i % 7) for i in range(2 * _PACK))
    assert accumulator.snapshot().reasoning == "".join(str(i % 5) for i in range(2 * _PACK))


def test_partial_arguments_follow_every_delta_and_never_show_half_a_number() -> None:
    raw = '{"city": "Par\\u00eds", "days": [1, 22], "temp": -3.5e1, "ok": true}'
    accumulator = ResponseAccumulator()
    accumulator.add(ToolCallStartChunk(index=0, id="a", name="f"))
    seen: list[dict[str, Any] | None] = []
    for char in raw:
        accumulator.add(ToolCallChunk(index=0, arguments_delta=char))
        value = accumulator.partial_arguments(0)
        seen.append(None if value is None else json.loads(json.dumps(value)))
    assert seen[-1] == {"city": "Par\u00eds", "days": [1, 22], "temp": -35.0, "ok": True}
    temps = [value.get("temp") for value in seen if value is not None and "temp" in value]
    assert set(temps) == {-35.0}  # never -3, -3.5 or -3.5e: held back until whole
    days = [value["days"] for value in seen if value is not None and "days" in value]
    assert [1, 2] not in days  # 22 is not shown as 2 first


def test_partial_arguments_that_stop_being_json_are_none() -> None:
    accumulator = ResponseAccumulator()
    accumulator.add(ToolCallStartChunk(index=0, id="a", name="f"))
    accumulator.add(ToolCallChunk(index=0, arguments_delta='{"a": 1'))
    assert accumulator.partial_arguments(0) == {}
    accumulator.add(ToolCallChunk(index=0, arguments_delta="}}"))
    assert accumulator.partial_arguments(0) is None


def test_refusal_text_is_kept_apart_from_the_answer_in_order() -> None:
    accumulator = ResponseAccumulator()
    for chunk in (
        StartChunk(provider="p"),
        ContentChunk(text="Well"),
        ContentChunk(text="I can't ", refusal=True),
        ContentChunk(text="help.", refusal=True),
        StopChunk(finish_reason=FinishReason.stop),
    ):
        assert accumulator.add(chunk) is chunk
    response = accumulator.result()
    assert (response.text, response.refusal) == ("Well", "I can't help.")


def test_a_response_without_refusal_chunks_has_no_refusal() -> None:
    response = StreamingLLMResponse.from_chunks(
        [
            StartChunk(provider="p"),
            ContentChunk(text="hi"),
            StopChunk(finish_reason=FinishReason.stop),
        ]
    )
    assert (response.text, response.refusal) == ("hi", None)


def test_argument_events_give_each_call_s_arguments_as_they_arrive() -> None:
    raw = '{"city": "Par\\u00eds", "days": [1, 22], "n": 7}'
    accumulator = ResponseAccumulator()
    accumulator.add(ToolCallStartChunk(index=0, id="a", name="f"))
    accumulator.add(ToolCallStartChunk(index=1, id="b", name="g"))
    accumulator.add(ToolCallChunk(index=0, arguments_delta=raw[:12]))
    first = accumulator.argument_events(0)  # the text so far, once
    assert [(e.path, e.done) for e in first] == [((), False), (("city",), False)]
    assert first[1].value == "Pa"
    seen = list(first)
    for start in range(12, len(raw), 5):
        accumulator.add(ToolCallChunk(index=0, arguments_delta=raw[start : start + 5]))
        seen += accumulator.argument_events(0)
    assert accumulator.argument_events(0) == []  # nothing new: nothing again
    accumulator.add(ToolCallEndChunk(index=0))
    seen += accumulator.argument_events(0)  # the 7 shows once the call has ended
    assert "".join(e.value for e in seen if e.path == ("city",)) == "Par\u00eds"
    assert [e.value for e in seen if e.path[:1] == ("days",) and len(e.path) == 2] == [1, 22]
    assert [(e.path, e.value) for e in seen if e.path == ("n",)] == [(("n",), 7)]
    assert seen[-1].path == () and seen[-1].done
    assert accumulator.argument_events(1) == [] and accumulator.argument_events(9) == []

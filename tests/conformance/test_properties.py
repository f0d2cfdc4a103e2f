"""The catalogue's rules over hand-built chunk lists: each passes a good stream and names the
chunk where a bad one goes wrong."""

from __future__ import annotations

import pytest

from rillet import (
    ContentChunk,
    ErrorChunk,
    ErrorCode,
    FinishReason,
    IdleTimeoutError,
    LLMResponse,
    OutputRefusedError,
    OutputValidationError,
    OverloadedError,
    RateLimitError,
    ReasoningChunk,
    StartChunk,
    StopChunk,
    StreamChunk,
    StreamInterruptedError,
    ToolCallChunk,
    ToolCallEndChunk,
    ToolCallStartChunk,
    Usage,
)
from rillet._response_metadata import read_metadata
from rillet.conformance.expectation import Expectation, ExpectedCall, ExpectedOutput
from rillet.conformance.observation import Observation, RequestSeen, Violation, first_divergence
from rillet.conformance.properties import RULES, check
from rillet.output._parser import OutputEvent
from rillet.streaming import StreamingLLMResponse

START = StartChunk(id="r1", model="m", provider="test")
STOP = StopChunk(
    finish_reason=FinishReason.stop,
    provider_finish_reason="end",
    usage=Usage(input_tokens=12, output_tokens=34),
)
TEXT = Expectation(text="Hello, world", provider_finish_reason="end")
TOOLS = Expectation(
    text="",
    tool_calls=(
        ExpectedCall("lookup", {"q": 'a"b', "n": 12}),
        ExpectedCall("other", {}, id="call_b"),
    ),
    finish_reason=FinishReason.tool_calls,
)
TOOL_STOP = StopChunk(
    finish_reason=FinishReason.tool_calls, usage=Usage(input_tokens=12, output_tokens=34)
)


def text_chunks(*parts: str) -> list[StreamChunk]:
    return [START, *[ContentChunk(text=p) for p in parts], STOP]


def tool_chunks() -> list[StreamChunk]:
    return [
        START,
        ToolCallStartChunk(index=0, id="call_a", name="lookup"),
        ToolCallChunk(index=0, arguments_delta='{"q": "a\\'),
        ToolCallStartChunk(index=1, id="call_b", name="other"),
        ToolCallChunk(index=0, arguments_delta='"b", "n": 12}'),
        ToolCallEndChunk(index=0),
        ToolCallEndChunk(index=1),
        TOOL_STOP,
    ]


def observe(chunks: list[StreamChunk], **kwargs: object) -> Observation:
    """An observation whose response is what the accumulator makes of ``chunks``."""
    response: LLMResponse | None = None
    error: BaseException | None = None
    try:
        response = StreamingLLMResponse.from_chunks(chunks)
    except Exception as exc:
        error = exc
    fields: dict[str, object] = {"chunks": chunks, "response": response, "error": error}
    fields.update(kwargs)
    return Observation(**fields)  # type: ignore[arg-type]


def rules_broken(expected: Expectation, seen: Observation) -> set[str]:
    return {v.rule for v in check(expected, seen)}


def only(expected: Expectation, seen: Observation, rule: str) -> Violation:
    violations = check(expected, seen)
    assert {v.rule for v in violations} == {rule}, violations
    return violations[0]


def test_every_rule_is_registered_with_a_summary() -> None:
    assert list(RULES) == [
        "start_first",
        "one_terminal",
        "tool_calls_balanced",
        "tool_arguments",
        "text",
        "usage",
        "response",
        "error",
        "retries",
        "cancellation",
        "idle_timeout",
        "partial",
        "metadata",
        "output",
    ]
    assert all(summary for summary, _ in RULES.values())


def test_good_streams_break_no_rule() -> None:
    assert check(TEXT, observe(text_chunks("Hello", ", wor", "ld"))) == []
    assert check(TOOLS, observe(tool_chunks())) == []


def test_start_must_come_first() -> None:
    violation = only(TEXT, observe(text_chunks("Hello, world")[1:]), "start_first")
    assert violation.index == 0 and violation.got is not None and '"content"' in violation.got


@pytest.mark.parametrize(
    "extra",
    [STOP, ContentChunk(text="late"), ErrorChunk(code=ErrorCode.server, message="x")],
    ids=["second-stop", "content", "error"],
)
def test_nothing_may_follow_the_terminal_chunk(extra: StreamChunk) -> None:
    chunks = [*text_chunks("Hello, world"), extra]
    seen = observe(chunks[:-1])
    seen.chunks = chunks
    violation = only(TEXT, seen, "one_terminal")
    assert violation.index == len(chunks) - 1


def test_a_stream_without_terminal_chunk_must_raise() -> None:
    chunks = text_chunks("Hello, world")[:-1]
    seen = Observation(chunks=chunks, error=StreamInterruptedError("ended"))
    assert "one_terminal" in rules_broken(TEXT, seen)
    raised = Observation(chunks=chunks, raised=StreamInterruptedError("reset"), error=None)
    assert "one_terminal" not in rules_broken(TEXT, raised)
    foreign = Observation(chunks=chunks, raised=KeyError("bug"))
    assert "one_terminal" in rules_broken(TEXT, foreign)


def test_tool_calls_must_be_balanced() -> None:
    missing_end = [c for c in tool_chunks() if not (c.type == "tool_call_end" and c.index == 1)]
    violation = only(TOOLS, observe(missing_end), "tool_calls_balanced")
    assert violation.index == len(missing_end) - 1  # the stop chunk
    orphan = tool_chunks()
    orphan.insert(1, ToolCallChunk(index=3, arguments_delta="{}"))
    [violation] = [v for v in check(TOOLS, observe(orphan)) if v.rule == "tool_calls_balanced"]
    assert violation.index == 1 and "not open" in violation.message
    restarted = tool_chunks()
    restarted.insert(6, ToolCallStartChunk(index=0, id="call_c", name="again"))
    assert "tool_calls_balanced" in rules_broken(TOOLS, observe(restarted))


def test_tool_calls_without_indexes_resolve_by_id_then_latest() -> None:
    chunks: list[StreamChunk] = [
        START,
        ToolCallStartChunk(id="call_a", name="lookup"),
        ToolCallChunk(arguments_delta='{"q": "a\\"b", "n": 12}'),
        ToolCallEndChunk(id="call_a"),
        ToolCallStartChunk(id="call_b", name="other"),
        ToolCallEndChunk(),
        TOOL_STOP,
    ]
    assert check(TOOLS, observe(chunks)) == []


def test_reassembled_arguments_must_equal_the_scenarios() -> None:
    chunks = tool_chunks()
    chunks[4] = ToolCallChunk(index=0, arguments_delta='"b", "n": 13}')
    violation = only(TOOLS, observe(chunks), "tool_arguments")
    assert violation.index == 5 and violation.got == '{"q": "a\\"b", "n": 13}'
    chunks = tool_chunks()
    chunks[5] = ToolCallEndChunk(index=0, arguments={"q": "other"})
    assert only(TOOLS, observe(chunks), "tool_arguments").index == 5


def test_text_must_equal_the_concatenated_content() -> None:
    violation = only(TEXT, observe(text_chunks("Hello", ", WOR", "ld")), "text")
    assert violation.index == 2 and violation.got == "', WOR'"
    short = only(TEXT, observe(text_chunks("Hello")), "text")
    assert short.index == 2 and short.expected == "', world'"


def test_usage_must_be_carried_by_the_stop_chunk() -> None:
    chunks = text_chunks("Hello, world")
    chunks[-1] = StopChunk(finish_reason=FinishReason.stop, provider_finish_reason="end")
    assert only(TEXT, observe(chunks), "usage").index == 2
    chunks[-1] = STOP.model_copy(update={"usage": Usage(input_tokens=1, output_tokens=34)})
    only(TEXT, observe(chunks), "usage")
    no_usage = Expectation(text="Hello, world", usage=None)
    assert check(no_usage, observe(chunks)) == []


def test_response_checks_finish_reasons_reasoning_and_tool_names() -> None:
    chunks = text_chunks("Hello, world")
    chunks[-1] = STOP.model_copy(update={"finish_reason": FinishReason.length})
    assert "finish_reason" in only(TEXT, observe(chunks), "response").message
    thinking = Expectation(text="Hello, world", reasoning="hmm", reasoning_signature="sig")
    chunks = [
        START,
        ReasoningChunk(text="hm"),
        ReasoningChunk(signature="sig"),
        *text_chunks("Hello, world")[1:],
    ]
    violation = only(thinking, observe(chunks), "response")
    assert violation.index == 1 and violation.expected == "'hmm'"
    renamed = tool_chunks()
    renamed[3] = ToolCallStartChunk(index=1, id="call_x", name="other")
    messages = [v.message for v in check(TOOLS, observe(renamed))]
    assert messages == ["id of tool call 1 differs"]


def test_error_expected_and_got() -> None:
    wanted = Expectation(text="Hello, world", error=OverloadedError, partial_text="Hello")
    error_chunk = ErrorChunk(code=ErrorCode.overloaded, message="busy", retryable=True)
    failing: list[StreamChunk] = [START, ContentChunk(text="Hello"), error_chunk]
    assert check(wanted, observe(failing)) == []
    swallowed: list[StreamChunk] = [START, ContentChunk(text="Hello"), STOP]
    violation = only(wanted, observe(swallowed), "error")
    assert violation.expected == "OverloadedError" and violation.index == 2
    assert only(TEXT, observe(failing), "error").got == "OverloadedError: busy"


def test_partial_must_hold_what_arrived() -> None:
    wanted = Expectation(text="Hello, world", error=StreamInterruptedError, partial_text="Hello")
    chunks: list[StreamChunk] = [START, ContentChunk(text="Hello")]
    good = StreamInterruptedError(
        "reset", partial=StreamingLLMResponse.from_chunks([*chunks, STOP])
    )
    raised = StreamInterruptedError("reset")
    assert check(wanted, Observation(chunks=chunks, raised=raised, error=good)) == []
    lost = StreamInterruptedError("reset", partial=LLMResponse())
    violation = only(wanted, Observation(chunks=[START], raised=raised, error=lost), "partial")
    assert violation.got == "''" and violation.expected == "'Hello'"
    bare = StreamInterruptedError("reset")
    only(wanted, Observation(chunks=[START], raised=raised, error=bare), "partial")


def test_retries_count_requests() -> None:
    wanted = Expectation(text="Hello, world", requests=3)
    requests = [RequestSeen("/v1/x", disconnected=False)] * 3
    assert check(wanted, observe(text_chunks("Hello, world"), requests=requests)) == []
    violation = only(wanted, observe(text_chunks("Hello, world"), requests=requests[:2]), "retries")
    assert violation.expected == "3 request(s)" and violation.got == "2 request(s)"
    once = Expectation(text="Hello, world", error=StreamInterruptedError, requests=1)
    again = Observation(
        chunks=[START],
        raised=StreamInterruptedError("reset"),
        error=StreamInterruptedError("reset", partial=LLMResponse()),
        requests=requests[:2],
    )
    assert "after the stream began" in only(once, again, "retries").message


def test_cancellation_needs_a_disconnect() -> None:
    wanted = Expectation(text="Hello, world", cancel_after=1)
    left = [RequestSeen("/v1/x", disconnected=True)]
    kept = [RequestSeen("/v1/x", disconnected=False)]
    seen = Observation(chunks=[START], cancelled=True, requests=left)
    assert check(wanted, seen) == []
    violation = only(
        wanted, Observation(chunks=[START], cancelled=True, requests=kept), "cancellation"
    )
    assert violation.got == "the whole reply was read"
    ended = observe(text_chunks("Hello, world"), requests=left)
    assert "ended before" in only(wanted, ended, "cancellation").message


def test_idle_timeout_must_fire_in_time() -> None:
    wanted = Expectation(
        text="Hello, world", error=IdleTimeoutError, idle_timeout=0.2, partial_text="Hello"
    )
    partial = StreamingLLMResponse.from_chunks([START, ContentChunk(text="Hello"), STOP])
    timeout = IdleTimeoutError("idle", partial=partial)
    chunks: list[StreamChunk] = [START, ContentChunk(text="Hello")]
    assert (
        check(wanted, Observation(chunks=chunks, raised=timeout, error=timeout, seconds=0.3)) == []
    )
    hung = Observation(chunks=chunks, hung=True, seconds=3.0)
    assert "hung" in only(wanted, hung, "idle_timeout").message
    late = Observation(chunks=chunks, raised=timeout, error=timeout, seconds=5.0)
    assert "late" in only(wanted, late, "idle_timeout").message


def test_first_divergence_is_the_earliest_chunk() -> None:
    chunks = text_chunks("Hello", ", WOR", "ld")
    chunks[-1] = StopChunk(finish_reason=FinishReason.stop)
    violations = check(TEXT, observe(chunks))
    assert {v.rule for v in violations} == {"text", "usage", "response"}
    first = first_divergence(violations, chunks)
    assert first is not None and first.rule == "text"
    assert first_divergence([], chunks) is None


_OPENAI_REPLY = {
    "x-request-id": "req_abc",
    "x-ratelimit-limit-requests": "60",
    "x-ratelimit-remaining-requests": "59",
    "x-ratelimit-reset-requests": "1s",
}


def _reply(status: int = 200, headers: dict[str, str] = _OPENAI_REPLY) -> RequestSeen:
    return RequestSeen("/v1/chat/completions", False, True, status, headers)


def _with_metadata(start: StartChunk, headers: dict[str, str] = _OPENAI_REPLY) -> StartChunk:
    return start.model_copy(update=read_metadata(headers).fields())


def test_metadata_must_reach_the_start_chunk() -> None:
    carried: list[StreamChunk] = [_with_metadata(START), ContentChunk(text="Hello, world"), STOP]
    assert check(TEXT, observe(carried, requests=[_reply()])) == []
    violation = only(TEXT, observe(text_chunks("Hello, world"), requests=[_reply()]), "metadata")
    assert violation.index == 0 and violation.expected is not None
    assert '"req_abc"' in violation.expected and '"remaining": 59' in violation.expected
    # a vcrpy replay knows no reply: nothing to compare with
    assert (
        check(TEXT, observe(text_chunks("Hello, world"), requests=[RequestSeen("", False)])) == []
    )


def test_metadata_compares_what_the_headers_state() -> None:
    """The other reply's remaining count is another statement: it must not pass for this one."""
    fewer = {**_OPENAI_REPLY, "x-ratelimit-remaining-requests": "58"}
    chunks: list[StreamChunk] = [
        _with_metadata(START, fewer),
        ContentChunk(text="Hello, world"),
        STOP,
    ]
    assert only(TEXT, observe(chunks, requests=[_reply()]), "metadata").index == 0


def test_metadata_must_reach_an_error_status() -> None:
    limited = {**_OPENAI_REPLY, "x-ratelimit-remaining-requests": "0"}
    expected = Expectation(error=RateLimitError, usage=None)
    error = RateLimitError("HTTP 429", status_code=429, request_id="req_abc")
    replies = [_reply(429, limited)]
    violation = only(expected, Observation(raised=error, error=error, requests=replies), "metadata")
    assert violation.expected is not None and '"remaining": 0' in violation.expected
    sent = read_metadata(limited)
    carried = RateLimitError("HTTP 429", request_id=sent.request_id, rate_limit=sent.rate_limit)
    assert check(expected, Observation(raised=carried, error=carried, requests=replies)) == []


def test_metadata_must_reach_an_error_inside_the_stream() -> None:
    expected = Expectation(text="Hello, world", error=OverloadedError, partial_text="Hello")
    chunks: list[StreamChunk] = [
        _with_metadata(START),
        ContentChunk(text="Hello"),
        ErrorChunk(code=ErrorCode.overloaded, message="busy", retryable=True),
    ]
    seen = observe(chunks, requests=[_reply()])
    assert isinstance(seen.error, OverloadedError) and seen.error.request_id == "req_abc"
    assert check(expected, seen) == []
    seen.error.request_id = None
    assert only(expected, seen, "metadata").index == 2


# -- structured output ----------------------------------------------------------------------------

_RAW = '{"name":"p\\u00e9ar","tags":["a","b"],"n":-1.5e2}'
_TREE = {"name": "péar", "tags": ["a", "b"], "n": -150.0}
OUTPUT = Expectation(
    text=_RAW,
    provider_finish_reason="end",
    output=ExpectedOutput(dict, _RAW, _TREE, value=_TREE),
)
_EVENTS = [
    OutputEvent((), {}, False),
    OutputEvent(("name",), "p", False),
    OutputEvent(("name",), "éar", True),
    OutputEvent(("tags",), [], False),
    OutputEvent(("tags", 0), "a", True),
    OutputEvent(("tags", 1), "b", True),
    OutputEvent(("tags",), ["a", "b"], True),
    OutputEvent(("n",), -150.0, True),
    OutputEvent((), _TREE, True),
]


def output_run(**fields: object) -> Observation:
    chunks = text_chunks(_RAW[:9], _RAW[9:])
    return observe(chunks, **{"output_events": _EVENTS, "output": _TREE, **fields})


def test_the_output_rule_passes_a_good_run() -> None:
    assert check(OUTPUT, output_run()) == []


def test_the_output_rule_names_a_wrong_value_and_lost_fragments() -> None:
    wrong = only(OUTPUT, output_run(output={**_TREE, "n": 150.0}), "output")
    assert wrong.message == "response.output differs" and "150.0" in (wrong.got or "")
    lost = [e for e in _EVENTS if e.value != "p"]  # a fragment dropped, the root still whole
    dropped = only(OUTPUT, output_run(output_events=lost), "output")
    assert dropped.message == "the string fragments at ['name'] join to something else"
    assert (dropped.expected, dropped.got) == ("'péar'", "'éar'")
    unclosed = only(OUTPUT, output_run(output_events=_EVENTS[:-1]), "output")
    assert unclosed.got == "no closing event for the root"


def test_an_output_that_did_not_validate_is_the_output_rules_not_the_errors() -> None:
    failed = OutputValidationError("the output does not fit", raw_text=_RAW, errors=[])
    violation = only(OUTPUT, output_run(error=failed, output=None), "output")
    assert violation.message == "the output did not validate"


def test_the_output_rule_is_quiet_when_the_adapter_streamed_other_text() -> None:
    """The text rule owns a wrong text; the output that follows from it is not judged again."""
    seen = observe(text_chunks(_RAW[:9]), output_events=_EVENTS[:2])
    assert rules_broken(OUTPUT, seen) == {"text"}


def test_an_invalid_output_must_keep_its_raw_text_and_partial() -> None:
    expected = Expectation(
        text=_RAW,
        error=OutputValidationError,
        output=ExpectedOutput(dict, _RAW, _TREE),
    )
    whole = StreamingLLMResponse.from_chunks(text_chunks(_RAW[:9], _RAW[9:]))
    kept = OutputValidationError("no", raw_text=_RAW, errors=[], partial=whole)
    assert check(expected, output_run(error=kept)) == []
    lost = OutputValidationError("no", raw_text=_RAW[:9], errors=[], partial=whole)
    assert only(expected, output_run(error=lost), "output").message == "the error lost what arrived"


def test_a_refusal_must_keep_the_models_words() -> None:
    expected = Expectation(
        text="",
        error=OutputRefusedError,
        output=ExpectedOutput(dict, "", None, refusal="I can't."),
    )
    refused: list[StreamChunk] = [START, ContentChunk(text="I can't.", refusal=True), STOP]
    said = OutputRefusedError("refused", refusal="I can't.")
    assert check(expected, observe(refused, error=said)) == []
    silent = OutputRefusedError("refused", refusal="")
    violation = only(expected, observe(refused, error=silent), "output")
    assert violation.message == "the refusal lost the model's words"

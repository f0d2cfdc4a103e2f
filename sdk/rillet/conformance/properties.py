"""The catalogue's rules: each checks one observed run against its ``Expectation``.

    start_first          the first chunk is ``start``
    one_terminal         one terminal chunk (``stop`` or ``error``) ends the stream and nothing
                         follows it; a transport failure may instead be raised as a rillet error
    tool_calls_balanced  per index: ``tool_call_start``, its chunks, one ``tool_call_end``;
                         every call ended before ``stop``
    tool_arguments       each call's reassembled argument text parses to the scenario's arguments
    text                 the concatenated content equals the scenario's text (a prefix of it
                         when the stream fails or is left early)
    usage                the stop chunk carries the usage the provider sent
    response             finish reasons (unified and raw), reasoning, tool names and ids
    error                the stream ends in the expected typed error, or in none
    retries              the emulator saw the expected number of requests: retries happen only
                         before the first chunk
    cancellation         leaving the stream early closes the connection
    idle_timeout         a stall raises ``IdleTimeoutError`` once the idle timeout passes
    partial              the error's ``partial`` response holds what arrived before the fault
    metadata             the request id and rate limits of the reply's headers reach the start
                         chunk, and the error (from the reply it answered, or from the start)
    output               (structured output) the field events rebuild the model's JSON, each
                         string's fragments join to its value, and ``response.output`` is the
                         value; an output that does not fit raises ``OutputValidationError``
                         holding the raw text, a refusal ``OutputRefusedError`` with its words

Every rule owns its aspect alone (the text rule checks text, the response rule does not), so a
broken adapter fails exactly the rules it breaks. Each returns a list of ``Violation``; the
``index`` of a violation points at the chunk where it shows (``len(chunks)``: the stream's end).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from rillet._exceptions import (
    APIError,
    IdleTimeoutError,
    OutputRefusedError,
    OutputValidationError,
    RilletError,
)
from rillet._response_metadata import read_metadata
from rillet.conformance.expectation import Expectation, ExpectedOutput
from rillet.conformance.observation import Observation, Violation, describe
from rillet.protocol import (
    TERMINAL_CHUNK_TYPES,
    RateLimit,
    StartChunk,
    ToolCallEndChunk,
)

__all__ = ["RULES", "TIMEOUT_SLACK", "check"]

TIMEOUT_SLACK = 1.0
"""Seconds an idle timeout may fire late (connect time, a loaded CI machine)."""


Check = Callable[[Expectation, Observation], list[Violation]]

RULES: dict[str, tuple[str, Check]] = {}
"""Rule name -> (what it requires, its check), in catalogue order."""


def _rule(name: str, summary: str) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        RULES[name] = (summary, check)
        return check

    return register


def check(expectation: Expectation, observation: Observation) -> list[Violation]:
    """Every violation of every rule."""
    return [v for _, rule in RULES.values() for v in rule(expectation, observation)]


def _error_name(error: BaseException | None) -> str:
    if error is None:
        return "no error"
    return f"{type(error).__name__}: {error}"


@_rule("start_first", "the first chunk is start")
def _start_first(expected: Expectation, seen: Observation) -> list[Violation]:
    if not seen.chunks or seen.chunks[0].type == "start":
        return []
    return [
        Violation(
            "start_first",
            "the stream does not begin with a start chunk",
            index=0,
            expected='{"type": "start", ...}',
            got=describe(seen.chunks[0]),
        )
    ]


@_rule("one_terminal", "exactly one terminal chunk (stop or error), nothing after it")
def _one_terminal(expected: Expectation, seen: Observation) -> list[Violation]:
    end = seen.terminal_index
    if end is not None:
        extra = seen.chunks[end + 1 :]
        if not extra:
            return []
        terminals = sum(c.type in TERMINAL_CHUNK_TYPES for c in extra)
        return [
            Violation(
                "one_terminal",
                f"{len(extra)} chunk(s) after the terminal chunk, {terminals} of them terminal",
                index=end + 1,
                expected=f"nothing after {describe(seen.chunks[end])}",
                got=describe(extra[0]),
            )
        ]
    if seen.cancelled or seen.hung or isinstance(seen.raised, RilletError):
        return []
    if seen.raised is not None:
        message = f"the adapter raised {_error_name(seen.raised)}, not a rillet error"
    else:
        message = "the stream ended without a terminal chunk and raised nothing"
    return [
        Violation(
            "one_terminal",
            message,
            index=len(seen.chunks),
            expected="a stop or error chunk",
            got=describe(None) if seen.raised is None else _error_name(seen.raised),
        )
    ]


class _Calls:
    """Resolves tool-call chunks to indexes as the accumulator does: index, else id, else latest."""

    def __init__(self) -> None:
        self.by_id: dict[str, int] = {}
        self.latest: int | None = None
        self.known: set[int] = set()

    def resolve(self, index: int | None, call_id: str | None, *, start: bool) -> int | None:
        if index is None and call_id is not None and call_id in self.by_id:
            index = self.by_id[call_id]
        if index is None:
            index = max(self.known, default=-1) + 1 if start else self.latest
        if start and index is not None:
            self.known.add(index)
            self.latest = index
            if call_id is not None:
                self.by_id[call_id] = index
        return index


@_rule("tool_calls_balanced", "tool_call_start, chunks, tool_call_end balanced per index")
def _balanced(expected: Expectation, seen: Observation) -> list[Violation]:
    calls = _Calls()
    open_calls: dict[int, str] = {}
    ended: set[int] = set()
    found: list[Violation] = []

    def bad(i: int, message: str, want: str) -> None:
        found.append(Violation("tool_calls_balanced", message, i, want, describe(seen.chunks[i])))

    for i, chunk in enumerate(seen.stream):
        if chunk.type == "tool_call_start":
            index = calls.resolve(chunk.index, chunk.id, start=True)
            assert index is not None
            if index in ended:
                bad(i, f"tool call index {index} started again after its end", "a new index")
            elif index in open_calls and open_calls[index] != chunk.id:
                bad(i, f"tool call index {index} started twice", f"tool_call_end for {index}")
            open_calls[index] = chunk.id
        elif chunk.type in ("tool_call_chunk", "tool_call_end"):
            index = calls.resolve(chunk.index, chunk.id, start=False)
            if index is None or index not in open_calls:
                bad(i, f"{chunk.type} for tool call {index}, which is not open", "tool_call_start")
            elif chunk.type == "tool_call_end":
                del open_calls[index]
                ended.add(index)
        elif chunk.type == "stop" and open_calls:
            bad(i, f"tool call(s) {sorted(open_calls)} not ended before stop", "tool_call_end")
    return found[:3]


def _assembled(seen: Observation) -> list[tuple[int, str, ToolCallEndChunk | None, int]]:
    """Per call in start order: (start position, raw argument text, end chunk, last position)."""
    calls = _Calls()
    order: list[int] = []
    parts: dict[int, list[str]] = {}
    ends: dict[int, ToolCallEndChunk] = {}
    starts: dict[int, int] = {}
    last: dict[int, int] = {}
    for i, chunk in enumerate(seen.stream):
        if chunk.type == "tool_call_start":
            index = calls.resolve(chunk.index, chunk.id, start=True)
            assert index is not None
            if index not in parts:
                order.append(index)
                parts[index], starts[index] = [], i
            last[index] = i
        elif chunk.type in ("tool_call_chunk", "tool_call_end"):
            index = calls.resolve(chunk.index, chunk.id, start=False)
            if index is None or index not in parts:
                continue
            last[index] = i
            if chunk.type == "tool_call_chunk":
                parts[index].append(chunk.arguments_delta)
            else:
                ends[index] = chunk
    return [(starts[k], "".join(parts[k]), ends.get(k), last[k]) for k in order]


@_rule("tool_arguments", "reassembled tool-call arguments equal the scenario's")
def _arguments(expected: Expectation, seen: Observation) -> list[Violation]:
    if not expected.succeeds or not seen.succeeded:
        return []
    found: list[Violation] = []
    for want, (_, raw, end, last) in zip(expected.tool_calls, _assembled(seen), strict=False):
        shown = json.dumps(want.arguments, ensure_ascii=False, separators=(",", ":"))
        if raw.strip():
            try:
                got: object = json.loads(raw)
            except ValueError:
                got = None
        else:
            got = end.arguments if end is not None and end.arguments is not None else {}
        if got != want.arguments:
            message = f"the arguments of {want.name!r} reassemble to something else"
            found.append(Violation("tool_arguments", message, last, shown, raw or repr(got)))
        elif end is not None and end.arguments is not None and end.arguments != want.arguments:
            message = f"tool_call_end of {want.name!r} carries other arguments"
            found.append(Violation("tool_arguments", message, last, shown, describe(end)))
    return found


@_rule("text", "the concatenated content equals the scenario's text")
def _text(expected: Expectation, seen: Observation) -> list[Violation]:
    want = expected.text
    so_far = ""
    for i, chunk in enumerate(seen.stream):
        if chunk.type != "content" or chunk.refusal:  # refusal words are not the text
            continue
        before, so_far = so_far, so_far + chunk.text
        if not want.startswith(so_far):
            return [
                Violation(
                    "text",
                    f"the text diverges after {len(before)} characters",
                    index=i,
                    expected=repr(want[len(before) : len(before) + len(chunk.text) + 20]),
                    got=repr(chunk.text),
                )
            ]
    if expected.succeeds and seen.succeeded and so_far != want:
        return [
            Violation(
                "text",
                f"the text stops after {len(so_far)} of {len(want)} characters",
                index=seen.terminal_index,
                expected=repr(want[len(so_far) :][:60]),
                got=describe(seen.stop),
            )
        ]
    return []


@_rule("usage", "usage present where the provider sends it")
def _usage(expected: Expectation, seen: Observation) -> list[Violation]:
    stop = seen.stop
    if expected.usage is None or not expected.succeeds or not seen.succeeded or stop is None:
        return []
    want_in, want_out = expected.usage
    usage = stop.usage
    if usage is not None and (usage.input_tokens, usage.output_tokens) == (want_in, want_out):
        return []
    return [
        Violation(
            "usage",
            "the stop chunk lacks the usage the provider sent"
            if usage is None
            else "the stop chunk's usage differs from what the provider sent",
            index=seen.terminal_index,
            expected=f'"usage": {{"input_tokens": {want_in}, "output_tokens": {want_out}}}',
            got=describe(stop),
        )
    ]


@_rule("response", "finish reasons, reasoning, tool names and ids as the scenario says")
def _response(expected: Expectation, seen: Observation) -> list[Violation]:
    stop, response = seen.stop, seen.response
    if not expected.succeeds or not seen.succeeded or stop is None or response is None:
        return []
    end = seen.terminal_index
    found: list[Violation] = []

    def differ(what: str, want: object, got: object, index: int | None = end) -> None:
        if want != got:
            message = f"{what} differs"
            found.append(Violation("response", message, index, repr(want), repr(got)))

    if expected.finish_reason is not None:
        differ("finish_reason", expected.finish_reason.value, stop.finish_reason.value)
    if expected.provider_finish_reason is not None:
        differ(
            "provider_finish_reason", expected.provider_finish_reason, stop.provider_finish_reason
        )
    if expected.reasoning is not None:
        first = next((i for i, c in enumerate(seen.chunks) if c.type == "reasoning"), end)
        differ("reasoning", expected.reasoning, response.reasoning, first)
    if expected.reasoning_signature is not None:
        # Anthropic's signature, Gemini's thoughtSignature, or Responses' encrypted content
        kept = [b.signature for b in response.reasoning_details]
        kept += [b.encrypted_content for b in response.reasoning_details]
        kept += [call.signature for call in response.tool_calls]
        if expected.reasoning_signature not in kept:
            differ("reasoning signature", expected.reasoning_signature, [k for k in kept if k])
    starts = [start for start, *_ in _assembled(seen)]
    names = [call.name for call in response.tool_calls]
    hidden = expected.output.tool if expected.output is not None else None
    calls = [c for c in expected.tool_calls if c.name != hidden]  # tool mode: the output's own
    differ("tool calls", [c.name for c in calls], names, starts[0] if starts else end)
    for i, (want, got) in enumerate(zip(calls, response.tool_calls, strict=False)):
        if want.id is not None:
            differ(f"id of tool call {i}", want.id, got.id, starts[i] if i < len(starts) else end)
    return found


@_rule("error", "the stream ends in the expected typed error, or in none")
def _error(expected: Expectation, seen: Observation) -> list[Violation]:
    if expected.idle_timeout is not None or expected.cancel_after is not None:
        return []  # the idle_timeout and cancellation rules own these outcomes
    end = seen.terminal_index
    at = end if end is not None else len(seen.chunks)
    want = "a response" if expected.error is None else expected.error.__name__
    if seen.hung:
        return [Violation("error", f"the stream hung for {seen.seconds:.1f} s", at, want, "a hang")]
    if expected.error is None:
        if seen.error is None or _owned_by_output(expected, seen.error):
            return []
        return [Violation("error", "the stream failed", at, want, _error_name(seen.error))]
    if isinstance(seen.error, expected.error):
        return []
    got = _error_name(seen.error) if seen.error is not None else describe(seen.stop)
    return [Violation("error", f"the stream did not raise {want}", at, want, got)]


def _owned_by_output(expected: Expectation, error: BaseException) -> bool:
    """An output that did not validate, where one was expected: the output rule's to judge."""
    return expected.output is not None and isinstance(error, OutputValidationError)


@_rule("retries", "retries only before the first chunk, as many as the provider asked")
def _retries(expected: Expectation, seen: Observation) -> list[Violation]:
    if expected.requests is None or len(seen.requests) == expected.requests:
        return []
    count = len(seen.requests)
    message = f"the emulator saw {count} request(s), expected {expected.requests}"
    if count > expected.requests and seen.chunks:
        message += ": the request was sent again after the stream began"
    return [
        Violation(
            "retries", message, None, f"{expected.requests} request(s)", f"{count} request(s)"
        )
    ]


@_rule("cancellation", "leaving the stream early closes the connection")
def _cancellation(expected: Expectation, seen: Observation) -> list[Violation]:
    if expected.cancel_after is None:
        return []
    want = "the emulator sees the client go away"
    if not seen.cancelled:
        message = f"the stream ended before the consumer could leave it after {expected.cancel_after} chunk(s)"
        return [Violation("cancellation", message, len(seen.chunks), want, _error_name(seen.error))]
    if not seen.requests:
        return [Violation("cancellation", "no request reached the emulator", None, want, "none")]
    last = seen.requests[-1]
    if last.disconnected:
        return []
    got = "the reply was still being sent" if not last.finished else "the whole reply was read"
    message = "the connection stayed open after the consumer left the stream"
    return [Violation("cancellation", message, expected.cancel_after, want, got)]


@_rule("idle_timeout", "a stall raises IdleTimeoutError after the idle timeout")
def _idle_timeout(expected: Expectation, seen: Observation) -> list[Violation]:
    idle = expected.idle_timeout
    if idle is None:
        return []
    at = len(seen.chunks)
    want = f"IdleTimeoutError after {idle} s"
    if seen.hung:
        message = f"no idle timeout: the stream hung for {seen.seconds:.1f} s"
        return [Violation("idle_timeout", message, at, want, "a hang")]
    if not isinstance(seen.error, IdleTimeoutError):
        message = "the stall did not raise IdleTimeoutError"
        return [Violation("idle_timeout", message, at, want, _error_name(seen.error))]
    if seen.seconds > idle + TIMEOUT_SLACK:
        message = f"the idle timeout fired late, after {seen.seconds:.2f} s"
        return [Violation("idle_timeout", message, at, want, f"{seen.seconds:.2f} s")]
    return []


@_rule("partial", "the partial response survives every fault")
def _partial(expected: Expectation, seen: Observation) -> list[Violation]:
    if expected.partial_text is None or not isinstance(seen.error, RilletError):
        return []  # without an error, the error rule reports
    error_at = next((i for i, c in enumerate(seen.chunks) if c.type == "error"), len(seen.chunks))
    partial = seen.error.partial
    want = repr(expected.partial_text)
    if partial is None:
        message = f"{type(seen.error).__name__} carries no partial response"
        return [Violation("partial", message, error_at, want, "partial=None")]
    if partial.text != expected.partial_text:
        message = "the partial response lost what arrived before the fault"
        return [Violation("partial", message, error_at, want, repr(partial.text))]
    return []


_QUOTAS = ("requests", "tokens", "input_tokens", "output_tokens")
_AS_STATED: dict[str, bool | set[str]] = {
    "retry_after": True,
    **{quota: {"reset_seconds"} for quota in _QUOTAS},
}


def _stated(request_id: str | None, rate_limit: RateLimit | None) -> str:
    """The metadata as the headers state it: without the seconds counted from when they were
    read, which differ from one reading to the next."""
    limits = None if rate_limit is None else rate_limit.model_dump(exclude=_AS_STATED)
    return json.dumps({"request_id": request_id, "rate_limit": limits})


@_rule("metadata", "the request id and rate limits of the reply's headers reach the consumer")
def _metadata(expected: Expectation, seen: Observation) -> list[Violation]:
    replies = [request for request in seen.requests if request.status is not None]
    if not replies:
        return []  # the replies are not known (a vcrpy replay)
    start = next((c for c in seen.chunks if isinstance(c, StartChunk)), None)
    error = seen.error if isinstance(seen.error, APIError) else None
    found: list[Violation] = []

    def differ(what: str, want: str, got: str, index: int | None) -> None:
        if want != got:
            found.append(Violation("metadata", f"{what} differs", index, want, got))

    if not seen.chunks:
        if error is not None:  # an error status: the error carries that reply's metadata
            sent = read_metadata(replies[-1].headers)
            want = _stated(sent.request_id, sent.rate_limit)
            differ("the error's metadata", want, _stated(error.request_id, error.rate_limit), 0)
        return found
    streamed = next((r for r in replies if r.status is not None and r.status < 300), None)
    if start is None or streamed is None:
        return []  # start_first reports a stream without a start chunk
    sent = read_metadata(streamed.headers)
    at = seen.chunks.index(start)
    got = _stated(start.request_id, start.rate_limit)
    differ("the start chunk's metadata", _stated(sent.request_id, sent.rate_limit), got, at)
    if error is not None:  # an error inside the stream: it carries the stream's metadata
        end = seen.terminal_index
        differ("the error's metadata", got, _stated(error.request_id, error.rate_limit), end)
    return found


@_rule("output", "structured output: field events rebuild the JSON; the value, or the raw text")
def _output(expected: Expectation, seen: Observation) -> list[Violation]:
    want = expected.output
    if want is not None and want.refusal is not None:
        return _refusal_violations(want.refusal, seen)
    if want is None or seen.hung or not _output_arrived(want, seen):
        return []  # what the adapter streamed is wrong: the text or tool_arguments rule reports
    end = seen.terminal_index
    error = seen.error
    if not expected.succeeds:
        if not isinstance(error, OutputValidationError):
            return []  # the error rule reports
        partial = error.partial.text if error.partial is not None else None
        if (error.raw_text, partial) == (want.raw, want.raw):
            return []
        got = f"raw_text={error.raw_text!r}, partial text={partial!r}"
        return [Violation("output", "the error lost what arrived", end, repr(want.raw), got)]
    if isinstance(error, OutputValidationError):
        return [Violation("output", "the output did not validate", end, repr(want.value),
                          _error_name(error))]  # fmt: skip
    if not seen.succeeded:
        return []
    found = _events_violations(want, seen)
    if seen.output != want.value:
        found.append(
            Violation("output", "response.output differs", end, repr(want.value), repr(seen.output))
        )
    return found


def _refusal_violations(words: str, seen: Observation) -> list[Violation]:
    error = seen.error
    if not isinstance(error, OutputRefusedError) or error.refusal == words:
        return []  # another error (or none): the error rule reports
    message = "the refusal lost the model's words"
    return [Violation("output", message, seen.terminal_index, repr(words), repr(error.refusal))]


def _output_arrived(want: ExpectedOutput, seen: Observation) -> bool:
    """The adapter streamed the output's JSON: as content, or as the forced tool's arguments
    (its deltas, or the arguments its end carries)."""
    if want.tool is None:
        text = "".join(chunk.text for chunk in seen.stream if chunk.type == "content")
        return text == want.raw
    for _, raw, end, _ in _assembled(seen):
        arguments = end.arguments if not raw.strip() and end is not None else None
        try:
            got = json.loads(raw) if arguments is None else arguments
            return bool(got == json.loads(want.raw))
        except ValueError:
            return False
    return False


def _events_violations(want: ExpectedOutput, seen: Observation) -> list[Violation]:
    end = seen.terminal_index
    closed = [e.value for e in seen.output_events if e.path == () and e.done]
    if closed != [want.tree]:
        got = repr(closed[-1]) if closed else "no closing event for the root"
        return [Violation("output", "the field events do not rebuild the output", end,
                          repr(want.tree), got)]  # fmt: skip
    joined: dict[tuple[str | int, ...], str] = {}
    for event in seen.output_events:
        if isinstance(event.value, str):
            joined[event.path] = joined.get(event.path, "") + event.value
    strings = dict(_strings(want.tree, ()))
    if joined == strings:
        return []
    path = next(p for p in [*strings, *joined] if joined.get(p) != strings.get(p))
    message = f"the string fragments at {list(path)} join to something else"
    return [Violation("output", message, end, repr(strings.get(path)), repr(joined.get(path)))]


def _strings(tree: object, path: tuple[str | int, ...]) -> list[tuple[tuple[str | int, ...], str]]:
    """Every string of a JSON value with its path."""
    if isinstance(tree, str):
        return [(path, tree)]
    if isinstance(tree, dict):
        return [pair for key, item in tree.items() for pair in _strings(item, (*path, key))]
    if isinstance(tree, list):
        return [pair for i, item in enumerate(tree) for pair in _strings(item, (*path, i))]
    return []

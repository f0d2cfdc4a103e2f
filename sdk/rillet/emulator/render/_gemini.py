"""Gemini ``streamGenerateContent``: ``GenerateContentResponse`` elements, as SSE or JSON array.

As generativelanguage.googleapis.com sends them: one element per delta (thought parts with
``thought: true``, text parts, each ``functionCall`` whole in its own element), the
``thoughtSignature`` on the first ``functionCall`` part (else the first text part),
``usageMetadata`` as running totals in every element, and the ``finishReason`` on the last
element (no terminal event: the stream just ends). When the request asked for
``streamFunctionCallArguments`` (``Scenario.streamed_arguments``), each call comes as Gemini 3
streams it: the name with ``willContinue``, one element per value as ``partialArgs`` at its
JSON path (a string in two pieces), then an empty ``functionCall``. With ``alt=sse`` each element is a ``data:`` line followed by
CRLF CRLF; without it the elements form one pretty-printed JSON array.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from typing import Any

from rillet.emulator._errors import stream_error
from rillet.emulator.render._events import Event, ident, json_array, sse
from rillet.emulator.scenario import Finish, Scenario, StreamError, ToolCallSpec

__all__ = [
    "CONTENT_TYPE",
    "JSON_CONTENT_TYPE",
    "RAW_FINISH",
    "error_event",
    "events",
    "frame",
    "frame_json",
]

CONTENT_TYPE = "text/event-stream"
JSON_CONTENT_TYPE = "application/json; charset=UTF-8"

RAW_FINISH: dict[Finish, str] = {
    "stop": "STOP",
    "length": "MAX_TOKENS",
    "tool_calls": "STOP",  # with functionCall parts: Gemini has no separate reason
    "content_filter": "SAFETY",
    "other": "OTHER",
    "error": "MALFORMED_FUNCTION_CALL",
}
_CALLS_MESSAGE = "Model generated function call(s)."
_MEMBER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # written $.name; any other as $['name']


def events(scenario: Scenario) -> list[Event]:
    groups = _parts(scenario)
    usage = _usage_counts(scenario, groups)
    out: list[Event] = []
    for number, (parts, _) in enumerate(groups):
        last = number == len(groups) - 1
        candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}}
        if last:
            # no refusal form here: a refusal is a safety stop, its words never sent
            finish = "content_filter" if scenario.refusal else scenario.finish
            candidate["finishReason"] = RAW_FINISH[finish]
        candidate["index"] = 0
        if last and scenario.tool_calls and scenario.finish == "tool_calls":
            candidate["finishMessage"] = _CALLS_MESSAGE
        data: dict[str, Any] = {"candidates": [candidate]}
        if usage is not None:
            data["usageMetadata"] = usage[number]
        data["modelVersion"] = scenario.model
        data["responseId"] = _response_id(scenario)
        out.append(Event(data, content=True, terminal=last))
    return _with_unknown(out) if scenario.faults.unknown_events else out


def error_event(scenario: Scenario, error: StreamError) -> Event:
    return Event(stream_error("gemini", error.kind, error.message))


def frame(events: Sequence[Event]) -> bytes:
    return sse(events, dumps=_dumps, eol="\r\n")


def frame_json(events: Sequence[Event]) -> bytes:
    return json_array(events)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ": "))


def _response_id(scenario: Scenario) -> str:
    return ident("gemini:" + scenario.name, 23)


def _parts(scenario: Scenario) -> list[tuple[list[dict[str, Any]], bool]]:
    """Each element's parts, and whether it holds thinking only."""
    groups: list[tuple[list[dict[str, Any]], bool]] = [
        ([{"text": text, "thought": True}], True) for text in scenario.reasoning
    ]
    answer: list[dict[str, Any]] = [{"text": text} for text in scenario.text]
    for call in scenario.tool_calls:
        if scenario.streamed_arguments:
            answer.extend(_streamed_call(call))
            continue
        function: dict[str, Any] = {"name": call.name, "args": call.arguments}
        if call.id is not None:
            function["id"] = call.id
        answer.append({"functionCall": function})
    if scenario.reasoning_signature:
        if answer:
            # on the first call where there are calls (Gemini 3 checks it there), else the text
            at = len(scenario.text) if scenario.tool_calls else 0
            answer[at] = {**answer[at], "thoughtSignature": scenario.reasoning_signature}
        else:
            answer.append({"text": "", "thoughtSignature": scenario.reasoning_signature})
    if not answer and not groups:
        answer.append({"text": ""})
    groups += [([part], False) for part in answer]
    return groups


def _streamed_call(call: ToolCallSpec) -> list[dict[str, Any]]:
    """The parts of one call with ``partialArgs``: name, a value per part, an empty end."""
    start: dict[str, Any] = {"name": call.name, "willContinue": True}
    if call.id is not None:
        start["id"] = call.id
    parts = [{"functionCall": start}]
    for path, value in _leaves("$", call.arguments):
        if isinstance(value, str) and len(value) > 1:
            half = len(value) // 2
            pieces = [(value[:half], True), (value[half:], False)]
        else:
            pieces = [(value, False)]
        for piece, more in pieces:
            arg = {"jsonPath": path, **_partial_value(piece)}
            if more:
                arg["willContinue"] = True
            parts.append({"functionCall": {"partialArgs": [arg], "willContinue": True}})
    parts.append({"functionCall": {}})
    return parts


def _leaves(path: str, value: Any) -> Iterator[tuple[str, Any]]:
    """Every scalar of ``value`` with its JSON path, in document order (empty containers have
    none: ``partialArgs`` cannot say them)."""
    if isinstance(value, dict):
        for key, item in value.items():
            name = f".{key}" if _MEMBER_NAME.fullmatch(key) else f"['{_quoted(key)}']"
            yield from _leaves(path + name, item)
    elif isinstance(value, list):
        for number, item in enumerate(value):
            yield from _leaves(f"{path}[{number}]", item)
    else:
        yield path, value


def _quoted(key: str) -> str:
    """``key`` inside single quotes (RFC 9535): JSON escapes, ``'`` escaped, ``"`` not."""
    return json.dumps(key, ensure_ascii=False)[1:-1].replace('\\"', '"').replace("'", "\\'")


def _partial_value(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return {"stringValue": value}
    if isinstance(value, bool):
        return {"boolValue": value}
    if value is None:
        return {"nullValue": "NULL_VALUE"}
    return {"numberValue": value}


def _usage_counts(
    scenario: Scenario, groups: list[tuple[list[dict[str, Any]], bool]]
) -> list[dict[str, Any]] | None:
    """Running ``usageMetadata`` per element: the last one holds the totals."""
    if scenario.usage is None:
        return None
    prompt, output = scenario.usage
    thoughts = 5 * len(scenario.reasoning) if scenario.reasoning else None
    answers = sum(1 for _, thought in groups if not thought)
    out: list[dict[str, Any]] = []
    seen = 0
    for _, thought in groups:
        usage: dict[str, Any] = {"promptTokenCount": prompt}
        candidates = 0
        if not thought:
            seen += 1
            candidates = output * seen // max(answers, 1)
            usage["candidatesTokenCount"] = candidates
        usage["totalTokenCount"] = prompt + candidates + (thoughts or 0)
        usage["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": prompt}]
        if thoughts is not None:
            usage["thoughtsTokenCount"] = thoughts
        usage["serviceTier"] = "standard"
        out.append(usage)
    return out


def _with_unknown(events: list[Event]) -> list[Event]:
    """Unknown fields at the top and in the candidate, and an unknown part kind, up front."""
    first = events[0]
    data = dict(first.data)
    candidate = dict(data["candidates"][0])
    content = dict(candidate["content"])
    content["parts"] = [{"emulatorPart": {"nested": True}}, *content["parts"]]
    candidate["content"] = content
    candidate["emulatorCandidateField"] = "ignore me"
    data["candidates"] = [candidate]
    data["emulatorUnknown"] = {"nested": [1, 2]}
    return [Event(data, content=first.content, terminal=first.terminal), *events[1:]]

"""The multi-turn rules: each judges every request body of one conversation run.

    request_valid      the emulator accepted every request (no 400: the provider's rules hold)
                       and the run took one request per turn, ending without an error
    history_roundtrip  what the model said (text, tool calls with their ids and arguments,
                       reasoning with its signature, encrypted content and item id) and every
                       tool result (a failed one as an error) come back in each later request
    settings_sent      every request carries the system prompt, the stop sequences, the
                       tool_choice and the user's images and documents, in the wire's own form

The bodies are read on the wire, not through rillet's request models: a view per wire picks the
model's turns, the tool results and the settings out of the JSON, and the checks look for the
values there, so a builder that drops or moves one is caught whatever it believes it sent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rillet.conformance.cases import ID_WIRES
from rillet.conformance.conversation import TOOL_FAILURE, Conversation
from rillet.conformance.observation import Violation
from rillet.emulator import Scenario, carries_reasoning

__all__ = ["HISTORY_RULES", "SentRequest", "judge"]

HISTORY_RULES: dict[str, str] = {
    "request_valid": "the emulator accepted every request of every turn (no 400) and the run "
    "took one request per turn",
    "history_roundtrip": "what the model said (text, tool calls with ids and arguments, "
    "reasoning with its signature and ids) and each tool result come back in every later request",
    "settings_sent": "every request carries the system prompt, stop sequences, tool_choice and "
    "the user's images and documents",
}
"""Rule name -> what it requires, in the order they run."""

_REASONING_ID = re.compile(rb'"id":\s*"(rs_[^"]+)"')


@dataclass(frozen=True)
class SentRequest:
    """One request of the run, as the emulator received and answered it."""

    body: Any
    status: int
    reply: bytes


def judge(
    wire: str,
    conversation: Conversation,
    requests: Sequence[SentRequest],
    error: BaseException | None,
) -> list[Violation]:
    """Every violation of the three rules for one run on ``wire``."""
    return [
        *_request_valid(conversation, requests, error),
        *_history_roundtrip(wire, conversation, requests),
        *_settings_sent(wire, conversation, requests),
    ]


def _request_valid(
    conversation: Conversation, requests: Sequence[SentRequest], error: BaseException | None
) -> Iterator[Violation]:
    for number, request in enumerate(requests):
        if request.status != 200:
            said = request.reply.decode("utf-8", "replace")[:300]
            yield Violation("request_valid", f"request {number + 1} refused: {said}", number)
    if error is not None:
        yield Violation("request_valid", f"the run raised {type(error).__name__}: {error}")
    if len(requests) != len(conversation.turns):
        yield Violation(
            "request_valid",
            "one request per turn",
            expected=str(len(conversation.turns)),
            got=str(len(requests)),
        )


def _history_roundtrip(
    wire: str, conversation: Conversation, requests: Sequence[SentRequest]
) -> Iterator[Violation]:
    view = _VIEWS[wire]
    for number, request in enumerate(requests[1:], start=1):
        model = view.model_turns(request.body)
        results = view.tool_results(request.body)
        for earlier, turn in enumerate(conversation.turns[:number]):
            where = f"request {number + 1}, turn {earlier + 1}"
            reply = requests[earlier].reply
            for problem in _said(wire, turn, model, reply):
                yield Violation("history_roundtrip", f"{where}: {problem}", number)
            for problem in _answered(wire, turn, results, conversation.failing):
                yield Violation("history_roundtrip", f"{where}: {problem}", number)


def _said(wire: str, turn: Scenario, model: list[Any], reply: bytes) -> Iterator[str]:
    strings = set(_strings(model))
    if turn.text and turn.all_text not in strings:
        yield f"the model's text {turn.all_text!r} is not replayed"
    for call in turn.tool_calls:
        if call.name not in strings or not _has_arguments(model, call.arguments):
            yield f"the call {call.name}({json.dumps(call.arguments)}) is not replayed"
        if wire in ID_WIRES and call.id is not None and call.id not in strings:
            yield f"the call id {call.id!r} is not replayed"
    if not carries_reasoning(wire):  # OpenAI Chat shows no reasoning to replay
        return
    signature = turn.reasoning_signature
    if signature is not None and signature not in strings:
        yield f"the reasoning signature {signature!r} is not replayed"
    if (
        wire in ("anthropic", "vertex-anthropic")
        and turn.reasoning
        and turn.all_reasoning not in strings
    ):
        yield "the signed thinking text is not replayed as it was"
    responses = wire in ("openai-responses", "azure-responses")
    found = _REASONING_ID.search(reply) if responses else None
    if found is not None and found.group(1).decode() not in strings:
        yield f"the reasoning item id {found.group(1).decode()!r} is not replayed"


def _answered(
    wire: str, turn: Scenario, results: list[Any], failing: frozenset[str]
) -> Iterator[str]:
    strings = list(_strings(results))
    for call in turn.tool_calls:
        key = call.id if wire in ID_WIRES and call.id is not None else call.name
        answers = [result for result in results if key in set(_strings(result))]
        if not answers:
            yield f"no tool result answers {call.name} ({key})"
        elif call.name in failing and not any(TOOL_FAILURE in s for s in _strings(answers)):
            yield f"the failed result of {call.name} does not say why: {TOOL_FAILURE!r}"
    if turn.tool_calls and len(results) < len(turn.tool_calls):
        yield f"{len(turn.tool_calls)} calls, {len(results)} results ({strings[:4]})"


def _settings_sent(
    wire: str, conversation: Conversation, requests: Sequence[SentRequest]
) -> Iterator[Violation]:
    view = _VIEWS[wire]
    fields = conversation.fields_for(wire)
    media = conversation.media_for(wire)
    for number, request in enumerate(requests):
        body = request.body
        where = f"request {number + 1}"
        system = conversation.system
        if system is not None and system not in set(_strings(view.system(body))):
            yield Violation("settings_sent", f"{where}: the system prompt is missing", number)
        stop = fields.get("stop")
        if stop is not None and view.stop(body) != list(stop):
            yield Violation(
                "settings_sent",
                f"{where}: stop sequences",
                number,
                expected=json.dumps(list(stop)),
                got=json.dumps(view.stop(body)),
            )
        choice = fields.get("tool_choice")
        if choice is not None and not _contains(view.tool_choice(body), view.choice_for(choice)):
            yield Violation(
                "settings_sent",
                f"{where}: tool_choice {choice!r}",
                number,
                expected=json.dumps(view.choice_for(choice)),
                got=json.dumps(view.tool_choice(body)),
            )
        sent = view.media(body)
        strings = list(_strings(sent))
        for part in media:
            value = part.get("data") or part.get("url") or ""
            if len(sent) != len(media) or not any(value in s for s in strings):
                yield Violation(
                    "settings_sent",
                    f"{where}: the {part.get('type')} part {value[:40]!r} is missing",
                    number,
                    expected=f"{len(media)} media parts",
                    got=f"{len(sent)}",
                )


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _has_arguments(model: Any, arguments: Mapping[str, Any]) -> bool:
    """The arguments as an object, or as JSON text (OpenAI sends arguments as a string)."""
    if isinstance(model, Mapping):
        if model == arguments:
            return True
        return any(_has_arguments(item, arguments) for item in model.values())
    if isinstance(model, list):
        return any(_has_arguments(item, arguments) for item in model)
    if isinstance(model, str) and model.startswith("{"):
        try:
            return bool(json.loads(model) == arguments)
        except ValueError:
            return False
    return False


def _contains(got: Any, expected: Any) -> bool:
    """``expected`` as ``got`` or within it (an object: key by key; other keys may be there)."""
    if isinstance(expected, Mapping):
        return isinstance(got, Mapping) and all(
            _contains(got.get(key), value) for key, value in expected.items()
        )
    return bool(got == expected)


def _items(body: Any, key: str) -> list[Any]:
    value = body.get(key) if isinstance(body, Mapping) else None
    return value if isinstance(value, list) else []


def _field(value: Any, *path: str) -> Any:
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def _with(items: list[Any], predicate: Callable[[Mapping[str, Any]], bool]) -> list[Any]:
    return [item for item in items if isinstance(item, Mapping) and predicate(item)]


def _blocks(messages: list[Any], role: str, key: str = "content") -> list[Any]:
    """The content blocks of every ``role`` message."""
    return [
        block
        for message in _with(messages, lambda m: m.get("role") == role)
        for block in (message.get(key) if isinstance(message.get(key), list) else [])
    ]


@dataclass(frozen=True)
class _View:
    """Where one wire keeps each thing the rules look at."""

    model_turns: Callable[[Any], list[Any]]
    tool_results: Callable[[Any], list[Any]]
    system: Callable[[Any], Any]
    stop: Callable[[Any], Any]
    tool_choice: Callable[[Any], Any]
    choice_for: Callable[[str], Any]
    media: Callable[[Any], list[Any]]


def _chat_choice(choice: str) -> Any:
    if choice in ("auto", "none", "required"):
        return choice
    return {"type": "function", "function": {"name": choice}}


def _responses_choice(choice: str) -> Any:
    return (
        choice if choice in ("auto", "none", "required") else {"type": "function", "name": choice}
    )


def _anthropic_choice(choice: str) -> Any:
    kinds = {"auto": "auto", "none": "none", "required": "any"}
    return {"type": kinds[choice]} if choice in kinds else {"type": "tool", "name": choice}


def _gemini_choice(choice: str) -> Any:
    modes = {"auto": "AUTO", "none": "NONE", "required": "ANY"}
    if choice in modes:
        return {"functionCallingConfig": {"mode": modes[choice]}}
    return {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": [choice]}}


def _bedrock_choice(choice: str) -> Any:
    kinds = {"auto": "auto", "required": "any"}  # Converse has no "none": tools are left out
    return {kinds[choice]: {}} if choice in kinds else {"tool": {"name": choice}}


def _gemini_parts(body: Any, role: str, key: str | None = None) -> list[Any]:
    parts = _blocks(_items(body, "contents"), role, "parts")
    return parts if key is None else _with(parts, lambda p: key in p)


_CHAT = _View(
    model_turns=lambda b: _with(_items(b, "messages"), lambda m: m.get("role") == "assistant"),
    tool_results=lambda b: _with(_items(b, "messages"), lambda m: m.get("role") == "tool"),
    system=lambda b: _with(
        _items(b, "messages"), lambda m: m.get("role") in ("system", "developer")
    ),
    stop=lambda b: _field(b, "stop"),
    tool_choice=lambda b: _field(b, "tool_choice"),
    choice_for=_chat_choice,
    media=lambda b: _with(
        _blocks(_items(b, "messages"), "user"), lambda p: p.get("type") in ("image_url", "file")
    ),
)
_RESPONSES_MODEL = ("function_call", "reasoning")
_RESPONSES = _View(
    model_turns=lambda b: _with(
        _items(b, "input"),
        lambda i: i.get("type") in _RESPONSES_MODEL or i.get("role") == "assistant",
    ),
    tool_results=lambda b: _with(
        _items(b, "input"), lambda i: i.get("type") == "function_call_output"
    ),
    system=lambda b: [
        _field(b, "instructions"),
        _with(_items(b, "input"), lambda i: i.get("role") in ("system", "developer")),
    ],
    stop=lambda b: None,  # Responses has no stop sequences
    tool_choice=lambda b: _field(b, "tool_choice"),
    choice_for=_responses_choice,
    media=lambda b: _with(
        _blocks(_items(b, "input"), "user"),
        lambda p: p.get("type") in ("input_image", "input_file"),
    ),
)
_ANTHROPIC = _View(
    model_turns=lambda b: _with(_items(b, "messages"), lambda m: m.get("role") == "assistant"),
    tool_results=lambda b: _with(
        _blocks(_items(b, "messages"), "user"), lambda p: p.get("type") == "tool_result"
    ),
    system=lambda b: _field(b, "system"),
    stop=lambda b: _field(b, "stop_sequences"),
    tool_choice=lambda b: _field(b, "tool_choice"),
    choice_for=_anthropic_choice,
    media=lambda b: _with(
        _blocks(_items(b, "messages"), "user"), lambda p: p.get("type") in ("image", "document")
    ),
)
_GEMINI = _View(
    model_turns=lambda b: _gemini_parts(b, "model"),
    tool_results=lambda b: [
        *_gemini_parts(b, "user", "functionResponse"),
        *_gemini_parts(b, "function", "functionResponse"),
    ],
    system=lambda b: _field(b, "systemInstruction"),
    stop=lambda b: _field(b, "generationConfig", "stopSequences"),
    tool_choice=lambda b: _field(b, "toolConfig"),
    choice_for=_gemini_choice,
    media=lambda b: _with(_gemini_parts(b, "user"), lambda p: "inlineData" in p or "fileData" in p),
)
_BEDROCK = _View(
    model_turns=lambda b: _with(_items(b, "messages"), lambda m: m.get("role") == "assistant"),
    tool_results=lambda b: _with(
        _blocks(_items(b, "messages"), "user"), lambda p: "toolResult" in p
    ),
    system=lambda b: _field(b, "system"),
    stop=lambda b: _field(b, "inferenceConfig", "stopSequences"),
    tool_choice=lambda b: _field(b, "toolConfig", "toolChoice"),
    choice_for=_bedrock_choice,
    media=lambda b: _with(
        _blocks(_items(b, "messages"), "user"), lambda p: "image" in p or "document" in p
    ),
)
_VIEWS: dict[str, _View] = {
    "openai": _CHAT,
    "openai-responses": _RESPONSES,
    "anthropic": _ANTHROPIC,
    "gemini": _GEMINI,
    "gemini-json": _GEMINI,
    "vertex": _GEMINI,
    "vertex-anthropic": _ANTHROPIC,
    "azure": _CHAT,
    "azure-responses": _RESPONSES,
    "bedrock": _BEDROCK,
}

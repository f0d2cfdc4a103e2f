"""The provider wire schemas accept every recorded real stream; the models generated from them too.

The real streams live outside the repository, in the folder named by ``RILLET_REAL_STREAMS``
(default ``<repo>/../shared/real-streams``). Without them the tests skip, or fail if ``CI=true``.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

import pytest
from jsonschema import Draft202012Validator
from pydantic import BaseModel
from referencing import Registry, Resource

_REPO = Path(__file__).resolve().parents[1]
_SCHEMAS = _REPO / "schema" / "providers"
# api of the real-stream index -> (schema file stem, root model class)
_APIS = {
    "openai_chat": ("openai_chat", "ChatCompletionChunk"),
    "openai_responses": ("openai_responses", "ResponseStreamEvent"),
    "anthropic": ("anthropic", "MessageStreamEvent"),
    "gemini_json": ("gemini", "GenerateContentResponse"),
}


def _missing(what: str) -> NoReturn:
    """Fail on CI, where everything must be there; skip elsewhere."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} not found")
    pytest.skip(f"{what} not found")


def _streams_dir() -> Path:
    if folder := os.environ.get("RILLET_REAL_STREAMS"):
        return Path(folder)
    return _REPO.parent / "shared" / "real-streams"


def _index() -> list[dict[str, Any]]:
    index = _streams_dir() / "index.json"
    return json.loads(index.read_text(encoding="utf-8")) if index.is_file() else []


_STREAMS = [pytest.param(entry, id=entry["id"]) for entry in _index()] or [
    pytest.param(None, id="no-real-streams")
]


def _sse_events(text: str) -> Iterator[tuple[str | None, str]]:
    """Yield (event name, data) of each SSE event, framed as WHATWG says; `[DONE]` is left out."""
    for block in text.replace("\r\n", "\n").replace("\r", "\n").split("\n\n"):
        name, data = None, []
        for line in block.split("\n"):
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "data":
                data.append(value)
            elif field == "event":
                name = value
        if data and (joined := "\n".join(data)).strip() != "[DONE]":
            yield name, joined


def _events(entry: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The JSON events of one recorded body."""
    if entry is None:
        _missing(f"real streams ({_streams_dir()})")
    body = (_streams_dir() / entry["body"]).read_text(encoding="utf-8")
    if entry["api"] == "gemini_json":
        elements: list[dict[str, Any]] = json.loads(body)
        return elements
    events = []
    for name, data in _sse_events(body):
        event = json.loads(data)
        assert name is None or name == event.get("type"), f"event: {name} holds {event.get('type')}"
        events.append(event)
    return events


def _closed(node: Any) -> Any:
    """The schema with every `anyOf: [known oneOf, Unknown*]` cut down to the known oneOf."""
    if isinstance(node, list):
        return [_closed(item) for item in node]
    if not isinstance(node, dict):
        return node
    match node.get("anyOf"):
        case [{"oneOf": _} as known, {"$ref": str(ref)}] if "/Unknown" in ref:
            node = {**{k: v for k, v in node.items() if k != "anyOf"}, **known}
    return {key: _closed(value) for key, value in node.items()}


@functools.cache
def _validator(stem: str, definition: str = "", *, closed: bool = False) -> Draft202012Validator:
    """A validator of a schema file's root or of one of its definitions; `closed` knows no Unknown*."""
    registry: Registry[Any] = Registry().with_resources(
        (
            path.name,
            Resource.from_contents((_closed if closed else dict)(json.loads(path.read_text()))),
        )
        for path in _SCHEMAS.glob("*.schema.json")
    )
    pointer = f"#/$defs/{definition}" if definition else ""
    return Draft202012Validator({"$ref": f"{stem}.schema.json{pointer}"}, registry=registry)


def _models(stem: str) -> ModuleType:
    try:
        return importlib.import_module(f"rillet._generated.providers.{stem}_schema")
    except ModuleNotFoundError:
        _missing(f"generated models of {stem} (run datamodel-codegen)")


def _class_names(value: object) -> Iterator[str]:
    """The class names of every model in a validated tree."""
    if isinstance(value, BaseModel):
        yield type(value).__name__
        for name in type(value).model_fields:
            yield from _class_names(getattr(value, name))
    elif isinstance(value, list):
        for item in value:
            yield from _class_names(item)


def _walk(node: object) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


@pytest.mark.parametrize("stem", sorted({stem for stem, _ in _APIS.values()}))
def test_schema_follows_the_conventions(stem: str) -> None:
    schema = json.loads((_SCHEMAS / f"{stem}.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$id"] == f"{stem}.schema.json"
    for node in _walk(schema):
        if node.get("type") == "object" or "properties" in node:
            assert node.get("additionalProperties") is True, node.get("description")
        assert node.get("required", ["type"]) == ["type"], node.get("description")
        assert "enum" not in node, node.get("description")
    # Each Known* definition repeats the known branch of its open union (see its $comment).
    for name, known in schema["$defs"].items():
        if name.startswith("Known"):
            union = schema if name == "KnownEvent" else schema["$defs"][name.removeprefix("Known")]
            assert union["anyOf"][0]["oneOf"] == known["oneOf"], name


@pytest.mark.parametrize("entry", _STREAMS)
def test_real_stream_matches_schema(entry: dict[str, Any] | None) -> None:
    events = _events(entry)
    assert entry is not None
    stem = _APIS[entry["api"]][0]
    # Every real event is of a known type all the way down: the schema without its Unknown*
    # fallbacks describes it, so a wrong known field cannot hide behind a fallback.
    for validator in (_validator(stem), _validator(stem, closed=True)):
        for number, event in enumerate(events):
            errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(event)]
            assert not errors, f"event {number}: {errors}"


@pytest.mark.parametrize("entry", _STREAMS)
def test_generated_models_read_real_stream(entry: dict[str, Any] | None) -> None:
    events = _events(entry)
    assert entry is not None
    stem, root = _APIS[entry["api"]]
    model: type[BaseModel] = getattr(_models(stem), root)
    for number, event in enumerate(events):
        parsed = model.model_validate(event)
        assert parsed.model_dump(mode="json", exclude_unset=True) == event, f"event {number}"
        fallbacks = [name for name in _class_names(parsed) if name.startswith("Unknown")]
        assert not fallbacks, f"event {number} fell back to {fallbacks}"


# (api, event, the part to look at, the class it must get): known types get their own class, even
# with nothing but `type` set; unknown types and fields validate and are kept.
_CLASSES: list[tuple[str, dict[str, Any], Callable[[Any], object], str]] = [
    ("anthropic", {"type": "ping"}, lambda m: m.root, "PingEvent"),
    ("anthropic", {"type": "message_stop"}, lambda m: m.root, "MessageStopEvent"),
    (
        "anthropic",
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}},
        lambda m: m.root.delta,
        "TextDelta",
    ),
    ("anthropic", {"type": "brand_new", "data": {"a": [1]}}, lambda m: m.root, "UnknownEvent"),
    (
        "anthropic",
        {"type": "content_block_delta", "index": 2, "delta": {"type": "future_delta", "x": 1}},
        lambda m: m.root.delta,
        "UnknownContentBlockDelta",
    ),
    (
        "openai_responses",
        {"type": "response.output_item.added", "item": {"type": "function_call", "name": "f"}},
        lambda m: m.root.item,
        "FunctionCallItem",
    ),
    (
        "openai_responses",
        {"type": "response.reasoning_summary_text.delta", "delta": "so", "sequence_number": 5},
        lambda m: m.root,
        "ResponseReasoningSummaryTextDeltaEvent",
    ),
    (
        "openai_responses",
        {"type": "response.web_search_call.searching", "item_id": "ws_1", "sequence_number": 4},
        lambda m: m.root,
        "UnknownEvent",
    ),
    (
        "openai_responses",
        {"type": "response.output_item.done", "item": {"type": "web_search_call", "action": {}}},
        lambda m: m.root.item,
        "UnknownOutputItem",
    ),
    (
        "openai_chat",
        {"choices": [{"delta": {"content": [{"type": "thinking", "thinking": []}]}}]},
        lambda m: m.choices[0].delta.content[0],
        "ThinkingContentPart",
    ),
    (
        "openai_chat",
        {"choices": [{"delta": {"content": [{"type": "audio", "clip": {"id": 1}}]}}], "x": True},
        lambda m: m.choices[0].delta.content[0],
        "UnknownContentPart",
    ),
    (
        "gemini_json",
        {"candidates": [{"content": {"parts": [{"futurePart": {"a": 1}}]}, "finishReason": "NEW"}]},
        lambda m: m.candidates[0].content.parts[0],
        "Part",
    ),
]


@pytest.mark.parametrize(("api", "event", "pick", "expected"), _CLASSES)
def test_event_gets_the_right_class(
    api: str, event: dict[str, Any], pick: Callable[[Any], object], expected: str
) -> None:
    stem, root = _APIS[api]
    assert not list(_validator(stem).iter_errors(event))
    parsed = getattr(_models(stem), root).model_validate(event)
    assert type(pick(parsed)).__name__ == expected
    assert parsed.model_dump(mode="json", exclude_unset=True) == event


@pytest.mark.parametrize(
    ("stem", "definition", "body"),
    [
        ("openai_chat", "ChatCompletionStreamError", {"error": {"message": "Limit", "code": 400}}),
        ("openai_chat", "ChatCompletionStreamError", {"error": {"code": "tool_use_failed"}}),
        ("gemini", "GeminiErrorBody", {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED"}}),
    ],
)
def test_error_bodies(stem: str, definition: str, body: dict[str, Any]) -> None:
    assert not list(_validator(stem, definition).iter_errors(body))
    parsed = getattr(_models(stem), definition).model_validate(body)
    assert parsed.model_dump(mode="json", exclude_unset=True) == body

"""The provider wire schemas accept every recorded real stream; the models generated from them too.

The real streams live outside the repository, in the folder named by ``RILLET_REAL_STREAMS``
(default ``<repo>/../shared/real-streams``). Without them the tests skip, or fail if ``CI=true``.
"""

from __future__ import annotations

import functools
import importlib
import json
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
import real_streams
from jsonschema import Draft202012Validator
from pydantic import BaseModel
from referencing import Registry, Resource

_SCHEMAS = real_streams.REPO / "schema" / "providers"
# api of the real-stream index -> (schema file stem, root model class)
_APIS = {
    "openai_chat": ("openai_chat", "ChatCompletionChunk"),
    "openai_responses": ("openai_responses", "ResponseStreamEvent"),
    "anthropic": ("anthropic", "MessageStreamEvent"),
    "gemini_json": ("gemini", "GenerateContentResponse"),
}


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


def _events(entry: dict[str, Any] | None) -> tuple[str, list[dict[str, Any]]]:
    """The api and the JSON events of one recorded body."""
    body = real_streams.body(entry).decode("utf-8")
    assert entry is not None
    if entry["api"] == "gemini_json":
        return entry["api"], json.loads(body)
    events = []
    for name, data in _sse_events(body):
        event = json.loads(data)
        assert name is None or name == event.get("type"), f"event: {name} holds {event.get('type')}"
        events.append(event)
    return entry["api"], events


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
    schemas = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in _SCHEMAS.glob("*.json")}
    registry: Registry[Any] = Registry().with_resources(
        (name, Resource.from_contents(_closed(schema) if closed else schema))
        for name, schema in schemas.items()
    )
    pointer = f"#/$defs/{definition}" if definition else ""
    return Draft202012Validator({"$ref": f"{stem}.schema.json{pointer}"}, registry=registry)


def _models(stem: str) -> ModuleType:
    try:
        return importlib.import_module(f"rillet._generated.providers.{stem}_schema")
    except ModuleNotFoundError:
        real_streams.missing(f"generated models of {stem}", "run datamodel-codegen")


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
    assert schema["title"] and schema["description"]
    assert all(definition["description"] for definition in schema["$defs"].values())
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


@pytest.mark.parametrize("entry", real_streams.params())
def test_real_stream_matches_schema(entry: dict[str, Any] | None) -> None:
    api, events = _events(entry)
    stem = _APIS[api][0]
    # Every real event is of a known type all the way down: the schema without its Unknown*
    # fallbacks describes it, so a wrong known field cannot hide behind a fallback.
    for validator in (_validator(stem), _validator(stem, closed=True)):
        for number, event in enumerate(events):
            errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(event)]
            assert not errors, f"event {number}: {errors}"


@pytest.mark.parametrize("entry", real_streams.params())
def test_generated_models_read_real_stream(entry: dict[str, Any] | None) -> None:
    api, events = _events(entry)
    stem, root = _APIS[api]
    model: type[BaseModel] = getattr(_models(stem), root)
    for number, event in enumerate(events):
        parsed = model.model_validate(event)
        assert parsed.model_dump(mode="json", exclude_unset=True) == event, f"event {number}"
        fallbacks = [name for name in _class_names(parsed) if name.startswith("Unknown")]
        assert not fallbacks, f"event {number} fell back to {fallbacks}"


# (api, a class the event must give, the event): known types get their own class even with nothing
# but `type` set; unknown types and fields validate and are kept.
_CLASSES: list[tuple[str, str, dict[str, Any]]] = [
    ("anthropic", "PingEvent", {"type": "ping"}),
    ("anthropic", "MessageStopEvent", {"type": "message_stop"}),
    ("anthropic", "TextDelta", {"type": "content_block_delta", "delta": {"type": "text_delta"}}),
    ("anthropic", "UnknownEvent", {"type": "brand_new", "data": {"a": [1]}}),
    (
        "anthropic",
        "UnknownContentBlockDelta",
        {"type": "content_block_delta", "delta": {"type": "x", "y": 1}},
    ),
    (
        "openai_responses",
        "FunctionCallItem",
        {"type": "response.output_item.added", "item": {"type": "function_call"}},
    ),
    (
        "openai_responses",
        "ResponseReasoningSummaryTextDeltaEvent",
        {"type": "response.reasoning_summary_text.delta"},
    ),
    (
        "openai_responses",
        "UnknownEvent",
        {"type": "response.web_search_call.searching", "item_id": "w"},
    ),
    (
        "openai_responses",
        "UnknownOutputItem",
        {"type": "response.output_item.done", "item": {"type": "x", "y": 1}},
    ),
    (
        "openai_chat",
        "ThinkingContentPart",
        {"choices": [{"delta": {"content": [{"type": "thinking"}]}}]},
    ),
    (
        "openai_chat",
        "UnknownContentPart",
        {"choices": [{"delta": {"content": [{"type": "x", "y": 1}]}}]},
    ),
    (
        "gemini_json",
        "Part",
        {"candidates": [{"content": {"parts": [{"newPart": {}}]}, "finishReason": "X"}]},
    ),
]


@pytest.mark.parametrize(("api", "expected", "event"), _CLASSES)
def test_event_gets_the_right_class(api: str, expected: str, event: dict[str, Any]) -> None:
    stem, root = _APIS[api]
    assert not list(_validator(stem).iter_errors(event))
    parsed = getattr(_models(stem), root).model_validate(event)
    names = list(_class_names(parsed))
    assert expected in names
    assert expected.startswith("Unknown") or not any(n.startswith("Unknown") for n in names)
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

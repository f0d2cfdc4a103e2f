"""The protocol's public shape: what users and outside tools rely on."""

from __future__ import annotations

import json
import typing
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, ValidationError
from pydantic import ValidationError as PydanticValidationError

import rillet
from rillet._generated.protocol.stream_chunk_schema import StreamChunk as GeneratedStreamChunk
from rillet.protocol import LLMResponse, StreamChunk, StreamChunkType, parse_chunk

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "schema"


def test_public_names_import_from_the_top_level() -> None:
    for name in (
        "LLMClient",
        "LLMResponse",
        "StreamChunk",
        "StreamChunkType",
        "StreamingLLMResponse",
        "MockAdapter",
        "RilletError",
        "Timeout",
    ):
        assert hasattr(rillet, name), name
    assert set(rillet.__all__) <= set(dir(rillet))


def test_llm_response_has_exactly_the_public_fields() -> None:
    assert set(LLMResponse.model_fields) == {
        "id",
        "model",
        "provider",
        "text",
        "reasoning",
        "reasoning_details",
        "tool_calls",
        "finish_reason",
        "provider_finish_reason",
        "usage",
        "request_id",
        "rate_limit",
        "headers",
    }


def test_stream_chunk_union_matches_the_generated_one() -> None:
    generated = typing.get_args(GeneratedStreamChunk.model_fields["root"].annotation)
    assert set(typing.get_args(StreamChunk)) == set(generated)
    kinds = {cls.model_fields["type"].default for cls in generated}
    assert kinds == {member.value for member in StreamChunkType}


@pytest.mark.parametrize("path", sorted(SCHEMA_DIR.rglob("*.schema.json")), ids=lambda p: p.name)
def test_every_schema_is_valid_draft_2020_12(path: Path) -> None:
    schema = json.loads(path.read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_chunks_validate_against_the_json_schema() -> None:
    from referencing import Registry, Resource

    resources = [
        (p.name, Resource.from_contents(json.loads(p.read_text())))
        for p in (SCHEMA_DIR / "protocol").glob("*.schema.json")
    ]
    registry: Registry = Registry().with_resources(resources)
    validator = Draft202012Validator(
        json.loads((SCHEMA_DIR / "protocol" / "stream_chunk.schema.json").read_text()),
        registry=registry,
    )
    samples: list[dict[str, Any]] = [
        {"type": "start", "id": "r", "model": "m", "provider": "openai"},
        {"type": "content", "text": "hi"},
        {"type": "reasoning", "text": "", "signature": "abc"},
        {"type": "tool_call_start", "index": 0, "id": "c", "name": "f"},
        {"type": "tool_call_chunk", "index": 0, "arguments_delta": '{"a'},
        {"type": "tool_call_end", "index": 0, "arguments": {"a": 1}},
        {"type": "stop", "finish_reason": "length", "provider_finish_reason": "max_tokens"},
        {"type": "error", "code": "rate_limit", "message": "slow down", "retryable": True},
    ]
    for sample in samples:
        validator.validate(sample)
        chunk = parse_chunk(sample)
        assert chunk.type == sample["type"]
        assert parse_chunk(chunk.model_dump_json()) == chunk
        validator.validate(json.loads(chunk.model_dump_json()))
    with pytest.raises(ValidationError):
        validator.validate({"type": "stop", "finish_reason": "done"})
    with pytest.raises(PydanticValidationError):
        parse_chunk({"type": "stop", "finish_reason": "done"})

"""The protocol's public shape: what users and outside tools rely on."""

from __future__ import annotations

import json
import typing
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, ValidationError
from protocol_samples import CHUNKS, schema_kinds
from pydantic import ValidationError as PydanticValidationError

import rillet
from rillet.accumulator import ResponseAccumulator
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
        "refusal",
        "reasoning",
        "reasoning_details",
        "tool_calls",
        "finish_reason",
        "provider_finish_reason",
        "provider_details",
        "usage",
        "request_id",
        "rate_limit",
        "headers",
    }


def test_stream_chunk_is_the_union_of_every_kind_the_schema_lists() -> None:
    kinds = schema_kinds("stream_chunk.schema.json")
    members = typing.get_args(StreamChunk)
    assert {cls.__name__: cls.model_fields["type"].default for cls in members} == kinds
    assert set(kinds.values()) == {member.value for member in StreamChunkType} == set(CHUNKS)


@pytest.mark.parametrize("kind", [member.value for member in StreamChunkType])
def test_every_kind_parses_and_reaches_the_accumulator(kind: str) -> None:
    chunk = parse_chunk(CHUNKS[kind])
    assert isinstance(chunk, StreamChunk) and chunk.type == kind
    assert parse_chunk(json.dumps(CHUNKS[kind])) == chunk
    assert ResponseAccumulator().add(chunk).type == kind


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
    for sample in CHUNKS.values():
        validator.validate(sample)
        chunk = parse_chunk(sample)
        assert chunk.type == sample["type"]
        assert parse_chunk(chunk.model_dump_json()) == chunk
        validator.validate(json.loads(chunk.model_dump_json()))
    with pytest.raises(ValidationError):
        validator.validate({"type": "stop", "finish_reason": "done"})
    with pytest.raises(PydanticValidationError):
        parse_chunk({"type": "stop", "finish_reason": "done"})

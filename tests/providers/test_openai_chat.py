"""The OpenAI Chat stream mapping on hand-written frames (real streams: ``test_real_streams``).

Each frame is validated into the generated TypedDicts: these pin what that must keep doing, a
wrongly typed field is a typed error, never a silently skipped part.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from rillet import MalformedStreamError, StreamChunk
from rillet.protocol import ContentChunk, ErrorChunk, ErrorCode, ReasoningChunk, StopChunk
from rillet.providers.openai_chat._mapper import ChatMapper
from rillet.transport import Frame


def _chunk(delta: dict[str, Any], **fields: Any) -> Frame:
    body = {"id": "chatcmpl-1", "model": "m", "choices": [{"index": 0, "delta": delta}]}
    return Frame(data=json.dumps({**body, **fields}))


def _map(*frames: Frame) -> list[StreamChunk]:
    mapper = ChatMapper("openai")
    return [chunk for frame in frames for chunk in mapper.feed(frame)] + list(mapper.finish())


def test_error_null_beside_a_delta_is_no_error() -> None:
    chunks = _map(_chunk({"content": "hi"}, error=None), Frame(data="[DONE]"))
    assert [c.type for c in chunks] == ["start", "content", "stop"]


@pytest.mark.parametrize(
    ("error", "code", "retryable"),
    [
        ({"message": "slow down", "type": "rate_limit_error"}, ErrorCode.rate_limit, True),
        ({"message": "busy", "code": 503}, ErrorCode.overloaded, True),
        ("upstream failed", ErrorCode.provider, False),
    ],
)
def test_in_stream_error_ends_the_stream_with_the_raw_body(
    error: Any, code: ErrorCode, retryable: bool
) -> None:
    raw = {"error": error if isinstance(error, str) else {**error, "param": None, "extra": 1}}
    chunks = _map(_chunk({"content": "par"}), Frame(data=json.dumps(raw)))
    last = chunks[-1]
    assert isinstance(last, ErrorChunk)
    assert (last.code, last.retryable) == (code, retryable)
    assert last.provider_error == raw  # as sent, fields the schema does not name included


def test_content_as_a_list_of_parts() -> None:
    thinking = {"type": "thinking", "thinking": [{"type": "text", "text": "hmm"}]}  # Mistral
    parts = [thinking, {"type": "text", "text": "ok"}, {"type": "new_kind"}]
    chunks = _map(_chunk({"content": parts}), Frame(data="[DONE]"))
    texts = [c.text for c in chunks if isinstance(c, ContentChunk)]
    assert texts == ["ok"]
    assert [c.text for c in chunks if isinstance(c, ReasoningChunk)] == ["hmm"]
    assert isinstance(chunks[-1], StopChunk)


@pytest.mark.parametrize(
    "delta",
    [{"content": [{"type": "text", "text": 5}]}, {"content": 5}, {"tool_calls": [{"index": "a"}]}],
)
def test_a_wrongly_typed_known_field_is_a_typed_error(delta: dict[str, Any]) -> None:
    with pytest.raises(MalformedStreamError, match="ChatCompletionChunk"):
        ChatMapper("openai").feed(_chunk(delta))

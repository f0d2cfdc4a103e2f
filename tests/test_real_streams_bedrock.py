"""Every recorded real Bedrock ConverseStream response, served from a local server, through the
whole client: transport (the AWS event stream), adapter and accumulator must give what botocore
read from the same bytes, whether the body arrives whole, a byte at a time, or cut at random.

The recordings live outside the repository, in the folder named by
``RILLET_REAL_STREAMS_BEDROCK`` (default ``<repo>/../shared/real-streams-bedrock``); without it
these tests skip.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from jsonschema import Draft202012Validator
from real_streams import REPO, assert_agrees, random_cuts

from rillet import BadRequestError, LLMClient
from rillet._generated.providers import bedrock_schema
from rillet.testing.fault_server import FaultServer, Reply
from rillet.transport import EventStreamDecoder


def _folder() -> Path:
    if folder := os.environ.get("RILLET_REAL_STREAMS_BEDROCK"):
        return Path(folder)
    return REPO.parent / "shared" / "real-streams-bedrock"


def _entries() -> list[dict[str, Any]]:
    index = _folder() / "index.json"
    if not index.is_file():
        return []
    entries: list[dict[str, Any]] = json.loads(index.read_text(encoding="utf-8"))
    return entries


def _params() -> list[Any]:
    found = [pytest.param(e, id=e["id"]) for e in _entries()]
    return found or [pytest.param(None, id="no-real-bedrock-streams")]


def _model(entry: dict[str, Any]) -> str:
    # .../model/{percent-encoded model id}/converse-stream
    return unquote(urlsplit(entry["uri"]).path.split("/")[2])


@pytest.mark.parametrize("entry", _params())
async def test_real_bedrock_stream_through_the_whole_client(entry: dict[str, Any] | None) -> None:
    if entry is None:
        pytest.skip(f"the real Bedrock streams are not in {_folder()}")
    data = (_folder() / entry["body"]).read_bytes()
    modes: list[Any] = ["whole", "drip", random_cuts(data, entry["id"])]
    headers = {}
    if entry["status"] != 200:  # the recording kept no headers; Bedrock sends the type here
        headers["x-amzn-ErrorType"] = "ValidationException:http://internal.amazon.com/coral/"
    responses = []
    async with FaultServer() as server:
        server.script(
            *[
                Reply(
                    status=entry["status"],
                    body=data,
                    content_type=entry["content_type"],
                    headers=headers,
                    chunks=mode,
                )
                for mode in modes
            ]
        )
        async with LLMClient(
            provider="bedrock",
            model=_model(entry),
            api_key="test-key",
            base_url=server.url,
            max_retries=0,
        ) as client:
            for _ in modes:
                if entry["expected_error"]:
                    with pytest.raises(BadRequestError) as caught:
                        await client.call("replay")
                    assert str(caught.value).startswith(entry["expected_error"].split(":")[0])
                    assert caught.value.error_type == "ValidationException"
                    assert not caught.value.retryable
                    continue
                responses.append(await client.call("replay"))
        sent = server.requests[0]
        sent_headers = {name.lower(): value for name, value in sent.headers.items()}
        assert sent.path == f"/model/{_model(entry)}/converse-stream"
        assert sent_headers["authorization"] == "Bearer test-key"
        assert sent_headers["accept"] == "application/vnd.amazon.eventstream"
    for response in responses:
        assert_agrees(response, entry["expected"])
    without_ids: Any = {"tool_calls": {"__all__": {"id"}}, "headers": True}
    dumps = [r.model_dump(exclude=without_ids) for r in responses]
    assert all(d == dumps[0] for d in dumps[1:])


_EVENT_DEFINITIONS = {
    "messageStart": "MessageStartEvent",
    "contentBlockStart": "ContentBlockStartEvent",
    "contentBlockDelta": "ContentBlockDeltaEvent",
    "contentBlockStop": "ContentBlockStopEvent",
    "messageStop": "MessageStopEvent",
    "metadata": "MetadataEvent",
}


@pytest.mark.parametrize("entry", _params())
def test_real_bedrock_events_match_the_schema(entry: dict[str, Any] | None) -> None:
    """Each real payload fits the schema of its event type, closed: no field the mapper reads
    is misnamed (``p``, the padding, is the one field left out of the schema)."""
    if entry is None:
        pytest.skip(f"the real Bedrock streams are not in {_folder()}")
    if entry["status"] != 200:
        return
    schema = json.loads((REPO / "schema/providers/bedrock.schema.json").read_text("utf-8"))
    closed = json.loads(
        json.dumps(schema).replace('"additionalProperties": true', '"additionalProperties": false')
    )
    decoder = EventStreamDecoder()
    frames = decoder.feed((_folder() / entry["body"]).read_bytes()) + decoder.flush()
    for frame in frames:
        payload = json.loads(frame.data)
        assert payload.pop("p")
        wrapped = {frame.event: payload}
        for validator in (Draft202012Validator(schema), Draft202012Validator(closed)):
            assert [e.message for e in validator.iter_errors(wrapped)] == [], frame.event
        assert frame.event in _EVENT_DEFINITIONS
        model = getattr(bedrock_schema, _EVENT_DEFINITIONS[frame.event])
        model.model_validate(payload)

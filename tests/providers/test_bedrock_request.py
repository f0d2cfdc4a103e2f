"""The Bedrock request body (ConverseStream) built from the neutral request, and the adapter's
URL, region and authorization, against a local server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from rillet import (
    ConfigurationError,
    LLMClient,
    LLMRequest,
    MalformedStreamError,
    RateLimitError,
)
from rillet._generated.providers.bedrock_request_schema import ConverseStreamRequest
from rillet.emulator.render._eventstream import EVENT_STREAM_TYPE, event_message, exception_message
from rillet.providers.bedrock import AWSCredentials, BedrockAdapter
from rillet.providers.bedrock._request import build_body
from rillet.testing.fault_server import FaultServer, Reply
from rillet.transport import Frame

_SCHEMA = Draft202012Validator(
    json.loads(
        (Path(__file__).parents[2] / "schema/providers/bedrock_request.schema.json").read_text(
            encoding="utf-8"
        )
    )
)


def _body(model: str = "anthropic.claude-sonnet-4-v1:0", **fields: Any) -> dict[str, Any]:
    """The body built, once it fits the request schema and its generated model (the official
    SDK's check is the request oracle's, in tests/conftest.py)."""
    request = LLMRequest.model_validate({"model": model, **fields})
    body = json.loads(json.dumps(build_body(request)))
    assert [e.message for e in _SCHEMA.iter_errors(body)] == []
    parsed = ConverseStreamRequest.model_validate(body)
    assert parsed.model_dump(mode="json", by_alias=True, exclude_unset=True) == body
    return dict(body)


def test_a_conversation_with_system_tools_and_settings() -> None:
    body = _body(
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Weather?"},
            {
                "role": "assistant",
                "content": "Looking.",
                "tool_calls": [{"id": "t1", "name": "weather", "arguments": {"city": "Oslo"}}],
            },
            {"role": "tool", "tool_call_id": "t1", "content": '{"temp": 3}'},
            {"role": "tool", "tool_call_id": "t2", "content": "boom", "is_error": True},
            {"role": "user", "content": "And tomorrow?"},
        ],
        tools=[{"name": "weather", "description": "Weather.", "parameters": {"type": "object"}}],
        tool_choice="weather",
        max_tokens=100,
        temperature=0.5,
        top_p=0.9,
        stop=["END"],
    )
    assert body == {
        "messages": [
            {"role": "user", "content": [{"text": "Weather?"}]},
            {
                "role": "assistant",
                "content": [
                    {"text": "Looking."},
                    {"toolUse": {"toolUseId": "t1", "name": "weather", "input": {"city": "Oslo"}}},
                ],
            },
            {
                "role": "user",  # results and the next user message: one turn
                "content": [
                    {"toolResult": {"toolUseId": "t1", "content": [{"json": {"temp": 3}}]}},
                    {
                        "toolResult": {
                            "toolUseId": "t2",
                            "content": [{"text": "boom"}],
                            "status": "error",
                        }
                    },
                    {"text": "And tomorrow?"},
                ],
            },
        ],
        "system": [{"text": "Be brief."}],
        "inferenceConfig": {
            "maxTokens": 100,
            "temperature": 0.5,
            "topP": 0.9,
            "stopSequences": ["END"],
        },
        "toolConfig": {
            "tools": [
                {
                    "toolSpec": {
                        "name": "weather",
                        "inputSchema": {"json": {"type": "object"}},
                        "description": "Weather.",
                    }
                }
            ],
            "toolChoice": {"tool": {"name": "weather"}},
        },
    }


@pytest.mark.parametrize(
    ("choice", "wire"), [("auto", {"auto": {}}), ("required", {"any": {}}), ("any", {"any": {}})]
)
def test_tool_choices(choice: str, wire: dict[str, Any]) -> None:
    tools = [{"name": "f", "parameters": {}}]
    body = _body(messages=[{"role": "user", "content": "x"}], tools=tools, tool_choice=choice)
    assert body["toolConfig"]["toolChoice"] == wire


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"tools": [{"name": "f"}], "tool_choice": "none"}, "tool_choice='none'"),
        ({"tool_choice": "f"}, "without tools"),
        ({"reasoning": {"budget_tokens": 2000, "adaptive": True}}, "adaptive"),
        ({"reasoning": {"effort": "high"}}, "reasoning.effort"),
        ({"reasoning": {"include_thoughts": False}}, "include_thoughts"),
    ],
)
def test_settings_converse_cannot_express_are_refused(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        _body(messages=[{"role": "user", "content": "x"}], **fields)


def test_reasoning_is_claude_thinking_with_room_for_the_answer() -> None:
    user = [{"role": "user", "content": "x"}]
    body = _body(messages=user, reasoning={"budget_tokens": 2000}, max_tokens=1000)
    assert body["additionalModelRequestFields"] == {
        "thinking": {"type": "enabled", "budget_tokens": 2000}
    }
    assert body["inferenceConfig"] == {"maxTokens": 3000}
    assert _body(messages=user, reasoning={})["inferenceConfig"] == {"maxTokens": 1024 + 4096}
    assert _body(messages=user, reasoning={}, max_tokens=9000)["inferenceConfig"] == {
        "maxTokens": 9000
    }
    adaptive = _body("us.anthropic.claude-opus-4-7", messages=user, reasoning={"adaptive": True})
    assert adaptive["additionalModelRequestFields"] == {"thinking": {"type": "adaptive"}}
    with pytest.raises(ConfigurationError, match="only Claude models"):
        _body("amazon.nova-micro-v1:0", messages=user, reasoning={"budget_tokens": 2000})


def test_reasoning_is_replayed_signed_or_redacted_and_only_from_bedrock() -> None:
    reasoning = [
        {"text": "Signed.", "signature": "sig", "provider": "bedrock"},
        {"encrypted_content": "ZW5j", "provider": "bedrock"},
        {"text": "Unsigned.", "provider": "bedrock"},
        {"text": "Other's.", "signature": "x", "provider": "anthropic"},
    ]
    body = _body(messages=[{"role": "assistant", "content": "A", "reasoning": reasoning}])
    assert body["messages"] == [
        {
            "role": "assistant",
            "content": [
                {"reasoningContent": {"reasoningText": {"text": "Signed.", "signature": "sig"}}},
                {"reasoningContent": {"redactedContent": "ZW5j"}},
                {"text": "A"},
            ],
        }
    ]
    assert _body(messages=[{"role": "assistant", "content": ""}])["messages"] == []


def test_images_and_documents_go_as_bytes() -> None:
    parts = [
        {"type": "text", "text": "Look"},
        {"type": "image", "data": "iVBO", "media_type": "image/png"},
        {"type": "image", "url": "data:image/jpeg;base64,/9j/"},
        {"type": "document", "data": "JVBE", "filename": "report 2026 (final).v2.pdf"},
        {"type": "document", "data": "aGk=", "media_type": "text/plain", "filename": "***.txt"},
    ]
    (message,) = _body(messages=[{"role": "user", "content": parts}])["messages"]
    assert message["content"] == [
        {"text": "Look"},
        {"image": {"format": "png", "source": {"bytes": "iVBO"}}},
        {"image": {"format": "jpeg", "source": {"bytes": "/9j/"}}},
        {
            "document": {
                "format": "pdf",
                "name": "report 2026 (final) v2",
                "source": {"bytes": "JVBE"},
            }
        },
        {"document": {"format": "txt", "name": "document-5", "source": {"bytes": "aGk="}}},
    ]


@pytest.mark.parametrize(
    ("part", "message"),
    [
        ({"type": "image", "url": "https://example.com/a.png"}, "an image URL"),
        ({"type": "image", "data": "x", "media_type": "image/tiff"}, "image/tiff image"),
        ({"type": "document", "url": "https://example.com/a.pdf"}, "a document URL"),
        ({"type": "document", "data": "x", "media_type": "application/zip"}, "application/zip"),
    ],
)
def test_parts_converse_cannot_take_are_refused(part: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        _body(messages=[{"role": "user", "content": [part]}])


# -- the adapter ---------------------------------------------------------------------------------


def test_the_endpoint_follows_the_region_and_encodes_the_model_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    adapter = BedrockAdapter(api_key="k")
    arn = "arn:aws:bedrock:eu-west-3:123:inference-profile/eu.anthropic.claude-v1:0"
    request = LLMRequest.model_validate({"model": arn, "messages": []})
    assert adapter.url(request) == (
        "https://bedrock-runtime.eu-west-3.amazonaws.com/model/"
        "arn%3Aaws%3Abedrock%3Aeu-west-3%3A123%3Ainference-profile%2Feu.anthropic.claude-v1%3A0"
        "/converse-stream"
    )
    assert "region='eu-west-3'" in repr(adapter)
    assert BedrockAdapter(api_key="k", region="us-east-2").base_url.endswith(
        "us-east-2.amazonaws.com"
    )


def test_no_region_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    with pytest.raises(ConfigurationError, match="no AWS region"):
        BedrockAdapter(api_key="k")
    # a base_url of one's own and a bearer key need none
    assert BedrockAdapter(api_key="k", base_url="http://localhost:1").region is None
    with pytest.raises(ConfigurationError, match="no AWS region"):
        BedrockAdapter(
            base_url="http://localhost:1", credentials=AWSCredentials("AKIDEXAMPLE", "s")
        )


def test_an_unknown_option_names_the_ones_accepted() -> None:
    with pytest.raises(ConfigurationError, match=r"credentials, .*profile, region"):
        LLMClient(provider="bedrock", model="m", options={"regoin": "x"})


async def _served(reply: Reply, **options: Any) -> tuple[Any, FaultServer]:
    async with FaultServer() as server:
        server.script(reply)
        async with LLMClient(
            provider="bedrock",
            model="amazon.nova-micro-v1:0",
            base_url=server.url,
            max_retries=0,
            **options,
        ) as client:
            try:
                return await client.call("Hi"), server
            except Exception as error:  # the caller looks at it
                return error, server


_OK = b"".join(
    [
        event_message("messageStart", {"role": "assistant"}),
        event_message("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hi"}}),
        event_message("messageStop", {"stopReason": "end_turn"}),
        event_message("metadata", {"usage": {"inputTokens": 1, "outputTokens": 1}}),
    ]
)


async def test_a_sigv4_signed_request_carries_the_session_token_and_no_secret() -> None:
    credentials = AWSCredentials("AKIDEXAMPLE", "secret-key-value", "session-token-value")
    response, server = await _served(
        Reply(body=_OK, content_type=EVENT_STREAM_TYPE),
        options={"region": "us-west-2", "credentials": credentials},
    )
    assert response.text == "Hi"
    (sent,) = server.requests
    headers = {name.lower(): value for name, value in sent.headers.items()}
    assert (
        headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
        and "/us-west-2/bedrock/aws4_request" in headers["authorization"]
    )
    assert headers["x-amz-security-token"] == "session-token-value"
    assert "secret-key-value" not in json.dumps(headers)
    assert sent.path == "/model/amazon.nova-micro-v1:0/converse-stream"
    assert json.loads(sent.body) == {"messages": [{"role": "user", "content": [{"text": "Hi"}]}]}


async def test_an_exception_inside_a_200_is_the_typed_error_with_the_partial_response() -> None:
    body = b"".join(
        [
            event_message("messageStart", {"role": "assistant"}),
            event_message("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hi"}}),
            exception_message("throttlingException", "Too many tokens, please wait."),
        ]
    )
    error, _ = await _served(Reply(body=body, content_type=EVENT_STREAM_TYPE), api_key="k")

    assert isinstance(error, RateLimitError)
    assert error.retryable and error.error_type == "throttlingException"
    assert error.partial is not None and error.partial.text == "Hi"


@pytest.mark.parametrize(
    ("header", "status", "name", "retryable"),
    [
        ("ThrottlingException:http://internal.amazon.com/coral/", 429, "RateLimitError", True),
        ("AccessDeniedException", 403, "PermissionDeniedError", False),
        ("InvalidSignatureException", 403, "AuthenticationError", False),
        ("ResourceNotFoundException", 404, "NotFoundError", False),
        ("ServiceUnavailableException", 503, "OverloadedError", True),
        ("ModelTimeoutException", 408, "InternalServerError", True),
        ("ServiceQuotaExceededException", 400, "RateLimitError", False),
    ],
)
async def test_http_errors_are_classified_by_the_x_amzn_error_type_header(
    header: str, status: int, name: str, retryable: bool
) -> None:
    reply = Reply(
        status=status,
        body=b'{"message":"nope"}',
        content_type="application/json",
        headers={"x-amzn-ErrorType": header},
    )
    error, _ = await _served(reply, api_key="k")
    assert type(error).__name__ == name
    assert error.retryable is retryable
    assert error.error_type == header.partition(":")[0]
    assert str(error).endswith(": nope")


async def test_a_corrupt_frame_is_a_malformed_stream_with_the_partial_response() -> None:
    good = event_message("messageStart", {"role": "assistant"}) + event_message(
        "contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hi"}}
    )
    bad = bytearray(event_message("messageStop", {"stopReason": "end_turn"}))
    bad[-1] ^= 1
    error, _ = await _served(
        Reply(body=good + bytes(bad), content_type=EVENT_STREAM_TYPE), api_key="k"
    )

    assert isinstance(error, MalformedStreamError)
    assert "CRC" in str(error)
    assert [frame.event for frame in error.frames if isinstance(frame, Frame)] == [
        "messageStart",
        "contentBlockDelta",
    ]
    assert len(error.frames) == 2
    assert error.partial is not None and error.partial.text == "Hi"

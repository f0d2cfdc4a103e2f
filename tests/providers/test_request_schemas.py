"""The request schemas (schema/providers/*_request.schema.json) and the bodies the adapters send.

Every body built for a set of representative requests, and for the ``provider_options`` users
commonly send, validates against its schema and its generated pydantic model; a misspelt key
where the schema is closed is refused by both, and a field or kind the provider adds often is
let through where the schema is open.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from pydantic import BaseModel, ValidationError

from rillet import LLMRequest
from rillet._generated.providers.anthropic_request_schema import MessageCreateRequest
from rillet._generated.providers.gemini_request_schema import GenerateContentRequest
from rillet._generated.providers.openai_chat_request_schema import ChatCompletionRequest
from rillet._generated.providers.openai_responses_request_schema import ResponseCreateRequest
from rillet.providers._http_adapter import HTTPAdapter
from rillet.providers.anthropic import AnthropicAdapter
from rillet.providers.gemini import GeminiAdapter
from rillet.providers.openai_chat import OpenAIChatAdapter
from rillet.providers.openai_responses import OpenAIResponsesAdapter

_SCHEMAS = Path(__file__).parents[2] / "schema" / "providers"

# provider -> (adapter, schema file stem, generated model)
_PROVIDERS: dict[str, tuple[HTTPAdapter, str, type[BaseModel]]] = {
    "openai": (OpenAIChatAdapter(api_key="k"), "openai_chat_request", ChatCompletionRequest),
    "openai-compatible": (
        OpenAIChatAdapter(api_key="k", base_url="http://localhost:8000/v1"),  # max_tokens
        "openai_chat_request",
        ChatCompletionRequest,
    ),
    "openai-responses": (
        OpenAIResponsesAdapter(api_key="k"),
        "openai_responses_request",
        ResponseCreateRequest,
    ),
    "anthropic": (AnthropicAdapter(api_key="k"), "anthropic_request", MessageCreateRequest),
    "gemini": (GeminiAdapter(api_key="k"), "gemini_request", GenerateContentRequest),
}

_TOOL = {
    "name": "lookup",
    "description": "Look a word up.",
    "parameters": {
        "type": "object",
        "properties": {"word": {"type": "string"}},
        "required": ["word"],
        "additionalProperties": False,
    },
}
_CALLS = [
    {"id": "call_1", "name": "lookup", "arguments": {"word": "rill"}, "signature": "Z3NpZw=="},
    {"id": "call_2", "name": "lookup", "raw_arguments": '{"word": "rillet"}'},
]
_REPLAYED_REASONING = [
    {"text": "Let me think.", "signature": "a-sig", "provider": "anthropic"},
    {"encrypted_content": "a-redacted", "provider": "anthropic"},
    {"id": "rs_1", "encrypted_content": "o-enc", "provider": "openai-responses"},
    {"text": "thought", "signature": "Z3NpZy10ZXh0", "provider": "gemini"},
]

# name -> (the neutral request's fields, the providers it is for; None: all)
_CASES: dict[str, tuple[dict[str, Any], frozenset[str] | None]] = {
    "text": ({"messages": [{"role": "user", "content": "Hello"}]}, None),
    "system": (
        {
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Hello"},
                {"role": "assistant", "content": "Hi."},
                {"role": "system", "content": "Answer in French."},
                {"role": "user", "content": "Again"},
            ]
        },
        None,
    ),
    "images": (
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "Compare these."},
                        {"type": "image", "url": "https://example.com/a.png"},
                        {"type": "image", "data": "iVBORw0KGgo=", "media_type": "image/png"},
                        {"type": "image", "url": "data:image/jpeg;base64,/9j/4AAQ"},
                    ],
                }
            ]
        },
        None,
    ),
    "documents": (
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "Summarize."},
                        {"type": "document", "data": "JVBERi0xLjQ=", "filename": "r.pdf"},
                    ],
                }
            ]
        },
        None,
    ),
    "document_by_url": (
        {
            "messages": [
                {
                    "role": "user",
                    "content": [{"type": "document", "url": "https://example.com/r.pdf"}],
                }
            ]
        },
        frozenset({"openai-responses", "anthropic", "gemini"}),  # Chat takes inline files only
    ),
    **{
        f"tool_choice_{choice}": (
            {
                "messages": [{"role": "user", "content": "Define rill."}],
                "tools": [_TOOL],
                "tool_choice": choice,
            },
            None,
        )
        for choice in ("auto", "none", "required", "lookup")
    },
    "tool_results": (
        {
            "messages": [
                {"role": "user", "content": "Define rill and rillet."},
                {"role": "assistant", "content": "Looking up.", "tool_calls": _CALLS},
                {"role": "tool", "tool_call_id": "call_1", "content": '{"meaning": "a brook"}'},
                {
                    "role": "tool",
                    "tool_call_id": "call_2",
                    "content": "lookup failed: timeout",
                    "is_error": True,
                },
                {"role": "user", "content": "Thanks"},
            ],
            "tools": [_TOOL],
        },
        None,
    ),
    "reasoning_replay": (
        {
            "messages": [
                {"role": "user", "content": "Define rill."},
                {"role": "assistant", "reasoning": _REPLAYED_REASONING, "tool_calls": _CALLS[:1]},
                {"role": "tool", "tool_call_id": "call_1", "content": "a brook"},
                {"role": "assistant", "content": "A brook.", "reasoning": _REPLAYED_REASONING},
                {"role": "user", "content": "And rillet?"},
            ],
            "tools": [_TOOL],
            "reasoning": {"effort": "low"},
        },
        None,
    ),
    "reasoning_budget": (
        {"messages": [{"role": "user", "content": "Hi"}], "reasoning": {"budget_tokens": 2048}},
        frozenset({"anthropic", "gemini"}),  # the OpenAI APIs take an effort, not a budget
    ),
    "reasoning_without_thoughts": (
        {
            "messages": [{"role": "user", "content": "Hi"}],
            "reasoning": {"effort": "high", "include_thoughts": False},
        },
        None,
    ),
    "sampling_and_stop": (
        {
            "messages": [{"role": "user", "content": "Count"}],
            "max_tokens": 300,
            "temperature": 0.2,
            "top_p": 0.9,
            "stop": ["\n\n", "END"],
        },
        frozenset({"openai", "openai-compatible", "anthropic", "gemini"}),  # Responses: no stop
    ),
}

# What users commonly send through provider_options, by wire format.
_JSON_SCHEMA = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
_OPTIONS: dict[str, dict[str, Any]] = {
    "openai_chat_request": {
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "count", "schema": _JSON_SCHEMA, "strict": True},
        },
        "parallel_tool_calls": False,
        "seed": 7,
        "logprobs": True,
        "top_logprobs": 2,
        "presence_penalty": 0.5,
        "frequency_penalty": 0.5,
        "logit_bias": {"50256": -100},
        "n": 1,
        "user": "u-1",
        "safety_identifier": "u-1",
        "metadata": {"run": "r1"},
        "prompt_cache_key": "k",
        "service_tier": "flex",
        "store": False,
        "verbosity": "low",
        "reasoning_effort": "minimal",
    },
    "openai_responses_request": {
        "instructions": "Be brief.",
        "text": {
            "format": {"type": "json_schema", "name": "count", "schema": _JSON_SCHEMA},
            "verbosity": "low",
        },
        "reasoning": {"effort": "high", "summary": "auto"},
        "include": ["reasoning.encrypted_content", "web_search_call.action.sources"],
        "tools": [
            {"type": "function", "name": "f", "parameters": _JSON_SCHEMA, "strict": True},
            {"type": "web_search", "search_context_size": "low"},
            {"type": "mcp", "server_label": "docs", "server_url": "https://mcp.example"},
        ],
        "tool_choice": {"type": "allowed_tools", "mode": "auto", "tools": [{"type": "mcp"}]},
        "parallel_tool_calls": False,
        "max_tool_calls": 3,
        "truncation": "auto",
        "metadata": {"run": "r1"},
        "prompt_cache_key": "k",
        "service_tier": "priority",
        "safety_identifier": "u-1",
        "background": False,
    },
    "anthropic_request": {
        "thinking": {"type": "adaptive", "display": "summarized"},
        "output_config": {
            "effort": "high",
            "format": {"type": "json_schema", "schema": _JSON_SCHEMA},
        },
        "metadata": {"user_id": "u-1"},
        "service_tier": "auto",
        "diagnostics": {"previous_message_id": "msg_1"},
        "system": [
            {
                "type": "text",
                "text": "Be brief.",
                "cache_control": {"type": "ephemeral", "ttl": "1h"},
            }
        ],
        "tools": [
            {"name": "f", "input_schema": _JSON_SCHEMA, "cache_control": {"type": "ephemeral"}},
            {"type": "web_search_20250305", "name": "web_search", "max_uses": 3},
            {"type": "code_execution_20250825", "name": "code_execution"},
        ],
        "tool_choice": {"type": "auto", "disable_parallel_tool_use": True},
        "messages": [
            {
                "role": "user",
                "content": [
                    {
                        "type": "document",
                        "source": {
                            "type": "base64",
                            "media_type": "application/pdf",
                            "data": "JVBERi0=",
                        },
                        "title": "Report",
                        "citations": {"enabled": True},
                    },
                    {"type": "document", "source": {"type": "url", "url": "https://x/r.pdf"}},
                    {"type": "text", "text": "Summarize.", "cache_control": {"type": "ephemeral"}},
                ],
            }
        ],
    },
    "gemini_request": {
        "generationConfig": {
            "responseMimeType": "application/json",
            "responseJsonSchema": _JSON_SCHEMA,
            "maxOutputTokens": 500,
            "temperature": 0.3,
            "topK": 40,
            "seed": 7,
            "thinkingConfig": {"thinkingLevel": "high", "includeThoughts": True},
        },
        "safetySettings": [
            {"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"},
            {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "threshold": "OFF"},
        ],
        "systemInstruction": {"parts": [{"text": "Be brief."}]},
        "tools": [
            {"functionDeclarations": [{"name": "f", "parametersJsonSchema": _JSON_SCHEMA}]},
            {"googleSearch": {}},
            {"codeExecution": {}},
            {"urlContext": {}},
        ],
        "toolConfig": {
            "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["f"]},
        },
        "contents": [
            {
                "role": "user",
                "parts": [
                    {"inlineData": {"mimeType": "application/pdf", "data": "JVBERi0="}},
                    {"fileData": {"mimeType": "application/pdf", "fileUri": "https://x/r.pdf"}},
                    {"text": "Summarize."},
                ],
            }
        ],
    },
}


def _cases() -> list[Any]:
    return [
        pytest.param(provider, fields, id=f"{provider}-{name}")
        for name, (fields, only) in _CASES.items()
        for provider in _PROVIDERS
        if only is None or provider in only
    ]


def _sent(provider: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The JSON body the provider's adapter sends for ``fields``."""
    adapter = _PROVIDERS[provider][0]
    request = LLMRequest.model_validate({"model": "test-model", **fields})
    sent: dict[str, Any] = json.loads(adapter.encode(request))
    return sent


def _schema(stem: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((_SCHEMAS / f"{stem}.schema.json").read_text("utf-8"))
    return schema


def _check_valid(stem: str, model: type[BaseModel], body: dict[str, Any]) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in _validator(stem).iter_errors(body)]
    assert errors == []
    parsed = model.model_validate_json(json.dumps(body))
    # Nothing was dropped or changed on the way in: every field sent is a field of the model.
    assert parsed.model_dump(mode="json", by_alias=True, exclude_unset=True) == body


_VALIDATORS: dict[str, Draft202012Validator] = {}


def _validator(stem: str) -> Draft202012Validator:
    if stem not in _VALIDATORS:
        _VALIDATORS[stem] = Draft202012Validator(_schema(stem))
    return _VALIDATORS[stem]


@pytest.mark.parametrize(("provider", "fields"), _cases())
def test_every_body_the_adapters_send_validates(provider: str, fields: dict[str, Any]) -> None:
    _, stem, model = _PROVIDERS[provider]
    _check_valid(stem, model, _sent(provider, fields))


@pytest.mark.parametrize("provider", sorted(_PROVIDERS))
def test_common_provider_options_validate(provider: str) -> None:
    _, stem, model = _PROVIDERS[provider]
    fields = {
        "messages": [{"role": "user", "content": "Count"}],
        "provider_options": _OPTIONS[stem],
    }
    body = _sent(provider, fields)
    assert {key: body[key] for key in _OPTIONS[stem]} == _OPTIONS[stem]  # all of them were sent
    _check_valid(stem, model, body)


def test_the_chat_max_tokens_field_follows_the_server() -> None:
    fields = {"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 9}
    assert _sent("openai", fields)["max_completion_tokens"] == 9
    assert _sent("openai-compatible", fields)["max_tokens"] == 9


# provider, where in the body, a valid value to put there, and a misspelt key to add to it
_TYPOS: list[tuple[str, list[str | int], Any, str]] = [
    ("openai", [], {}, "max_token"),
    ("openai", ["stream_options"], {"include_usage": True}, "include_usge"),
    ("openai", ["messages", 0], {"role": "user", "content": "x"}, "contnet"),
    ("openai", ["tools", 0, "function"], {"name": "f"}, "paramters"),
    ("openai-responses", [], {}, "max_output_token"),
    ("openai-responses", ["reasoning"], {}, "efort"),
    ("openai-responses", ["input", 0], {"role": "user", "content": "x"}, "stauts"),
    (
        "openai-responses",
        ["input", 0],
        {"type": "function_call_output", "call_id": "c", "output": "x"},
        "ouput",
    ),
    (
        "openai-responses",
        ["tools", 0],
        {"type": "function", "name": "f", "parameters": {}, "strict": False},
        "descripton",
    ),
    ("anthropic", [], {}, "stop_sequence"),
    ("anthropic", ["thinking"], {"type": "enabled", "budget_tokens": 2048}, "budget_token"),
    ("anthropic", ["messages", 0, "content"], [{"type": "text", "text": "x"}], "txt"),
    ("anthropic", ["tools", 0], {"name": "f", "input_schema": {}}, "descripton"),
    ("anthropic", ["output_config"], {"effort": "high"}, "efort"),
    ("gemini", [], {}, "generationConfg"),
    ("gemini", ["generationConfig"], {}, "maxOutputToken"),
    ("gemini", ["generationConfig", "thinkingConfig"], {}, "thinkingBudgt"),
    ("gemini", ["contents", 0, "parts", 0], {"text": "x"}, "txt"),
    ("gemini", ["tools", 0, "functionDeclarations", 0], {"name": "f"}, "paramters"),
]


def _place(body: dict[str, Any], path: list[str | int], value: Any) -> None:
    """Put ``value`` at ``path`` in ``body`` (objects on the way made as needed); at the top
    level, merge it in."""
    if not path:
        body.update(value)
        return
    target: Any = body
    for step in path[:-1]:
        target = target.setdefault(step, {}) if isinstance(step, str) else target[step]
    target[path[-1]] = value


def _misspelt(value: Any, typo: str) -> Any:
    """``value`` with ``typo`` added to it (to its first item, for a list)."""
    if isinstance(value, list):
        return [_misspelt(value[0], typo), *value[1:]]
    return {**value, typo: 1}


@pytest.mark.parametrize(
    ("provider", "path", "value", "typo"),
    _TYPOS,
    ids=[f"{provider}-{typo}" for provider, _, _, typo in _TYPOS],
)
def test_a_misspelt_key_is_refused(
    provider: str, path: list[str | int], value: Any, typo: str
) -> None:
    _, stem, model = _PROVIDERS[provider]
    body = _sent(provider, {"messages": [{"role": "user", "content": "Hi"}], "tools": [_TOOL]})
    _place(body, path, value)
    _check_valid(stem, model, body)  # spelt right, the same body is valid

    _place(body, path, _misspelt(value, typo))
    assert not _validator(stem).is_valid(body)
    with pytest.raises(ValidationError) as caught:
        model.model_validate_json(json.dumps(body))
    assert any(
        error["type"] == "extra_forbidden" and error["loc"][-1] == typo
        for error in caught.value.errors()
    ), caught.value


# Open where the provider adds fields or kinds often; the kind itself is still checked.
_OPEN = [
    ("openai-responses", "tools", {"type": "web_search", "filters": {"allowed_domains": ["x"]}}),
    ("openai-responses", "input", {"type": "mcp_approval_response", "approve": True, "x": 1}),
    ("anthropic", "tools", {"type": "web_fetch_20250910", "name": "web_fetch", "new_option": 1}),
    ("anthropic", "tools", {"type": "mcp_toolset", "mcp_server_name": "docs"}),
    (
        "gemini",
        "tools",
        {"googleSearch": {"timeRangeFilter": {"startTime": "2026-01-01T00:00:00Z"}}},
    ),
]
_UNKNOWN_KINDS = [
    ("openai-responses", "tools", {"type": "functoin", "name": "f"}),
    ("openai-responses", "input", {"type": "function_cal", "call_id": "c"}),
    ("anthropic", "tools", {"type": "web_search", "name": "web_search"}),  # versionless
    ("gemini", "tools", {"googleSerch": {}}),
]


def _with_item(provider: str, key: str, item: dict[str, Any]) -> tuple[str, type[BaseModel], Any]:
    _, stem, model = _PROVIDERS[provider]
    body = _sent(provider, {"messages": [{"role": "user", "content": "Hi"}], "tools": [_TOOL]})
    body[key] = [*body[key], item]
    return stem, model, body


@pytest.mark.parametrize(("provider", "key", "item"), _OPEN)
def test_open_kinds_keep_new_fields(provider: str, key: str, item: dict[str, Any]) -> None:
    stem, model, body = _with_item(provider, key, item)
    _check_valid(stem, model, body)


@pytest.mark.parametrize(("provider", "key", "item"), _UNKNOWN_KINDS)
def test_an_unknown_kind_is_refused(provider: str, key: str, item: dict[str, Any]) -> None:
    stem, model, body = _with_item(provider, key, item)
    assert not _validator(stem).is_valid(body)
    with pytest.raises(ValidationError):
        model.model_validate_json(json.dumps(body))


@pytest.mark.parametrize("stem", sorted({stem for _, stem, _ in _PROVIDERS.values()}))
def test_request_schema_follows_the_conventions(stem: str) -> None:
    schema = _schema(stem)
    Draft202012Validator.check_schema(schema)
    assert schema["$id"] == f"{stem}.schema.json"
    assert schema["title"] and schema["description"] and schema["$comment"]
    assert all(definition["description"] for definition in schema["$defs"].values())
    nodes = [schema, *schema["$defs"].values()]
    while nodes:
        node = nodes.pop()
        if isinstance(node, dict):
            if node.get("type") == "object" or "properties" in node:
                # Open or closed is a decision, written down at every object (schema/README.md).
                assert "additionalProperties" in node, node.get("description")
            nodes.extend(node.values())
        elif isinstance(node, list):
            nodes.extend(node)
    readme = (_SCHEMAS.parents[1] / "schema" / "README.md").read_text("utf-8")
    assert f"providers/{stem}.schema.json" in readme


def test_responses_replays_a_reasoning_item_only_with_its_id() -> None:
    # The reference requires `id` on a reasoning input item: one without cannot be sent back.
    reasoning = [
        {"id": "rs_1", "encrypted_content": "enc-1", "provider": "openai-responses"},
        {"encrypted_content": "enc-2", "provider": "openai-responses"},
    ]
    fields = {
        "messages": [
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello.", "reasoning": reasoning},
            {"role": "user", "content": "Again"},
        ]
    }
    body = _sent("openai-responses", fields)
    replayed = [item for item in body["input"] if item.get("type") == "reasoning"]
    assert replayed == [
        {"type": "reasoning", "summary": [], "id": "rs_1", "encrypted_content": "enc-1"}
    ]
    _check_valid("openai_responses_request", ResponseCreateRequest, body)

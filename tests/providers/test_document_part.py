"""The neutral ``document`` part: how each provider's body carries a PDF, inline or by URL.

Each built-in adapter turns the same part into its own wire shape (Anthropic ``document``
block, Gemini ``inlineData`` / ``fileData``, Responses ``input_file``, Chat ``file``); a form a
provider cannot take is a ``ConfigurationError`` naming it, before anything is sent.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from rillet import ConfigurationError, LLMRequest
from rillet.protocol import DocumentPart, UserMessage
from rillet.providers._http_adapter import HTTPAdapter
from rillet.providers.anthropic import AnthropicAdapter
from rillet.providers.gemini import GeminiAdapter
from rillet.providers.openai_chat import OpenAIChatAdapter
from rillet.providers.openai_responses import OpenAIResponsesAdapter

_PDF = "JVBERi0xLjQ="
_URL = "https://example.com/report.pdf"


def _user_parts(adapter: HTTPAdapter, *parts: dict[str, Any]) -> Any:
    request = LLMRequest.model_validate(
        {"model": "m", "messages": [{"role": "user", "content": list(parts)}]}
    )
    body = json.loads(adapter.encode(request))
    if isinstance(adapter, GeminiAdapter):
        return body["contents"][0]["parts"]
    if isinstance(adapter, OpenAIResponsesAdapter):
        return body["input"][0]["content"]
    return body["messages"][0]["content"]


def test_a_document_part_defaults_to_a_pdf_and_parses_from_a_message() -> None:
    message = UserMessage.model_validate(
        {"role": "user", "content": [{"type": "document", "url": _URL}]}
    )
    assert message.content == [DocumentPart(type="document", url=_URL)]
    assert isinstance(message.content[0], DocumentPart)
    assert message.content[0].media_type == "application/pdf"


def test_anthropic_sends_a_document_block() -> None:
    parts = _user_parts(
        AnthropicAdapter(api_key="k"),
        {"type": "document", "data": _PDF},
        {"type": "document", "url": _URL},
    )
    assert parts == [
        {
            "type": "document",
            "source": {"type": "base64", "media_type": "application/pdf", "data": _PDF},
        },
        {"type": "document", "source": {"type": "url", "url": _URL}},
    ]


def test_anthropic_refuses_a_document_that_is_not_a_pdf() -> None:
    with pytest.raises(ConfigurationError, match=r"text/csv.*anthropic"):
        _user_parts(
            AnthropicAdapter(api_key="k"),
            {"type": "document", "data": "YSxi", "media_type": "text/csv"},
        )


def test_gemini_sends_inline_data_or_file_data_with_the_media_type() -> None:
    parts = _user_parts(
        GeminiAdapter(api_key="k"),
        {"type": "document", "data": _PDF},
        {"type": "document", "url": _URL},
        {"type": "document", "data": "aGk=", "media_type": "text/plain"},
    )
    assert parts == [
        {"inlineData": {"mimeType": "application/pdf", "data": _PDF}},
        {"fileData": {"fileUri": _URL, "mimeType": "application/pdf"}},
        {"inlineData": {"mimeType": "text/plain", "data": "aGk="}},
    ]


def test_responses_sends_an_input_file_by_data_url_or_file_url() -> None:
    parts = _user_parts(
        OpenAIResponsesAdapter(api_key="k"),
        {"type": "document", "data": _PDF, "filename": "report.pdf"},
        {"type": "document", "data": _PDF},
        {"type": "document", "url": _URL},
    )
    assert parts == [
        {
            "type": "input_file",
            "file_data": f"data:application/pdf;base64,{_PDF}",
            "filename": "report.pdf",
        },
        {
            "type": "input_file",
            "file_data": f"data:application/pdf;base64,{_PDF}",
            "filename": "document",
        },
        {"type": "input_file", "file_url": _URL},
    ]


def test_chat_sends_a_file_part_with_a_data_url_and_a_name() -> None:
    parts = _user_parts(
        OpenAIChatAdapter(api_key="k"),
        {"type": "document", "data": _PDF, "filename": "report.pdf"},
        {"type": "document", "data": "aGk=", "media_type": "text/plain"},
    )
    assert parts == [
        {
            "type": "file",
            "file": {"file_data": f"data:application/pdf;base64,{_PDF}", "filename": "report.pdf"},
        },
        {
            "type": "file",
            "file": {"file_data": "data:text/plain;base64,aGk=", "filename": "document"},
        },
    ]


def test_chat_refuses_a_document_by_url() -> None:
    with pytest.raises(ConfigurationError, match=r"document by URL.*openai"):
        _user_parts(OpenAIChatAdapter(api_key="k"), {"type": "document", "url": _URL})

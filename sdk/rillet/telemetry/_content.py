"""Pure mappers: messages and responses -> the conventions' opt-in content attributes.

The shapes are ``gen-ai-input-messages.json``, ``gen-ai-output-messages.json`` and
``gen-ai-system-instructions.json``. They are recorded on spans as JSON text, which the
conventions allow where structured attribute values are not supported (OpenTelemetry's Python
API takes them only in its newest releases).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from rillet.protocol import (
    AssistantMessage,
    DocumentPart,
    ImagePart,
    LLMResponse,
    Message,
    ReasoningBlock,
    SystemMessage,
    TextPart,
    ToolCall,
    ToolMessage,
)
from rillet.telemetry import _semconv as sc
from rillet.telemetry._attributes import Attributes, finish_reason

__all__ = ["input_attributes", "output_attributes", "to_json"]

Part = dict[str, Any]


def to_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def input_attributes(provider: str, messages: Sequence[Message]) -> Attributes:
    """``gen_ai.input.messages``, and ``gen_ai.system_instructions`` where the provider takes
    system messages apart from the conversation."""
    apart = provider in sc.PROVIDERS_WITH_SEPARATE_SYSTEM
    instructions: list[Part] = []
    chat: list[dict[str, Any]] = []
    for message in messages:
        if apart and isinstance(message, SystemMessage):
            instructions.append(_text(message.content))
        else:
            chat.append({"role": message.role, "parts": _parts(message)})
    attributes: Attributes = {sc.INPUT_MESSAGES: to_json(chat)}
    if instructions:
        attributes[sc.SYSTEM_INSTRUCTIONS] = to_json(instructions)
    return attributes


def output_attributes(response: LLMResponse) -> Attributes:
    """``gen_ai.output.messages``: the one message the response is (``error`` as the finish
    reason of a response that ended in none)."""
    message = {
        "role": "assistant",
        "parts": _assistant_parts(response.reasoning_details, response.text, response.tool_calls),
        "finish_reason": finish_reason(response) or "error",
    }
    return {sc.OUTPUT_MESSAGES: to_json([message])}


def _parts(message: Message) -> list[Part]:
    if isinstance(message, AssistantMessage):
        return _assistant_parts(message.reasoning, message.content, message.tool_calls)
    if isinstance(message, ToolMessage):
        return [
            {"type": "tool_call_response", "id": message.tool_call_id, "response": message.content}
        ]
    if isinstance(message.content, str):
        return [_text(message.content)]
    return [
        _text(part.text) if isinstance(part, TextPart) else _media(part) for part in message.content
    ]


def _assistant_parts(
    reasoning: Sequence[ReasoningBlock], text: str, tool_calls: Sequence[ToolCall]
) -> list[Part]:
    parts: list[Part] = [{"type": "reasoning", "content": b.text} for b in reasoning if b.text]
    if text:
        parts.append(_text(text))
    parts.extend(_tool_call(call.id, call.name, call.arguments) for call in tool_calls)
    return parts


def _text(content: str) -> Part:
    return {"type": "text", "content": content}


def _tool_call(call_id: str, name: str, arguments: Mapping[str, Any]) -> Part:
    return {"type": "tool_call", "id": call_id, "name": name, "arguments": dict(arguments)}


def _media(part: ImagePart | DocumentPart) -> Part:
    modality = "image" if isinstance(part, ImagePart) else "document"
    if part.url is not None:
        media: Part = {"type": "uri", "modality": modality, "uri": part.url}
    else:
        media = {"type": "blob", "modality": modality, "content": part.data or ""}
    if part.media_type is not None:
        media["mime_type"] = part.media_type
    return media

"""The neutral ``LLMRequest`` -> an OpenAI Chat Completions request body.

The body is typed by ``schema/providers/openai_chat_request.schema.json``: mypy checks it.
"""

from __future__ import annotations

import json
from typing import Literal

from rillet._generated.wire_dicts import openai_chat_request_schema as wire
from rillet.protocol import (
    AssistantMessage,
    DocumentPart,
    ImagePart,
    LLMRequest,
    Message,
    SystemMessage,
    TextPart,
    ToolCall,
    ToolDefinition,
    ToolMessage,
    UserMessage,
)
from rillet.providers._output_forms import chat_response_format
from rillet.providers._unsupported import unsupported

__all__ = ["MaxTokensField", "build_body"]

MaxTokensField = Literal["max_tokens", "max_completion_tokens"]
_Mode = Literal["none", "auto", "required"]
_MODES: dict[str, _Mode] = {"auto": "auto", "none": "none", "required": "required"}
_WireMessage = wire.SystemMessage | wire.UserMessage | wire.AssistantMessage | wire.ToolMessage


def build_body(
    request: LLMRequest,
    *,
    max_tokens_field: MaxTokensField,
    provider: str = "openai",
) -> wire.ChatCompletionRequest:
    body: wire.ChatCompletionRequest = {
        "model": request.model or "",  # HTTPAdapter fills it in before a body is built
        "messages": [_message(m) for m in request.messages],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    if request.tools:
        body["tools"] = [_tool(tool) for tool in request.tools]
    if request.tool_choice is not None:
        body["tool_choice"] = _tool_choice(request.tool_choice)
    if request.max_tokens is not None:
        body[max_tokens_field] = request.max_tokens
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.top_p is not None:
        body["top_p"] = request.top_p
    if request.stop:
        body["stop"] = list(request.stop)
    if request.reasoning is not None:
        if request.reasoning.budget_tokens is not None:
            raise unsupported(
                "reasoning.budget_tokens",
                provider,
                "Chat Completions takes no thinking budget; give reasoning.effort",
            )
        if request.reasoning.effort:
            body["reasoning_effort"] = request.reasoning.effort
    if request.output is not None:
        body["response_format"] = chat_response_format(request.output)
    return body


def _tool(tool: ToolDefinition) -> wire.FunctionTool:
    function: wire.FunctionDefinition = {"name": tool.name}
    if tool.description:
        function["description"] = tool.description
    function["parameters"] = tool.parameters
    return {"type": "function", "function": function}


def _tool_choice(choice: str) -> _Mode | wire.NamedToolChoice:
    mode = _MODES.get(choice)
    if mode is not None:
        return mode
    return {"type": "function", "function": {"name": choice}}


def _message(message: Message) -> _WireMessage:
    if isinstance(message, SystemMessage):
        return {"role": "system", "content": message.content}
    if isinstance(message, UserMessage):
        if isinstance(message.content, str):
            return {"role": "user", "content": message.content}
        return {"role": "user", "content": [_part(p) for p in message.content]}
    if isinstance(message, AssistantMessage):
        out: wire.AssistantMessage = {"role": "assistant", "content": message.content or None}
        if message.tool_calls:
            out["tool_calls"] = [_tool_call(c) for c in message.tool_calls]
        return out
    assert isinstance(message, ToolMessage)
    return {"role": "tool", "tool_call_id": message.tool_call_id, "content": message.content}


def _part(
    part: TextPart | ImagePart | DocumentPart,
) -> wire.TextPart | wire.ImagePart | wire.FilePart:
    if isinstance(part, TextPart):
        return {"type": "text", "text": part.text}
    if isinstance(part, DocumentPart):
        return _file(part)
    url = part.url or f"data:{part.media_type or 'image/png'};base64,{part.data or ''}"
    return {"type": "image_url", "image_url": {"url": url}}


def _file(part: DocumentPart) -> wire.FilePart:
    # Chat Completions takes a file inline (data URL plus a name) or by upload id, never by URL.
    if part.data is None:
        raise unsupported(
            "a document by URL", "openai", "Chat Completions takes documents as inline data only"
        )
    file: wire.File = {
        "file_data": f"data:{part.media_type};base64,{part.data}",
        "filename": part.filename or "document",
    }
    return {"type": "file", "file": file}


def _tool_call(call: ToolCall) -> wire.FunctionToolCall:
    arguments = call.raw_arguments or json.dumps(call.arguments, ensure_ascii=False)
    return {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": arguments},
    }

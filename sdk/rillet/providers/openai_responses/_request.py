"""The neutral ``LLMRequest`` -> an OpenAI Responses request body (``POST /v1/responses``).

Choices, each for a reason:

- System messages become ``{"role": "system"}`` input items where the conversation has them,
  rather than one joined ``instructions`` string: rillet allows system messages anywhere, and
  input items keep each one in its place without joining text.
- Requests are stateless: ``store: false`` always (rillet never continues a stored response),
  and with reasoning options ``include: ["reasoning.encrypted_content"]``, so reasoning comes
  back encrypted and is replayed as ``reasoning`` items with the next turn (a block without
  its ``id`` is left out: the API refuses a reasoning item without one).
- Function tools are sent with ``strict: false``: without it the Responses API turns every
  strict-compatible schema strict (all properties required), unlike Chat Completions.
- Stop sequences and thinking budgets do not exist in the Responses API: either is a
  ``ConfigurationError`` (``unsupported``), never silently dropped. A failed tool result has no
  flag here; its content says why.
- The body is typed by ``schema/providers/openai_responses_request.schema.json``: mypy checks
  it. A reasoning item goes back only with the ``id`` the API gave it (the API requires one).
"""

from __future__ import annotations

import json
from typing import Literal

from rillet._generated.wire_dicts import openai_responses_request_schema as wire
from rillet.protocol import (
    AssistantMessage,
    DocumentPart,
    ImagePart,
    LLMRequest,
    ReasoningOptions,
    SystemMessage,
    TextPart,
    ToolCall,
    ToolDefinition,
    UserMessage,
)
from rillet.providers._output_forms import responses_text_format
from rillet.providers._unsupported import unsupported

__all__ = ["build_body"]

PROVIDER = "openai-responses"

_Mode = Literal["none", "auto", "required"]
_MODES: dict[str, _Mode] = {"auto": "auto", "none": "none", "required": "required"}
_InputItem = (
    wire.InputMessage
    | wire.AssistantMessage
    | wire.FunctionCall
    | wire.FunctionCallOutput
    | wire.ReasoningItem
    | wire.ItemReference
    | wire.OtherItem
)
_InputPart = wire.InputText | wire.InputImage | wire.InputFile


def build_body(request: LLMRequest, *, provider: str = PROVIDER) -> wire.ResponseCreateRequest:
    """The body for ``request``; reasoning goes back only from ``provider``'s responses
    (``azure-responses`` speaks the same wire) or of unknown provider."""
    body: wire.ResponseCreateRequest = {
        "model": request.model or "",  # HTTPAdapter fills it in before a body is built
        "input": _input(request, provider),
        "stream": True,
        "store": False,
    }
    if request.tools:
        body["tools"] = [_tool(tool) for tool in request.tools]
    if request.tool_choice is not None:
        body["tool_choice"] = _tool_choice(request.tool_choice)
    if request.max_tokens is not None:
        body["max_output_tokens"] = request.max_tokens
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.top_p is not None:
        body["top_p"] = request.top_p
    if request.stop:
        raise unsupported("stop", PROVIDER, "the Responses API has no stop sequences")
    if request.reasoning is not None:
        body["reasoning"] = _reasoning(request.reasoning)
        body["include"] = ["reasoning.encrypted_content"]
    if request.output is not None:
        body["text"] = {"format": responses_text_format(request.output)}
    return body


def _input(request: LLMRequest, provider: str) -> list[_InputItem]:
    items: list[_InputItem] = []
    for message in request.messages:
        if isinstance(message, SystemMessage):
            items.append({"role": "system", "content": message.content})
        elif isinstance(message, UserMessage):
            items.append({"role": "user", "content": _user_content(message.content)})
        elif isinstance(message, AssistantMessage):
            items.extend(_assistant_items(message, provider))
        else:
            items.append(
                {
                    "type": "function_call_output",
                    "call_id": message.tool_call_id,
                    "output": message.content,
                }
            )
    return items


def _user_content(
    content: str | list[TextPart | ImagePart | DocumentPart],
) -> str | list[_InputPart]:
    if isinstance(content, str):
        return content
    return [_part(part) for part in content]


def _part(part: TextPart | ImagePart | DocumentPart) -> _InputPart:
    if isinstance(part, TextPart):
        return {"type": "input_text", "text": part.text}
    if isinstance(part, DocumentPart):
        return _file(part)
    url = part.url or f"data:{part.media_type or 'image/png'};base64,{part.data or ''}"
    return {"type": "input_image", "image_url": url, "detail": "auto"}


def _file(part: DocumentPart) -> wire.InputFile:
    if part.url is not None:
        return {"type": "input_file", "file_url": part.url}
    return {
        "type": "input_file",
        "file_data": f"data:{part.media_type};base64,{part.data or ''}",
        "filename": part.filename or "document",
    }


def _assistant_items(message: AssistantMessage, provider: str) -> list[_InputItem]:
    """Reasoning first, then the text, then the calls: the order the model produced them."""
    items: list[_InputItem] = []
    for block in message.reasoning:
        if block.provider not in (provider, None) or not block.encrypted_content or not block.id:
            # another provider's signature, or an item the API cannot take back: stateless
            # (store: false) reasoning goes back whole, with its id, summary and encrypted content
            continue
        summary: list[wire.SummaryText] = (
            [{"type": "summary_text", "text": block.text}] if block.text else []
        )
        items.append(
            {
                "type": "reasoning",
                "id": block.id,
                "summary": summary,
                "encrypted_content": block.encrypted_content,
            }
        )
    if message.content:
        items.append(
            {"role": "assistant", "content": [{"type": "output_text", "text": message.content}]}
        )
    items.extend(_function_call(call) for call in message.tool_calls)
    return items


def _function_call(call: ToolCall) -> wire.FunctionCall:
    arguments = call.raw_arguments or json.dumps(call.arguments, ensure_ascii=False)
    return {"type": "function_call", "call_id": call.id, "name": call.name, "arguments": arguments}


def _tool(tool: ToolDefinition) -> wire.FunctionTool:
    out: wire.FunctionTool = {
        "type": "function",
        "name": tool.name,
        "parameters": tool.parameters,
        "strict": False,
    }
    if tool.description:
        out["description"] = tool.description
    return out


def _tool_choice(choice: str) -> _Mode | wire.FunctionToolChoice:
    mode = _MODES.get(choice)
    if mode is not None:
        return mode
    return {"type": "function", "name": choice}


_EFFORT_INSTEAD = "it takes no thinking budget; give reasoning.effort (low, medium, high)"


def _reasoning(options: ReasoningOptions) -> wire.Reasoning:
    out: wire.Reasoning = {}
    if options.budget_tokens is not None:
        raise unsupported("reasoning.budget_tokens", PROVIDER, _EFFORT_INSTEAD)
    if options.effort:
        out["effort"] = options.effort
    if options.include_thoughts:
        out["summary"] = "auto"
    return out

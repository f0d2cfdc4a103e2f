"""The neutral ``LLMRequest`` -> an OpenAI Responses request body (``POST /v1/responses``).

Choices, each for a reason:

- System messages become ``{"role": "system"}`` input items where the conversation has them,
  rather than one joined ``instructions`` string: rillet allows system messages anywhere, and
  input items keep each one in its place without joining text.
- Requests are stateless: ``store: false`` always (rillet never continues a stored response),
  and with reasoning options ``include: ["reasoning.encrypted_content"]``, so reasoning comes
  back encrypted and is replayed as ``reasoning`` items with the next turn.
- Function tools are sent with ``strict: false``: without it the Responses API turns every
  strict-compatible schema strict (all properties required), unlike Chat Completions.
- Stop sequences and thinking budgets do not exist in the Responses API: either is a
  ``ConfigurationError`` (``unsupported``), never silently dropped. A failed tool result has no
  flag here; its content says why.
"""

from __future__ import annotations

import json
from typing import Any

from rillet.protocol import (
    AssistantMessage,
    ImagePart,
    LLMRequest,
    ReasoningOptions,
    SystemMessage,
    TextPart,
    ToolCall,
    ToolDefinition,
    UserMessage,
)
from rillet.providers._unsupported import unsupported

__all__ = ["build_body"]

PROVIDER = "openai-responses"


def build_body(request: LLMRequest) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": request.model,
        "input": _input(request),
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
    return body


def _input(request: LLMRequest) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for message in request.messages:
        if isinstance(message, SystemMessage):
            items.append({"role": "system", "content": message.content})
        elif isinstance(message, UserMessage):
            items.append({"role": "user", "content": _user_content(message.content)})
        elif isinstance(message, AssistantMessage):
            items.extend(_assistant_items(message))
        else:
            items.append(
                {
                    "type": "function_call_output",
                    "call_id": message.tool_call_id,
                    "output": message.content,
                }
            )
    return items


def _user_content(content: str | list[TextPart | ImagePart]) -> str | list[dict[str, Any]]:
    if isinstance(content, str):
        return content
    return [_part(part) for part in content]


def _part(part: TextPart | ImagePart) -> dict[str, Any]:
    if isinstance(part, TextPart):
        return {"type": "input_text", "text": part.text}
    url = part.url or f"data:{part.media_type or 'image/png'};base64,{part.data or ''}"
    return {"type": "input_image", "image_url": url, "detail": "auto"}


def _assistant_items(message: AssistantMessage) -> list[dict[str, Any]]:
    """Reasoning first, then the text, then the calls: the order the model produced them."""
    items: list[dict[str, Any]] = []
    for block in message.reasoning:
        if block.provider not in (PROVIDER, None) or not block.encrypted_content:
            continue  # another provider's signature, or nothing the API can take back
        item: dict[str, Any] = {"type": "reasoning", "summary": []}
        if block.id is not None:
            item["id"] = block.id
        item["encrypted_content"] = block.encrypted_content
        items.append(item)
    if message.content:
        items.append(
            {"role": "assistant", "content": [{"type": "output_text", "text": message.content}]}
        )
    items.extend(_function_call(call) for call in message.tool_calls)
    return items


def _function_call(call: ToolCall) -> dict[str, Any]:
    arguments = call.raw_arguments or json.dumps(call.arguments, ensure_ascii=False)
    return {"type": "function_call", "call_id": call.id, "name": call.name, "arguments": arguments}


def _tool(tool: ToolDefinition) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "function", "name": tool.name}
    if tool.description:
        out["description"] = tool.description
    out["parameters"] = tool.parameters
    out["strict"] = False
    return out


def _tool_choice(choice: str) -> str | dict[str, Any]:
    if choice in ("auto", "none", "required"):
        return choice
    return {"type": "function", "name": choice}


_EFFORT_INSTEAD = "it takes no thinking budget; give reasoning.effort (low, medium, high)"


def _reasoning(options: ReasoningOptions) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if options.budget_tokens is not None:
        raise unsupported("reasoning.budget_tokens", PROVIDER, _EFFORT_INSTEAD)
    if options.effort:
        out["effort"] = options.effort
    if options.include_thoughts:
        out["summary"] = "auto"
    return out

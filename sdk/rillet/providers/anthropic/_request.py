"""The neutral ``LLMRequest`` -> an Anthropic Messages request body.

https://docs.anthropic.com/en/api/messages. System messages go to the top-level ``system``;
an assistant turn replays its signed thinking blocks first, then its text, then its
``tool_use`` blocks; tool results travel as ``tool_result`` blocks of a user message, the
results of consecutive tool messages in one message. ``max_tokens`` is required by Anthropic:
it defaults to ``DEFAULT_MAX_TOKENS``, and is raised above the thinking budget when needed.
The body is typed by ``schema/providers/anthropic_request.schema.json``: mypy checks it.
"""

from __future__ import annotations

from collections.abc import Sequence

from rillet._generated.wire_dicts import anthropic_request_schema as wire
from rillet._tool_arguments import arguments_to_send
from rillet.protocol import (
    AssistantMessage,
    DocumentPart,
    ImagePart,
    LLMRequest,
    Message,
    ReasoningBlock,
    SystemMessage,
    TextPart,
    ToolCall,
    ToolDefinition,
    ToolMessage,
    UserMessage,
)
from rillet.providers._output_forms import anthropic_output_format
from rillet.providers._unsupported import unsupported
from rillet.providers.anthropic._reasoning import DEFAULT_THINKING_BUDGET, reasoning_settings

__all__ = ["DEFAULT_MAX_TOKENS", "DEFAULT_THINKING_BUDGET", "build_body"]

DEFAULT_MAX_TOKENS = 4096

_Block = (
    wire.TextBlock
    | wire.ImageBlock
    | wire.DocumentBlock
    | wire.ThinkingBlock
    | wire.RedactedThinkingBlock
    | wire.ToolUseBlock
    | wire.ToolResultBlock
    | wire.ServerBlock
)
_ToolChoice = wire.ToolChoiceAuto | wire.ToolChoiceAny | wire.ToolChoiceTool | wire.ToolChoiceNone


def build_body(
    request: LLMRequest, *, provider: str = "anthropic", eager_input_streaming: bool = False
) -> wire.MessageCreateRequest:
    """The body for ``request``; reasoning blocks are replayed only from ``provider`` (or None).
    ``eager_input_streaming`` asks it on every tool (fine-grained tool streaming)."""
    body: wire.MessageCreateRequest = {
        "model": request.model or "",  # HTTPAdapter fills it in before a body is built
        "messages": _messages(request.messages, provider),
        "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
    }
    system = "\n\n".join(m.content for m in request.messages if isinstance(m, SystemMessage))
    if system:
        body["system"] = system
    if request.reasoning is not None:
        thinking, output_config = reasoning_settings(request.reasoning, request.model, provider)
        budget = thinking.get("budget_tokens", 0)
        if body["max_tokens"] <= budget:  # Anthropic wants room for the answer beyond the budget
            body["max_tokens"] += budget
        body["thinking"] = thinking
        if output_config:
            body["output_config"] = output_config
    if request.output is not None:
        body["output_config"] = {
            **body.get("output_config", {}),
            "format": anthropic_output_format(request.output),
        }
    if request.tools:
        body["tools"] = [_tool(tool, eager_input_streaming) for tool in request.tools]
    if request.tool_choice is not None:
        body["tool_choice"] = _tool_choice(request.tool_choice)
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.top_p is not None:
        body["top_p"] = request.top_p
    if request.stop:
        body["stop_sequences"] = list(request.stop)
    body["stream"] = True
    return body


def _tool(tool: ToolDefinition, eager_input_streaming: bool) -> wire.CustomTool:
    out: wire.CustomTool = {"name": tool.name, "input_schema": tool.parameters}
    if tool.description:
        out["description"] = tool.description
    if eager_input_streaming:
        out["eager_input_streaming"] = True
    return out


def _tool_choice(choice: str) -> _ToolChoice:
    if choice == "auto":
        return {"type": "auto"}
    if choice in ("required", "any"):
        return {"type": "any"}
    if choice == "none":
        return {"type": "none"}
    return {"type": "tool", "name": choice}


def _messages(
    messages: Sequence[Message], provider: str
) -> list[wire.UserMessage | wire.AssistantMessage | wire.SystemMessage]:
    out: list[wire.UserMessage | wire.AssistantMessage | wire.SystemMessage] = []
    results: list[_Block] | None = None  # the tool_result blocks of the last message
    for message in messages:
        if isinstance(message, ToolMessage):
            block = _tool_result(message)
            if results is None:
                results = [block]
                out.append({"role": "user", "content": results})
            else:
                results.append(block)
            continue
        results = None
        if isinstance(message, UserMessage):
            out.append({"role": "user", "content": _user_content(message)})
        elif isinstance(message, AssistantMessage):
            content = _assistant_content(message, provider)
            if content:  # Anthropic refuses an empty turn
                out.append({"role": "assistant", "content": content})
    return out


def _user_content(message: UserMessage) -> str | list[_Block]:
    if isinstance(message.content, str):
        return message.content
    return [_part(part) for part in message.content]


def _part(
    part: TextPart | ImagePart | DocumentPart,
) -> wire.TextBlock | wire.ImageBlock | wire.DocumentBlock:
    if isinstance(part, TextPart):
        return {"type": "text", "text": part.text}
    if isinstance(part, DocumentPart):
        return _document(part)
    url = part.url
    if url is not None and url.startswith("data:") and ";base64," in url:
        head, _, data = url.partition(";base64,")
        return _base64_image(head[len("data:") :] or None, data)
    if url is not None:
        return {"type": "image", "source": {"type": "url", "url": url}}
    return _base64_image(part.media_type, part.data or "")


def _document(part: DocumentPart) -> wire.DocumentBlock:
    # Anthropic's document sources: a PDF inline or by URL (plain text goes as a text part).
    if part.media_type != "application/pdf":
        raise unsupported(
            f"a {part.media_type} document", "anthropic", "Anthropic takes PDF documents only"
        )
    if part.url is not None:
        return {"type": "document", "source": {"type": "url", "url": part.url}}
    source: wire.Base64PDFSource = {
        "type": "base64",
        "media_type": "application/pdf",
        "data": part.data or "",
    }
    return {"type": "document", "source": source}


def _base64_image(media_type: str | None, data: str) -> wire.ImageBlock:
    source: wire.Base64ImageSource = {
        "type": "base64",
        "media_type": media_type or "image/png",
        "data": data,
    }
    return {"type": "image", "source": source}


def _assistant_content(message: AssistantMessage, provider: str) -> list[_Block]:
    content: list[_Block] = [
        block
        for reasoning in message.reasoning
        if reasoning.provider in (provider, None)
        and (block := _thinking_block(reasoning)) is not None
    ]
    if message.content:
        content.append({"type": "text", "text": message.content})
    content.extend(_tool_use(call) for call in message.tool_calls)
    return content


def _thinking_block(
    block: ReasoningBlock,
) -> wire.ThinkingBlock | wire.RedactedThinkingBlock | None:
    """A signed thinking block or a redacted one; unsigned thinking cannot be sent back."""
    if block.encrypted_content:
        return {"type": "redacted_thinking", "data": block.encrypted_content}
    if block.signature:
        return {"type": "thinking", "thinking": block.text, "signature": block.signature}
    return None


def _tool_use(call: ToolCall) -> wire.ToolUseBlock:
    return {"type": "tool_use", "id": call.id, "name": call.name, "input": arguments_to_send(call)}


def _tool_result(message: ToolMessage) -> wire.ToolResultBlock:
    return {
        "type": "tool_result",
        "tool_use_id": message.tool_call_id,
        "content": message.content,
        "is_error": message.is_error,
    }

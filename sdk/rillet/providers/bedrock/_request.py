"""The neutral ``LLMRequest`` -> a Bedrock ``ConverseStream`` request body.

https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html. The
model id goes in the URL, not the body. System messages go to ``system``; an assistant turn
replays its signed reasoning first, then its text, then its ``toolUse`` blocks; tool results
travel as ``toolResult`` blocks of a user turn (a JSON object as ``json``, anything else as
``text``), and consecutive user turns are joined, since Converse wants the roles to alternate.
Images and documents go inline as bytes (base64 in JSON); Converse takes no URL. Reasoning is
the model's own setting: for Claude models, Anthropic's ``thinking`` through
``additionalModelRequestFields``. The body is typed by
``schema/providers/bedrock_request.schema.json``: mypy checks it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from rillet._generated.wire_dicts import bedrock_request_schema as wire
from rillet._tool_arguments import arguments_to_send
from rillet.protocol import (
    AssistantMessage,
    DocumentPart,
    ImagePart,
    LLMRequest,
    Message,
    ReasoningBlock,
    ReasoningOptions,
    SystemMessage,
    TextPart,
    ToolCall,
    ToolDefinition,
    ToolMessage,
    UserMessage,
)
from rillet.providers._unsupported import unsupported

__all__ = ["DEFAULT_THINKING_BUDGET", "build_body"]

DEFAULT_THINKING_BUDGET = 1024  # the smallest budget Claude accepts
_ANSWER_ROOM = 4096  # max tokens beyond the thinking budget when the caller gave none
_PROVIDER = "bedrock"
_IMAGE_FORMATS = {
    "image/png": "png",
    "image/jpeg": "jpeg",
    "image/jpg": "jpeg",
    "image/gif": "gif",
    "image/webp": "webp",
}
_DOCUMENT_FORMATS = {
    "application/pdf": "pdf",
    "text/csv": "csv",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "text/html": "html",
    "text/plain": "txt",
    "text/markdown": "md",
}
# A document name may hold letters, digits, single spaces, hyphens, parentheses and brackets.
_NAME_REFUSED = re.compile(r"[^A-Za-z0-9\-()\[\] ]+")


def build_body(request: LLMRequest) -> wire.ConverseStreamRequest:
    """The body for ``request`` (whose model is in the URL)."""
    body: wire.ConverseStreamRequest = {"messages": _messages(request.messages)}
    system = [m.content for m in request.messages if isinstance(m, SystemMessage) and m.content]
    if system:
        body["system"] = [{"text": text} for text in system]
    config = _inference_config(request)
    if request.reasoning is not None:
        if not _is_claude(request.model):
            raise unsupported(
                "reasoning",
                _PROVIDER,
                "only Claude models take it here; for another model, send its own setting "
                "with provider_options={'additionalModelRequestFields': {...}}",
            )
        thinking = _thinking(request.reasoning)
        budget = thinking.get("budget_tokens", 0)
        if request.max_tokens is None:
            config["maxTokens"] = budget + _ANSWER_ROOM
        elif request.max_tokens <= budget:  # Claude wants room for the answer beyond it
            config["maxTokens"] = request.max_tokens + budget
        body["additionalModelRequestFields"] = {"thinking": thinking}
    if config:
        body["inferenceConfig"] = config
    if request.tools:
        tool_config: wire.ToolConfiguration = {"tools": [_tool(t) for t in request.tools]}
        if request.tool_choice is not None:
            tool_config["toolChoice"] = _tool_choice(request.tool_choice)
        body["toolConfig"] = tool_config
    elif request.tool_choice not in (None, "none", "auto"):
        raise unsupported(
            f"tool_choice={request.tool_choice!r} without tools", _PROVIDER, "give the tools too"
        )
    return body


def _is_claude(model: str | None) -> bool:
    # "anthropic.claude-...", an inference profile "us.anthropic.claude-...", or an ARN of one
    return model is not None and "anthropic.claude" in model


def _thinking(options: ReasoningOptions) -> dict[str, Any]:
    if options.adaptive and options.budget_tokens is not None:
        raise unsupported(
            "reasoning.adaptive with reasoning.budget_tokens",
            _PROVIDER,
            "adaptive thinking takes no budget; give one of them",
        )
    if options.effort:
        raise unsupported(
            "reasoning.effort",
            _PROVIDER,
            "give reasoning.budget_tokens, or send Claude's own effort setting with "
            "provider_options={'additionalModelRequestFields': {...}}",
        )
    if not options.include_thoughts:
        raise unsupported(
            "reasoning.include_thoughts=False",
            _PROVIDER,
            "Bedrock streams Claude's thinking as it comes; ignore the reasoning chunks instead",
        )
    if options.adaptive:
        return {"type": "adaptive"}
    return {"type": "enabled", "budget_tokens": options.budget_tokens or DEFAULT_THINKING_BUDGET}


def _inference_config(request: LLMRequest) -> wire.InferenceConfiguration:
    config: wire.InferenceConfiguration = {}
    if request.max_tokens is not None:
        config["maxTokens"] = request.max_tokens
    if request.temperature is not None:
        config["temperature"] = request.temperature
    if request.top_p is not None:
        config["topP"] = request.top_p
    if request.stop:
        config["stopSequences"] = list(request.stop)
    return config


def _tool(tool: ToolDefinition) -> wire.Tool:
    spec: wire.ToolSpecification = {"name": tool.name, "inputSchema": {"json": tool.parameters}}
    if tool.description:
        spec["description"] = tool.description
    return {"toolSpec": spec}


def _tool_choice(choice: str) -> wire.ToolChoice:
    if choice == "auto":
        return {"auto": {}}
    if choice in ("required", "any"):
        return {"any": {}}
    if choice == "none":
        raise unsupported(
            "tool_choice='none'", _PROVIDER, "Converse has no such choice; leave the tools out"
        )
    return {"tool": {"name": choice}}


def _messages(messages: Sequence[Message]) -> list[wire.Message]:
    out: list[wire.Message] = []
    for message in messages:
        if isinstance(message, SystemMessage):
            continue
        if isinstance(message, AssistantMessage):
            content = _assistant_content(message)
            if content:  # Converse refuses an empty turn
                out.append({"role": "assistant", "content": content})
            continue
        blocks = (
            [_tool_result(message)] if isinstance(message, ToolMessage) else _user_content(message)
        )
        if out and out[-1]["role"] == "user":  # the roles must alternate: one user turn
            out[-1]["content"] += blocks
        else:
            out.append({"role": "user", "content": blocks})
    return out


def _user_content(message: UserMessage) -> list[wire.ContentBlock]:
    if isinstance(message.content, str):
        return [{"text": message.content}]
    blocks: list[wire.ContentBlock] = []
    for number, part in enumerate(message.content):
        if isinstance(part, TextPart):
            blocks.append({"text": part.text})
        elif isinstance(part, ImagePart):
            blocks.append({"image": _image(part)})
        else:
            blocks.append({"document": _document(part, number)})
    return blocks


def _image(part: ImagePart) -> wire.ImageBlock:
    media_type, data = part.media_type, part.data
    url = part.url
    if url is not None:
        head, base64, encoded = url.partition(";base64,")
        if not (url.startswith("data:") and base64):
            raise unsupported(
                "an image URL", _PROVIDER, "Converse takes image bytes only; send data=..."
            )
        media_type, data = head[len("data:") :] or media_type, encoded
    image_format = _IMAGE_FORMATS.get((media_type or "image/png").lower())
    if image_format is None:
        raise unsupported(
            f"a {media_type} image", _PROVIDER, "Converse takes PNG, JPEG, GIF and WebP images"
        )
    return {"format": image_format, "source": {"bytes": data or ""}}


def _document(part: DocumentPart, number: int) -> wire.DocumentBlock:
    if part.url is not None:
        raise unsupported(
            "a document URL", _PROVIDER, "Converse takes document bytes only; send data=..."
        )
    document_format = _DOCUMENT_FORMATS.get(part.media_type.lower())
    if document_format is None:
        raise unsupported(
            f"a {part.media_type} document",
            _PROVIDER,
            "Converse takes PDF, CSV, Word, Excel, HTML, plain text and Markdown documents",
        )
    return {
        "format": document_format,
        "name": _name(part.filename, number),
        "source": {"bytes": part.data or ""},
    }


def _name(filename: str | None, number: int) -> str:
    """A name Converse accepts: the file's name without its extension and refused
    characters, or ``document-<n>``."""
    stem = (filename or "").rsplit(".", 1)[0]
    name = " ".join(_NAME_REFUSED.sub(" ", stem).split())
    return name or f"document-{number + 1}"


def _assistant_content(message: AssistantMessage) -> list[wire.ContentBlock]:
    content: list[wire.ContentBlock] = [
        {"reasoningContent": block}
        for reasoning in message.reasoning
        if reasoning.provider in (_PROVIDER, None)
        and (block := _reasoning_block(reasoning)) is not None
    ]
    if message.content:
        content.append({"text": message.content})
    content.extend({"toolUse": _tool_use(call)} for call in message.tool_calls)
    return content


def _reasoning_block(block: ReasoningBlock) -> wire.ReasoningContentBlock | None:
    """Signed reasoning text, or redacted reasoning; unsigned text cannot be sent back."""
    if block.encrypted_content:
        return {"redactedContent": block.encrypted_content}
    if block.signature:
        return {"reasoningText": {"text": block.text, "signature": block.signature}}
    return None


def _tool_use(call: ToolCall) -> wire.ToolUseBlock:
    return {"toolUseId": call.id, "name": call.name, "input": arguments_to_send(call)}


def _tool_result(message: ToolMessage) -> wire.ContentBlock:
    content: wire.ToolResultContent
    try:
        parsed = json.loads(message.content)
    except ValueError:
        parsed = None
    content = {"json": parsed} if isinstance(parsed, dict) else {"text": message.content}
    result: wire.ToolResultBlock = {"toolUseId": message.tool_call_id, "content": [content]}
    if message.is_error:  # sent only then: the models that do not read the field may refuse it
        result["status"] = "error"
    return {"toolResult": result}

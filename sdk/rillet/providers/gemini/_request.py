"""The neutral ``LLMRequest`` -> a Gemini ``streamGenerateContent`` request body.

https://ai.google.dev/api/generate-content#request-body. The model goes in the URL, not here.

- System messages become ``systemInstruction``; assistant turns are ``model`` contents; the
  results of consecutive tool messages are ``functionResponse`` parts of one ``user`` content.
- Thought signatures go back where Gemini put them: each ``functionCall`` part carries its
  call's ``signature``; a turn without calls carries the first signature of its reasoning
  blocks (from Gemini, or of unknown provider) on its text part. Thought text is not sent back.
- A tool result needs the tool's name: ``ToolMessage.name``, else the name of the earlier
  assistant call with that id.
- Tool ``parameters`` (JSON Schema) pass through unchanged as ``parameters``, which Gemini reads
  as its OpenAPI subset; a schema using keywords outside it (``$ref``, ``additionalProperties``
  on some models, ...) can be sent as ``parametersJsonSchema`` through ``provider_options``.
- ``reasoning.effort`` becomes ``thinkingLevel`` (Gemini 3), ``budget_tokens`` becomes
  ``thinkingBudget`` (Gemini 2.5); Gemini refuses both in one request, so giving both is a
  ``ConfigurationError`` rather than one silently dropped. ``adaptive`` alone is dynamic
  thinking (``thinkingBudget: -1``); with ``effort``, ``thinkingLevel``, dynamic already.
- The body is typed by ``schema/providers/gemini_request.schema.json``: mypy checks it.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from rillet._exceptions import ConfigurationError
from rillet._generated.wire_dicts import gemini_request_schema as wire
from rillet._tool_arguments import arguments_to_send
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
    ToolMessage,
    UserMessage,
)
from rillet.providers._unsupported import unsupported

__all__ = ["build_body"]

_PROVIDER = "gemini"
_DYNAMIC_BUDGET = -1  # Gemini's "the model decides how much to think"
_Mode = Literal["AUTO", "NONE", "ANY"]
_TOOL_CHOICE_MODES: dict[str, _Mode] = {"auto": "AUTO", "none": "NONE", "required": "ANY"}


def build_body(request: LLMRequest, *, provider: str = _PROVIDER) -> wire.GenerateContentRequest:
    """The body for ``request``; thought signatures are sent back only from ``provider``'s
    responses (``vertex`` speaks the same wire) or of unknown provider."""
    body: wire.GenerateContentRequest = {"contents": _contents(request, provider)}
    system: list[wire.Part] = [
        {"text": m.content} for m in request.messages if isinstance(m, SystemMessage)
    ]
    if system:
        body["systemInstruction"] = {"parts": system}
    if request.tools:
        body["tools"] = [{"functionDeclarations": [_declaration(tool) for tool in request.tools]}]
    if request.tool_choice is not None:
        body["toolConfig"] = {"functionCallingConfig": _tool_choice(request.tool_choice)}
    config = _generation_config(request)
    if config:
        body["generationConfig"] = config
    return body


def _declaration(tool: ToolDefinition) -> wire.FunctionDeclaration:
    declaration: wire.FunctionDeclaration = {"name": tool.name}
    if tool.description:
        declaration["description"] = tool.description
    if _has_refs(tool.parameters):
        # parameters takes an OpenAPI subset without $ref/$defs; parametersJsonSchema takes
        # JSON Schema whole (a pydantic model with nested models has both).
        declaration["parametersJsonSchema"] = tool.parameters
    else:
        declaration["parameters"] = tool.parameters
    return declaration


def _has_refs(schema: object) -> bool:
    if isinstance(schema, dict):
        return "$ref" in schema or "$defs" in schema or any(map(_has_refs, schema.values()))
    if isinstance(schema, list):
        return any(map(_has_refs, schema))
    return False


def _contents(request: LLMRequest, provider: str) -> list[wire.Content]:
    contents: list[wire.Content] = []
    names: dict[str, str] = {}  # call id -> tool name, from the assistant turns so far
    results: list[wire.Part] | None = None  # the functionResponse parts being gathered
    for message in request.messages:
        if isinstance(message, ToolMessage):
            if results is None:
                results = []
                contents.append({"role": "user", "parts": results})
            results.append(_function_response(message, names))
            continue
        results = None
        if isinstance(message, UserMessage):
            contents.append({"role": "user", "parts": _user_parts(message)})
        elif isinstance(message, AssistantMessage):
            for call in message.tool_calls:
                names[call.id] = call.name
            contents.append({"role": "model", "parts": _model_parts(message, provider)})
    return contents


def _user_parts(message: UserMessage) -> list[wire.Part]:
    if isinstance(message.content, str):
        return [{"text": message.content}]
    return [_part(p) for p in message.content]


def _part(part: TextPart | ImagePart | DocumentPart) -> wire.Part:
    if isinstance(part, TextPart):
        return {"text": part.text}
    media_type = part.media_type
    if part.data is not None:
        return {"inlineData": {"mimeType": media_type or "image/png", "data": part.data}}
    url = part.url or ""
    if url.startswith("data:") and ";base64," in url:
        header, _, data = url.partition(";base64,")
        return {"inlineData": {"mimeType": header[5:] or media_type or "image/png", "data": data}}
    file_data: wire.FileData = {"fileUri": url}
    if media_type:
        file_data["mimeType"] = media_type
    return {"fileData": file_data}


def _model_parts(message: AssistantMessage, provider: str) -> list[wire.Part]:
    parts: list[wire.Part] = []
    if not message.tool_calls:
        text: wire.Part = {"text": message.content}
        signature = next(
            (
                block.signature
                for block in message.reasoning
                if block.signature and block.provider in (provider, None)
            ),
            None,
        )
        if signature:
            text["thoughtSignature"] = signature
        return [text]
    if message.content:
        parts.append({"text": message.content})
    parts.extend(_function_call(call) for call in message.tool_calls)
    return parts


def _function_call(call: ToolCall) -> wire.Part:
    args = arguments_to_send(call)
    part: wire.Part = {"functionCall": {"name": call.name, "args": args, "id": call.id}}
    if call.signature:
        part["thoughtSignature"] = call.signature
    return part


def _function_response(message: ToolMessage, names: dict[str, str]) -> wire.Part:
    name = message.name or names.get(message.tool_call_id)
    if not name:
        raise ConfigurationError(
            f"Gemini needs the tool name of result {message.tool_call_id!r}: set "
            "ToolMessage.name, or keep the assistant message that made the call"
        )
    response = {"error" if message.is_error else "result": _json_or_text(message.content)}
    result: wire.FunctionResponse = {"name": name, "response": response}
    if message.tool_call_id:
        result["id"] = message.tool_call_id
    return {"functionResponse": result}


def _json_or_text(content: str) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return content


def _tool_choice(choice: str) -> wire.FunctionCallingConfig:
    mode = _TOOL_CHOICE_MODES.get(choice)
    if mode is not None:
        return {"mode": mode}
    return {"mode": "ANY", "allowedFunctionNames": [choice]}


def _generation_config(request: LLMRequest) -> wire.GenerationConfig:
    config: wire.GenerationConfig = {}
    if request.max_tokens is not None:
        config["maxOutputTokens"] = request.max_tokens
    if request.temperature is not None:
        config["temperature"] = request.temperature
    if request.top_p is not None:
        config["topP"] = request.top_p
    if request.stop:
        config["stopSequences"] = list(request.stop)
    if request.reasoning is not None:
        config["thinkingConfig"] = _thinking(request.reasoning)
    if request.output is not None:
        config["responseMimeType"] = "application/json"
        config["responseJsonSchema"] = dict(request.output.json_schema)
    return config


def _thinking(options: ReasoningOptions) -> wire.ThinkingConfig:
    thinking: wire.ThinkingConfig = {"includeThoughts": options.include_thoughts}
    if options.budget_tokens is not None and options.adaptive:
        raise unsupported(
            "reasoning.adaptive with reasoning.budget_tokens",
            _PROVIDER,
            "adaptive (dynamic) thinking takes no budget; give one of them",
        )
    if options.budget_tokens is not None and options.effort:
        raise unsupported(
            "reasoning.effort with reasoning.budget_tokens",
            _PROVIDER,
            "a request takes thinkingLevel (effort, Gemini 3) or thinkingBudget (Gemini 2.5), "
            "not both; give one",
        )
    if options.budget_tokens is not None:
        thinking["thinkingBudget"] = options.budget_tokens
    elif options.effort:
        thinking["thinkingLevel"] = options.effort
    elif options.adaptive:
        thinking["thinkingBudget"] = _DYNAMIC_BUDGET
    return thinking

"""The first check of every request: its body fits its wire's request schema.

The schemas are ``schema/providers/*_request.schema.json`` (their generated pydantic models),
closed where the real API refuses an unknown field. A misspelt key or a value of the wrong type
is refused as the provider words such a refusal:

- OpenAI: ``Unrecognized request argument supplied: temprature`` (an unknown top-level key),
  else ``Invalid value for 'messages.0.role': ...`` with ``param`` naming the place;
- Anthropic: ``temprature: Extra inputs are not permitted`` (its validator's own wording);
- Bedrock: ``Malformed input request: extraneous key [temprature] is not permitted, ...``, else
  AWS's ``1 validation error detected: Value at 'inferenceConfig.maxTokens' failed to satisfy
  constraint: Member must ...`` (list indexes from 1, each followed by ``member``);
- Gemini: ``Invalid JSON payload received. Unknown name "temprature": Cannot find field.``,
  else ``Invalid value at 'contents[0].role' ...``. Gemini reads its JSON the protobuf way,
  where ``function_call`` is another spelling of ``functionCall`` (the recorded real requests
  of the official SDKs use both): keys are put in camelCase before the check.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from rillet._generated.providers.anthropic_request_schema import MessageCreateRequest
from rillet._generated.providers.bedrock_request_schema import ConverseStreamRequest
from rillet._generated.providers.gemini_request_schema import GenerateContentRequest
from rillet._generated.providers.openai_chat_request_schema import ChatCompletionRequest
from rillet._generated.providers.openai_responses_request_schema import ResponseCreateRequest
from rillet.emulator.rules._refusal import Refusal, Rule

__all__ = ["SCHEMA_RULES", "body_fits_the_request_schema"]


def _openai(error: ErrorDetails, where: str) -> Refusal:
    if error["type"] == "extra_forbidden" and len(error["loc"]) == 1:
        return Refusal(f"Unrecognized request argument supplied: {where}")
    return Refusal(f"Invalid value for '{where}': {error['msg']}.", where, "invalid_value")


def _anthropic(error: ErrorDetails, where: str) -> Refusal:
    return Refusal(f"{where}: {error['msg']}")


def _gemini(error: ErrorDetails, where: str) -> Refusal:
    if error["type"] == "extra_forbidden":
        name = error["loc"][-1]
        return Refusal(f'Invalid JSON payload received. Unknown name "{name}": Cannot find field.')
    return Refusal(f"Invalid value at '{where}': {error['msg']}")


def _bedrock(error: ErrorDetails, where: str) -> Refusal:
    if error["type"] == "extra_forbidden":
        return Refusal(
            f"Malformed input request: extraneous key [{error['loc'][-1]}] is not permitted, "
            "please reformat your input and try again."
        )
    path = ".".join(
        f"{part + 1}.member" if isinstance(part, int) else str(part) for part in error["loc"]
    )
    context = error.get("ctx", {})
    if error["type"] == "greater_than_equal":
        constraint = f"have value greater than or equal to {context['ge']}"
    elif error["type"] == "less_than_equal":
        constraint = f"have value less than or equal to {context['le']}"
    elif error["type"] == "missing":
        constraint = "not be null"
    else:
        constraint = f"be valid: {error['msg']}"
    return Refusal(
        f"1 validation error detected: Value at '{path}' failed to satisfy constraint: "
        f"Member must {constraint}"
    )


_Wording = Callable[[ErrorDetails, str], Refusal]


def _camel_keys(value: object) -> object:
    if isinstance(value, dict):
        return {_camel(key): _camel_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_camel_keys(item) for item in value]
    return value


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def body_fits_the_request_schema(
    schema: type[BaseModel], wording: _Wording, *, protobuf_names: bool = False
) -> Rule:
    """The rule that ``body`` validates against ``schema``, refused in ``wording``;
    ``protobuf_names``: snake_case keys are read as their camelCase names."""

    def rule(body: dict[str, Any], model: str) -> Refusal | None:
        try:
            schema.model_validate(_camel_keys(body) if protobuf_names else body)
        except ValidationError as failure:
            error = failure.errors(include_url=False)[0]
            return wording(error, ".".join(str(part) for part in error["loc"]))
        return None

    rule.__name__ = rule.__qualname__ = f"body_fits_{schema.__name__}"
    return rule


SCHEMA_RULES: Mapping[str, Rule] = {
    "openai": body_fits_the_request_schema(ChatCompletionRequest, _openai),
    "openai-responses": body_fits_the_request_schema(ResponseCreateRequest, _openai),
    "anthropic": body_fits_the_request_schema(MessageCreateRequest, _anthropic),
    "gemini": body_fits_the_request_schema(GenerateContentRequest, _gemini, protobuf_names=True),
    "gemini-json": body_fits_the_request_schema(
        GenerateContentRequest, _gemini, protobuf_names=True
    ),
    "bedrock": body_fits_the_request_schema(ConverseStreamRequest, _bedrock),
}
# The cloud platforms speak the same bodies (Claude on Vertex: once its path's model is put back
# and its anthropic_version taken out, by the emulator's cloud routes).
SCHEMA_RULES = {
    **SCHEMA_RULES,
    "vertex": SCHEMA_RULES["gemini"],
    "vertex-anthropic": SCHEMA_RULES["anthropic"],
    "azure": SCHEMA_RULES["openai"],
    "azure-responses": SCHEMA_RULES["openai-responses"],
}
"""Each wire's schema check, which ``BUILTIN_RULES`` runs before the provider's rules."""

"""A second oracle for request bodies: the official SDKs' own request types.

Each built-in wire format has one validator, built once:

- ``openai-chat``: openai ``CompletionCreateParamsStreaming``;
- ``openai-responses``: openai ``ResponseCreateParamsStreaming``;
- ``anthropic``: anthropic ``MessageCreateParamsStreaming``;
- ``gemini``: google-genai's pydantic models of the ``GenerateContentRequest`` fields
  (``Content``, ``Tool``, ``ToolConfig``, ``GenerationConfig``, ...), by their camelCase wire
  names only. ``generationConfig`` is checked as ``GenerationConfig``, the wire object, not as
  the SDK's ``GenerateContentConfig``, which also holds what the SDK moves elsewhere in the
  body (``tools``, ``systemInstruction``, ...) and would let those through inside it.
- ``bedrock``: botocore's own parameter validator on the bedrock-runtime service model's
  ``ConverseStreamRequest`` (the model id, sent in the URL, added as ``modelId``).

The openai and anthropic types are TypedDicts, which pydantic would let through with unknown
keys, lazily-checked ``Iterable`` fields and response models inside unions; so they are walked
here, strictly: every key must be one the TypedDict names, every value of the type it declares.
The genai models forbid unknown fields themselves and are validated by pydantic, in strict JSON
mode (bytes fields such as ``thoughtSignature`` must be base64, as the real API wants).

``tests/conftest.py`` runs every body an adapter encodes in the test suite through here.
"""

from __future__ import annotations

import collections.abc
import enum
import importlib
import json
import os
import types
import typing
import warnings
from collections import Counter
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import pydantic
import pytest
import typing_extensions
from anthropic.types.message_create_params import MessageCreateParamsStreaming
from google.genai import types as genai
from openai.types.chat.completion_create_params import CompletionCreateParamsStreaming
from openai.types.responses.response_create_params import ResponseCreateParamsStreaming

from rillet.providers._http_adapter import HTTPAdapter
from rillet.providers.anthropic import AnthropicAdapter
from rillet.providers.anthropic import _request as anthropic_request
from rillet.providers.bedrock import BedrockAdapter
from rillet.providers.bedrock import _request as bedrock_request
from rillet.providers.gemini import GeminiAdapter
from rillet.providers.gemini import _request as gemini_request
from rillet.providers.openai_chat import OpenAIChatAdapter
from rillet.providers.openai_chat import _request as chat_request
from rillet.providers.openai_responses import OpenAIResponsesAdapter
from rillet.providers.openai_responses import _request as responses_request

__all__ = [
    "FAULTS",
    "VALIDATED",
    "RequestOracleError",
    "builder_format",
    "check_body",
    "wire_format",
]

VALIDATED: Counter[str] = Counter()
"""How many bodies each wire format's oracle accepted in this run."""


class RequestOracleError(AssertionError):
    """A body the official SDK's request type refuses."""


FAULTS = pytest.StashKey[list[RequestOracleError]]()
"""Where ``tests/conftest.py`` keeps the refusals of a test (``item.stash``)."""


def wire_format(adapter: HTTPAdapter) -> str | None:
    """The wire format ``adapter`` sends, or None for an adapter this oracle does not know."""
    for cls, name in _ADAPTER_FORMATS:
        if isinstance(adapter, cls):
            return name
    return None


def builder_format(value: object) -> str | None:
    """The wire format ``value`` builds when it is a built-in request builder, else None."""
    return next((wire for build, wire in _BUILDERS if value is build), None)


def check_body(wire: str, body: Mapping[str, Any]) -> None:
    """Raise ``RequestOracleError`` naming every place the SDK type refuses in ``body``."""
    sdk_type, check = _VALIDATORS[wire]
    faults = check(body)
    if faults:
        listed = "\n  ".join(faults)
        raise RequestOracleError(
            f"the {wire} request body does not fit the official SDK's {sdk_type}:\n  {listed}"
        )
    VALIDATED[wire] += 1


# -- openai and anthropic: TypedDicts, walked strictly ---------------------------------------

# The anthropic SDK's types lag the API here: they no longer name the sampling parameters,
# which the models before Claude Opus 4.7 still take (whether this model takes them is the
# adapter's and the emulator's concern, not the SDK type's). Exactly these keys, top level only.
_ANTHROPIC_SAMPLING: dict[str, Any] = {"temperature": float, "top_p": float, "top_k": int}


class _AssistantOutputText(typing_extensions.TypedDict):
    type: typing.Literal["output_text"]
    text: str


class _AssistantInputMessage(typing_extensions.TypedDict, total=False):
    role: typing_extensions.Required[typing.Literal["assistant"]]
    content: typing_extensions.Required[str | list[_AssistantOutputText]]
    type: typing.Literal["message"]


def _responses_lag(body: dict[str, Any]) -> list[str]:
    """The openai SDK types lag the Responses API here: its ``EasyInputMessageParam`` types
    the content list as input parts only, yet an assistant message replayed as input takes
    ``output_text`` parts (and refuses ``input_text``: "Supported values are: 'output_text' and
    'refusal'"). Such messages are checked against that shape and left out of the SDK walk."""
    items = body.get("input")
    if not isinstance(items, list):
        return []
    faults: list[str] = []
    for i, item in enumerate(items):
        if (
            isinstance(item, dict)
            and item.get("role") == "assistant"
            and item.get("type", "message") == "message"
            and isinstance(item.get("content"), list)
        ):
            faults += _walk(_AssistantInputMessage, item, f"input[{i}]")
            items[i] = {"role": "assistant", "content": ""}
    return faults


def _typed_dict_check(
    sdk_type: Any,
    lagging: Mapping[str, Any] | None = None,
    lag: Callable[[dict[str, Any]], list[str]] | None = None,
) -> Callable[[Mapping[str, Any]], list[str]]:
    def check(body: Mapping[str, Any]) -> list[str]:
        rest = json.loads(json.dumps(body))  # a copy that ``lag`` may change
        faults: list[str] = lag(rest) if lag else []
        for key, annotation in (lagging or {}).items():
            if key in rest:
                faults += _walk(annotation, rest.pop(key), key)
        return faults + _walk(sdk_type, rest, "")

    return check


def _walk(annotation: Any, value: Any, path: str) -> list[str]:
    """The faults of JSON ``value`` against ``annotation``; empty when it fits."""
    where = path or "the body"
    origin = typing.get_origin(annotation)
    if origin is typing_extensions.Annotated or origin in _WRAPPERS:
        return _walk(typing.get_args(annotation)[0], value, path)
    if annotation is Any or annotation is object:
        return []
    if origin in (typing.Union, types.UnionType):
        return _walk_union(typing.get_args(annotation), value, path)
    if origin is typing.Literal or origin is typing_extensions.Literal:
        allowed = typing.get_args(annotation)
        if any(value == a and type(value) is type(a) for a in allowed):
            return []
        return [f"{where}: {value!r} is not one of {', '.join(map(repr, allowed))}"]
    if annotation is type(None):
        return [] if value is None else [f"{where}: {value!r} is not null"]
    if annotation in _SCALARS:
        if _is_scalar(annotation, value):
            return []
        return [f"{where}: {value!r} is not {_SCALARS[annotation]}"]
    if typing_extensions.is_typeddict(annotation):
        return _walk_typed_dict(annotation, value, path)
    if origin in _LISTS:
        if not isinstance(value, list):
            return [f"{where}: {_kind(value)} where a list belongs"]
        (item,) = typing.get_args(annotation) or (Any,)
        return [f for i, v in enumerate(value) for f in _walk(item, v, f"{path}[{i}]")]
    if origin in _MAPPINGS or annotation is dict:
        if not isinstance(value, dict):
            return [f"{where}: {_kind(value)} where an object belongs"]
        _, item = typing.get_args(annotation) or (str, Any)
        return [f for k, v in value.items() for f in _walk(item, v, f"{path}.{k}".lstrip("."))]
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        # A response model inside a params union (anthropic lets a request replay the blocks
        # it received): the params types of the same union say what a request may hold.
        return [f"{where}: only a response model ({annotation.__name__}) matches"]
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        if value in {m.value for m in annotation}:
            return []
        return [f"{where}: {value!r} is not a {annotation.__name__}"]
    if annotation in _FILE_TYPES or origin in _FILE_TYPES:
        return [f"{where}: only a file object matches, which JSON cannot carry"]
    raise TypeError(f"the request oracle cannot check {annotation!r} (at {where})")


def _walk_typed_dict(cls: Any, value: Any, path: str) -> list[str]:
    where = path or "the body"
    if not isinstance(value, dict):
        return [f"{where}: {_kind(value)} where a {cls.__name__} object belongs"]
    hints, required = _fields(cls)
    faults = [
        f"{where}: no {key!r}, which {cls.__name__} requires" for key in required - set(value)
    ]
    for key, item in value.items():
        place = f"{path}.{key}" if path else key
        if key not in hints:
            faults.append(f"{place}: {cls.__name__} has no such field")
        else:
            faults += _walk(hints[key], item, place)
    return faults


def _walk_union(members: tuple[Any, ...], value: Any, path: str) -> list[str]:
    """Fits when one member fits. Else the faults against the member whose ``type`` (or
    ``role``) the value has, or against the member of the value's kind (a list for a list)."""
    tries = [(m, _walk(m, value, path)) for m in members]
    if any(not faults for _, faults in tries):
        return []
    tagged = [faults for m, faults in tries if _tag_matches(m, value)]
    if tagged:
        return min(tagged, key=len)
    where = path or "the body"
    deeper = [faults for _, faults in tries if not all(f.startswith(f"{where}:") for f in faults)]
    if deeper and not _has_tag(members, value):
        return min(deeper, key=len)
    names = ", ".join(_type_name(m) for m in members)
    return [f"{where}: {_short(value)} fits none of {names}"]


def _has_tag(members: tuple[Any, ...], value: Any) -> bool:
    """Whether ``value`` has the ``type`` (or ``role``) key that tells the members apart."""
    if not isinstance(value, dict):
        return False
    for member in map(_unwrapped, members):
        if typing_extensions.is_typeddict(member):
            hints, _ = _fields(member)
            if any(tag in value and tag in hints for tag in ("type", "role")):
                return True
    return False


def _tag_matches(member: Any, value: Any) -> bool:
    """Whether ``member`` is a TypedDict whose ``type`` (or ``role``) literal is ``value``'s."""
    member = _unwrapped(member)
    if not (typing_extensions.is_typeddict(member) and isinstance(value, dict)):
        return False
    hints, _ = _fields(member)
    for tag in ("type", "role"):
        if tag in value and tag in hints:
            literal = _unwrapped(hints[tag])
            return typing.get_origin(literal) is typing.Literal and value[tag] in typing.get_args(
                literal
            )
    return False


@cache
def _fields(cls: Any) -> tuple[dict[str, Any], frozenset[str]]:
    """A TypedDict's field annotations, and the keys it requires.

    ``__required_keys__`` is not enough alone: with postponed annotations Python cannot see a
    ``Required[...]`` written in a ``total=False`` class, so those are read from the hints.
    """
    hints = typing.get_type_hints(cls, include_extras=True)
    required = set(cls.__required_keys__)
    for key, hint in hints.items():
        origin = typing.get_origin(hint)
        if origin is typing_extensions.Required:
            required.add(key)
        elif origin is typing_extensions.NotRequired:
            required.discard(key)
    return hints, frozenset(required)


def _unwrapped(annotation: Any) -> Any:
    while typing.get_origin(annotation) in (*_WRAPPERS, typing_extensions.Annotated):
        annotation = typing.get_args(annotation)[0]
    return annotation


def _is_scalar(annotation: type, value: Any) -> bool:
    if isinstance(value, bool):
        return annotation is bool
    if annotation is float:
        return isinstance(value, (int, float))
    return isinstance(value, annotation)


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else "a number"
    )


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def _type_name(annotation: Any) -> str:
    annotation = _unwrapped(annotation)
    return getattr(annotation, "__name__", None) or repr(annotation)


_WRAPPERS = {
    typing_extensions.Required,
    typing_extensions.NotRequired,
    typing_extensions.ReadOnly,
}
_SCALARS: dict[Any, str] = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "a boolean",
}
_LISTS = {
    list,
    collections.abc.Iterable,
    collections.abc.Sequence,
    collections.abc.Collection,
}
_MAPPINGS = {dict, collections.abc.Mapping}
_FILE_TYPES = {typing.IO, os.PathLike, bytes}  # the SDKs' file inputs, read and encoded by them


# -- bedrock: botocore's parameter validator on the service model ----------------------------


@cache
def _converse_stream_input() -> Any:
    # botocore has no type hints: reached through importlib, kept behind typed functions
    session: Any = importlib.import_module("botocore.session").get_session()
    return (
        session.get_service_model("bedrock-runtime").operation_model("ConverseStream").input_shape
    )


def _bedrock_check(body: Mapping[str, Any]) -> list[str]:
    # botocore takes blobs as bytes or str: the base64 text sent is a str, as it should be.
    validator: Any = importlib.import_module("botocore.validate").ParamValidator()
    report = validator.validate({"modelId": "m", **body}, _converse_stream_input())
    return report.generate_report().splitlines() if report.has_errors() else []


# -- gemini: google-genai's own pydantic models ----------------------------------------------


class _GenerateContentRequest(pydantic.BaseModel):
    """The ``streamGenerateContent`` body (the model is in the URL), field by genai type."""

    model_config = pydantic.ConfigDict(extra="forbid")

    contents: list[genai.Content] = pydantic.Field(alias="contents")
    system_instruction: genai.Content | None = pydantic.Field(None, alias="systemInstruction")
    tools: list[genai.Tool] | None = pydantic.Field(None, alias="tools")
    tool_config: genai.ToolConfig | None = pydantic.Field(None, alias="toolConfig")
    generation_config: genai.GenerationConfig | None = pydantic.Field(
        None, alias="generationConfig"
    )
    safety_settings: list[genai.SafetySetting] | None = pydantic.Field(None, alias="safetySettings")
    cached_content: str | None = pydantic.Field(None, alias="cachedContent")


def _gemini_check(body: Mapping[str, Any]) -> list[str]:
    text = json.dumps(body, ensure_ascii=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # genai warns (not fails) on an unknown enum value
        try:
            # Wire names only (camelCase); the snake_case field names are not what the API reads.
            _GenerateContentRequest.model_validate_json(
                text, strict=True, by_alias=True, by_name=False
            )
        except pydantic.ValidationError as error:
            return [
                f"{'.'.join(map(str, e['loc']))}: {e['msg']} (got {_short(e['input'])})"
                for e in error.errors(include_url=False)
            ]
    return [f"google-genai warned: {w.message}" for w in caught]


_VALIDATORS: dict[str, tuple[str, Callable[[Mapping[str, Any]], list[str]]]] = {
    "openai-chat": (
        "openai CompletionCreateParamsStreaming",
        _typed_dict_check(CompletionCreateParamsStreaming),
    ),
    "openai-responses": (
        "openai ResponseCreateParamsStreaming",
        _typed_dict_check(ResponseCreateParamsStreaming, lag=_responses_lag),
    ),
    "anthropic": (
        "anthropic MessageCreateParamsStreaming",
        _typed_dict_check(MessageCreateParamsStreaming, _ANTHROPIC_SAMPLING),
    ),
    "gemini": ("google-genai Content/Tool/ToolConfig/GenerationConfig", _gemini_check),
    "bedrock": ("botocore bedrock-runtime ConverseStreamRequest", _bedrock_check),
}

_ADAPTER_FORMATS: tuple[tuple[type[HTTPAdapter], str], ...] = (
    (OpenAIChatAdapter, "openai-chat"),
    (OpenAIResponsesAdapter, "openai-responses"),
    (AnthropicAdapter, "anthropic"),
    (GeminiAdapter, "gemini"),
    (BedrockAdapter, "bedrock"),
)
_BUILDERS: tuple[tuple[object, str], ...] = (
    (chat_request.build_body, "openai-chat"),
    (responses_request.build_body, "openai-responses"),
    (anthropic_request.build_body, "anthropic"),
    (gemini_request.build_body, "gemini"),
    (bedrock_request.build_body, "bedrock"),
)

"""The request options of ``stream()`` and ``call()``: their names and types, and how they join
an ``LLMRequest`` given whole.

``RequestOptions`` types the keyword arguments (``**options: Unpack[RequestOptions]``), so that
mypy catches ``max_token=``; at run time a name it does not list is a ``ConfigurationError``.
Options given with an ``LLMRequest`` are merged into it: none is dropped, and one the request
already sets to another value is refused rather than silently chosen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from typing_extensions import TypedDict

from rillet._exceptions import ConfigurationError
from rillet.protocol import LLMRequest, Message, ReasoningOptions, ToolDefinition

__all__ = [
    "REQUEST_OPTION_NAMES",
    "MessagesInput",
    "RequestOptions",
    "ToolsInput",
    "check_option_names",
    "merge_options",
]

MessagesInput = Sequence[Message | Mapping[str, Any]] | str
ToolsInput = Sequence[ToolDefinition | Mapping[str, Any]]


class RequestOptions(TypedDict, total=False):
    """The request fields ``stream()``, ``call()`` and ``build_request()`` take by keyword."""

    model: str | None
    tools: ToolsInput | None
    tool_choice: str | None
    max_tokens: int | None
    temperature: float | None
    top_p: float | None
    stop: str | Sequence[str] | None
    """One stop sequence, or several."""
    reasoning: ReasoningOptions | Mapping[str, Any] | None
    provider_options: Mapping[str, Any] | None


REQUEST_OPTION_NAMES = tuple(sorted(RequestOptions.__optional_keys__))


def check_option_names(options: Mapping[str, Any]) -> None:
    """A ``ConfigurationError`` naming every option that is not a request field, and the
    accepted ones (Python's own ``TypeError`` would name only the first, and not the rest)."""
    unknown = sorted(set(options) - set(REQUEST_OPTION_NAMES))
    if unknown:
        names = ", ".join(repr(name) for name in unknown)
        raise ConfigurationError(
            f"unknown request option {names}; accepted: {', '.join(REQUEST_OPTION_NAMES)}"
        )


def merge_options(request: LLMRequest, given: LLMRequest, names: Sequence[str]) -> LLMRequest:
    """``request`` with the fields ``names`` of ``given`` (the options, validated) merged in.

    A field the request leaves at its default takes the option; one it sets to the same value
    stays; one it sets to another value is a ``ConfigurationError`` naming the field.
    """
    update: dict[str, Any] = {}
    for name in names:
        default = LLMRequest.model_fields[name].get_default(call_default_factory=True)
        option, own = getattr(given, name), getattr(request, name)
        if option in (default, own):
            continue
        if own != default:
            raise ConfigurationError(
                f"{name} is set both by the LLMRequest{_shown(own)} and as an option"
                f"{_shown(option)}: give it once"
            )
        update[name] = option
    return request.model_copy(update=update) if update else request


def _shown(value: object) -> str:
    """`` (value)`` for a number or a short name; nothing for a list or an object, which may
    be long or hold what should not reach a message."""
    if isinstance(value, (int, float, str)) and len(str(value)) <= 60:
        return f" ({value!r})"
    return ""

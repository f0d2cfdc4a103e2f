"""The one rule for a tool call's arguments text, and the error that names every call breaking it.

The rule (``parse_tool_arguments``):

- empty or whitespace-only text means no arguments: ``{}``;
- any other text must be one strict JSON value, and that value an object. ``NaN``,
  ``Infinity`` and ``-Infinity`` (which Python's ``json`` reads) are refused, as are numbers too
  large for a double (``1e999``) and nesting too deep to read; of repeated keys the last one
  wins, as in JavaScript's ``JSON.parse``.

Text that breaks the rule raises ``InvalidToolArgumentsError`` whose message says what the text
is instead (``a JSON array, not an object``).
``invalid_arguments_error`` makes the one error for a response whose calls break it, naming each.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rillet._exceptions import InvalidToolArgumentsError

if TYPE_CHECKING:
    from rillet.protocol import LLMResponse, ToolCall

__all__ = [
    "InvalidToolCall",
    "arguments_to_send",
    "invalid_arguments_error",
    "parse_tool_arguments",
]


@dataclass(frozen=True)
class InvalidToolCall:
    """A tool call whose complete arguments are not a JSON object."""

    index: int
    """The call's position among the response's tool calls (the stream's index)."""
    id: str
    name: str
    raw_arguments: str
    """The arguments text exactly as the model sent it."""
    reason: str
    """What the text is instead, e.g. ``a JSON array, not an object``."""


def parse_tool_arguments(raw: str) -> dict[str, Any]:
    """The arguments ``raw`` holds, by the rule above; ``InvalidToolArgumentsError`` if none."""
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite_float)
    except json.JSONDecodeError as error:
        reason = f"not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
    except ValueError as error:  # NaN, 1e999, an integer of more digits than Python reads
        reason = f"not valid JSON: {error}"
    except RecursionError:
        reason = "not valid JSON: nested too deeply to read"
    else:
        if isinstance(value, dict):
            return value
        reason = f"{_json_kind(value)}, not an object"
    raise InvalidToolArgumentsError(reason, raw_arguments=raw)


def arguments_to_send(call: ToolCall) -> dict[str, Any]:
    """The arguments of ``call`` as a request sends them back: ``call.arguments``, else its raw
    text parsed; ``{}`` when that text breaks the rule (the call's tool result said so)."""
    if call.arguments:
        return dict(call.arguments)
    try:
        return parse_tool_arguments(call.raw_arguments)
    except InvalidToolArgumentsError:
        return {}


def invalid_arguments_error(
    calls: Sequence[InvalidToolCall], *, partial: LLMResponse | None = None
) -> InvalidToolArgumentsError:
    """The error for a response whose ``calls`` (one or more) have invalid arguments: its
    message lists each, ``invalid_calls`` holds them, the single-call fields give the first."""
    first = calls[0]
    count = f"{len(calls)} tool call" + ("s" if len(calls) > 1 else "")
    lines = [f"the arguments of {count} are not a JSON object:"]
    lines += [f"- {c.name!r} (index {c.index}, id {c.id!r}): {c.reason}" for c in calls]
    return InvalidToolArgumentsError(
        "\n".join(lines),
        raw_arguments=first.raw_arguments,
        tool_name=first.name,
        tool_call_id=first.id,
        index=first.index,
        partial=partial,
        invalid_calls=calls,
    )


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"{text} is too large for a number")
    return value


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "a JSON array"
    if isinstance(value, str):
        return "a JSON string"
    if isinstance(value, bool):
        return "a JSON boolean"
    if value is None:
        return "JSON null"
    return "a JSON number"

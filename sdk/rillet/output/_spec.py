"""``OutputSpec``: what ``output=X`` asks for, as the request carries it and as the answer is read.

``X`` is a pydantic model class, any type a pydantic ``TypeAdapter`` takes (``list[Item]``, a
``TypedDict``, ``int``), or a JSON Schema (a mapping). The spec gives:

- ``format``: the request's ``OutputFormat``: the schema (a root that is not an object wrapped
  as the one property ``value``, since strict modes and tool arguments need an object), its
  name, strictness and mode;
- ``parse(text)``: the final value, validated as ``X`` (a JSON Schema's value is checked as JSON
  only: the runtime has no JSON Schema validator, and the provider enforced it); an
  ``OutputValidationError`` with the raw text and what failed otherwise;
- ``unwrap(events)``: the parser's events as ``X``'s own paths (the wrapper's step removed), and
  ``target``: the type partial values are built for.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Generic, Literal, TypeVar, cast, overload

from pydantic import PydanticSchemaGenerationError, PydanticUserError, TypeAdapter, ValidationError

from rillet._exceptions import ConfigurationError, OutputValidationError
from rillet._generated.protocol.llm_request_schema import OutputMode
from rillet.output._parser import OutputEvent
from rillet.output._restore import JSON_KINDS, drop_forced_nulls
from rillet.protocol import LLMResponse, OutputFormat

__all__ = ["WRAPPER_KEY", "OutputModeName", "OutputSpec"]

T = TypeVar("T")
OutputModeName = Literal["auto", "native", "tool"]
WRAPPER_KEY = "value"
"""The property that holds an output whose root is not an object."""
_NAME = re.compile(r"[^A-Za-z0-9_-]+")


class OutputSpec(Generic[T]):
    """The structured output asked for; see the module docstring."""

    @overload
    def __init__(
        self: OutputSpec[dict[str, Any]],
        output: Mapping[str, Any],
        *,
        name: str | None = None,
        description: str | None = None,
        strict: bool = True,
        mode: OutputModeName = "auto",
    ) -> None: ...

    @overload
    def __init__(
        self,
        output: type[T],
        *,
        name: str | None = None,
        description: str | None = None,
        strict: bool = True,
        mode: OutputModeName = "auto",
    ) -> None: ...

    def __init__(
        self,
        output: type[T] | Mapping[str, Any],
        *,
        name: str | None = None,
        description: str | None = None,
        strict: bool = True,
        mode: OutputModeName = "auto",
    ) -> None:
        if mode not in ("auto", "native", "tool"):
            raise ConfigurationError(f"output_mode must be auto, native or tool, not {mode!r}")
        self._adapter: TypeAdapter[T] | None
        if isinstance(output, Mapping):
            schema = dict(output)
            self._adapter = None
            self.target: Any = None
            default_name = str(schema.get("title") or "output")
        else:
            try:
                self._adapter = TypeAdapter(output)
                schema = self._adapter.json_schema()
            except (PydanticSchemaGenerationError, PydanticUserError, TypeError) as error:
                raise ConfigurationError(
                    f"output={output!r} is neither a type pydantic can validate nor a JSON "
                    f"Schema: {error}"
                ) from None
            self.target = output
            default_name = output.__name__ if isinstance(output, type) else "output"
        self.schema: dict[str, Any] = schema
        """The schema as the caller's type gives it (not wrapped)."""
        self.wrapped = schema.get("type") != "object"
        sent = schema
        if self.wrapped:
            inner = {k: v for k, v in schema.items() if k != "$defs"}
            sent = {
                "type": "object",
                "properties": {WRAPPER_KEY: inner},
                "required": [WRAPPER_KEY],
                "additionalProperties": False,
            }
            if "$defs" in schema:
                sent["$defs"] = schema["$defs"]
        self.format = OutputFormat(
            name=_NAME.sub("_", name or default_name)[:64] or "output",
            json_schema=sent,
            description=description if description is not None else schema.get("description"),
            strict=strict,
            mode=OutputMode(mode),
            wrapped=self.wrapped,
        )

    @staticmethod
    def from_format(format: OutputFormat) -> OutputSpec[dict[str, Any]]:
        """The spec of an ``OutputFormat`` a request already carries (``LLMRequest(output=...)``):
        its value is JSON, checked as a JSON Schema's is, unwrapped when ``format.wrapped``."""
        spec: OutputSpec[dict[str, Any]] = OutputSpec.__new__(OutputSpec)
        schema = dict(format.json_schema)
        if format.wrapped:
            inner = schema.get("properties", {}).get(WRAPPER_KEY)
            if not isinstance(inner, Mapping):
                raise ConfigurationError(
                    f"the request's output is wrapped but its schema has no {WRAPPER_KEY!r} "
                    "property to hold the value"
                )
            schema = {**inner, **({"$defs": schema["$defs"]} if "$defs" in schema else {})}
        spec._adapter = None
        spec.target = None
        spec.schema = schema
        spec.wrapped = format.wrapped
        spec.format = format
        return spec

    @property
    def name(self) -> str:
        return self.format.name

    def parse(self, text: str, *, partial: LLMResponse | None = None) -> T:
        """The output ``text`` holds, validated; ``OutputValidationError`` if it is not."""
        try:
            value = json.loads(text, parse_constant=_refuse_constant)
        except ValueError as error:
            message = f"the output is not JSON: {error}"
            if not text.strip():
                message = "the output is empty: the model sent no text for it"
            raise OutputValidationError(
                message,
                raw_text=text,
                errors=[{"type": "json_invalid", "loc": (), "msg": str(error)}],
                partial=partial,
            ) from None
        if self.wrapped:
            if not isinstance(value, dict) or WRAPPER_KEY not in value:
                raise OutputValidationError(
                    f"the output has no {WRAPPER_KEY!r} property, which holds the value",
                    raw_text=text,
                    errors=[{"type": "missing", "loc": (WRAPPER_KEY,), "msg": "Field required"}],
                    partial=partial,
                )
            value = value[WRAPPER_KEY]
        value = drop_forced_nulls(value, self.schema)
        if self._adapter is None:
            return cast(T, _checked_kind(value, self.schema, text, partial))
        try:
            return self._adapter.validate_python(value)
        except ValidationError as error:
            first = error.errors(include_url=False)[0]
            where = ".".join(str(step) for step in first["loc"]) or "the output"
            raise OutputValidationError(
                f"the output does not fit {self.name} ({error.error_count()} error(s); "
                f"{where}: {first['msg']})",
                raw_text=text,
                errors=[dict(e) for e in error.errors(include_url=False)],
                partial=partial,
            ) from None

    def unwrap(self, events: Sequence[OutputEvent]) -> list[OutputEvent]:
        """``events`` at ``X``'s own paths: with a wrapped output, the wrapper object's events
        are dropped and the first step of every other path."""
        if not self.wrapped:
            return list(events)
        return [
            OutputEvent(event.path[1:], event.value, event.done)
            for event in events
            if event.path and event.path[0] == WRAPPER_KEY
        ]


def _checked_kind(
    value: Any, schema: Mapping[str, Any], text: str, partial: LLMResponse | None
) -> Any:
    kind = schema.get("type")
    expected = JSON_KINDS.get(str(kind))
    if expected is not None and not isinstance(value, expected):
        raise OutputValidationError(
            f"the output is not a JSON {kind}",
            raw_text=text,
            errors=[{"type": f"{kind}_type", "loc": (), "msg": f"Input should be a {kind}"}],
            partial=partial,
        )
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")

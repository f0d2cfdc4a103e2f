"""Tools the model may call: plain typed Python functions, or objects with a JSON Schema.

    def get_weather(city: str, unit: Literal["celsius", "fahrenheit"] = "celsius") -> dict:
        '''The current weather in a city.

        Args:
            city: The city's name, in English.
        '''

``Tool(get_weather)`` (or ``@tool``) takes the name from the function, the description from its
docstring (an ``Args:`` section gives each parameter its description) and the JSON Schema of the
arguments from the type hints, through a pydantic model built with ``create_model``. A function
whose only parameter is a pydantic model takes that model's schema, and receives an instance.
Arguments are validated against that model before the call (lax, as pydantic validates: ``"3"``
is a fine ``int``; unknown arguments are refused). Sync functions run in a worker thread, so
parallel calls overlap and a slow function never blocks the event loop (a cancelled run stops
waiting for such a call at once, but the thread runs the function to its end).

Any object with ``name``, ``description``, ``parameters`` (JSON Schema) and an async
``run(arguments)`` is a tool too (``AgentTool``); it validates its own arguments, and raising
``InvalidToolArgumentsError`` (or anything else) gives the model an error result.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import re
import typing
from collections.abc import Callable, Mapping
from typing import Any, Protocol, overload, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import CoreSchema, to_json

from rillet._exceptions import InvalidToolArgumentsError
from rillet.agent._callables import is_async_callable
from rillet.protocol import ToolDefinition

__all__ = ["AgentTool", "Tool", "ToolInput", "as_tool", "tool", "tool_output_text"]


@runtime_checkable
class AgentTool(Protocol):
    """What the runtime needs of a tool. ``Tool`` is one; any object with these is another."""

    @property
    def name(self) -> str:
        """The name the model calls it by."""
        ...

    @property
    def description(self) -> str | None:
        """What it does, for the model."""
        ...

    @property
    def parameters(self) -> dict[str, Any]:
        """The JSON Schema of its arguments object."""
        ...

    async def run(self, arguments: dict[str, Any]) -> object:
        """Validate ``arguments`` and run; the value returned is sent to the model as text."""
        ...


ToolInput = AgentTool | Callable[..., Any]
"""What ``with_tools`` accepts: a tool object, or a plain typed function (sync or async)."""


class _NoFieldTitles(GenerateJsonSchema):
    """JSON Schema without the ``title`` pydantic derives from each field name (noise to a model)."""

    def field_title_should_be_set(self, schema: CoreSchema) -> bool:
        return False


_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what every provider accepts
_SECTION = re.compile(r"^(Args|Arguments|Parameters|Params|Returns|Raises|Yields|Examples?):\s*$")
_ARG_LINE = re.compile(r"^(\*{0,2}\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")


def _parse_docstring(doc: str) -> tuple[str | None, dict[str, str]]:
    """The description (without the ``Args:`` block) and each parameter's description."""
    kept: list[str] = []
    params: dict[str, str] = {}
    in_args, current = False, None
    for line in doc.splitlines():
        header = _SECTION.match(line.strip()) if not line.startswith((" ", "\t")) else None
        if header is not None:
            in_args = header.group(1) in {"Args", "Arguments", "Parameters", "Params"}
            current = None
            if not in_args:
                kept.append(line)
            continue
        if not in_args:
            kept.append(line)
            continue
        stripped = line.strip()
        match = _ARG_LINE.match(stripped)
        if match is not None and len(line) - len(line.lstrip()) <= 4:
            current = match.group(1).lstrip("*")
            params[current] = match.group(2).strip()
        elif stripped and current is not None:
            params[current] = f"{params[current]} {stripped}".strip()
        elif not stripped:
            current = None
    description = "\n".join(kept).strip() or None
    return description, params


def _is_model(annotation: object) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


class Tool:
    """A Python function as a tool: schema from its type hints, validation before each call.

    ``name`` and ``description`` override what the function gives. ``run_in_thread=False``
    calls a sync function on the event loop (for quick functions that touch loop-bound state).
    Calling the ``Tool`` itself calls the function unchanged, so ``@tool`` keeps it usable.
    """

    def __init__(
        self,
        func: Callable[..., Any],
        *,
        name: str | None = None,
        description: str | None = None,
        run_in_thread: bool = True,
    ) -> None:
        if not callable(func):
            raise TypeError(f"a tool must be callable, not {type(func).__name__}")
        self.func = func
        self.name: str = name or getattr(func, "__name__", None) or type(func).__name__
        if not _NAME.fullmatch(self.name):
            raise ValueError(
                f"{self.name!r} cannot be a tool name (letters, digits, _ and -, at most 64): "
                "pass name=..."
            )
        doc_description, param_docs = _parse_docstring(inspect.getdoc(func) or "")
        self.description: str | None = description or doc_description
        self._async = is_async_callable(func)
        self._run_in_thread = run_in_thread
        self._model, self._fields, self._whole_model = self._arguments_model(func, param_docs)
        schema = self._model.model_json_schema(schema_generator=_NoFieldTitles)
        if not self._whole_model:
            schema.pop("title", None)
        self.parameters: dict[str, Any] = schema
        functools.update_wrapper(self, func, updated=())

    def _arguments_model(
        self, func: Callable[..., Any], param_docs: Mapping[str, str]
    ) -> tuple[type[BaseModel], list[tuple[str, str, bool]], bool]:
        """The pydantic model of the arguments; each field's (name, parameter, positional)."""
        signature = inspect.signature(func)
        target: Any = func
        while isinstance(target, functools.partial):
            target = target.func
        if not inspect.isroutine(target):
            target = type(target).__call__  # a callable object: its __call__'s hints
        hints = typing.get_type_hints(target, include_extras=True)
        parameters = list(signature.parameters.values())
        for parameter in parameters:
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                raise TypeError(
                    f"tool {self.name!r}: *args and **kwargs cannot be described to a model"
                )
        if len(parameters) == 1 and _is_model(hints.get(parameters[0].name)):
            only = parameters[0]
            model: type[BaseModel] = hints[only.name]
            return model, [("", only.name, only.kind is only.POSITIONAL_ONLY)], True
        fields: dict[str, Any] = {}
        names: list[tuple[str, str, bool]] = []
        for position, parameter in enumerate(parameters):
            # fields are arg0, arg1, ... with the parameter's name as the alias, so a parameter
            # may be called ``schema``, ``json`` or ``_x`` without clashing with BaseModel's own
            field_name = f"arg{position}"
            annotation = hints.get(parameter.name, Any)
            default = ... if parameter.default is parameter.empty else parameter.default
            described = param_docs.get(parameter.name)  # else keep an Annotated description
            info = (
                Field(default, alias=parameter.name, description=described)
                if described
                else Field(default, alias=parameter.name)
            )
            fields[field_name] = (annotation, info)
            names.append((field_name, parameter.name, parameter.kind is parameter.POSITIONAL_ONLY))
        model = create_model(
            f"{self.name}_arguments", __config__=ConfigDict(extra="forbid"), **fields
        )
        return model, names, False

    @property
    def definition(self) -> ToolDefinition:
        """What the model is told about the tool."""
        return ToolDefinition(
            name=self.name, description=self.description, parameters=self.parameters
        )

    def __repr__(self) -> str:
        return f"Tool(name={self.name!r})"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.func(*args, **kwargs)

    def bind(self, arguments: Mapping[str, Any]) -> tuple[list[Any], dict[str, Any]]:
        """Validate ``arguments``: the positional and keyword arguments to call the function with.

        Raises ``InvalidToolArgumentsError`` saying, field by field, what is wrong.
        """
        try:
            validated = self._model.model_validate(arguments)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in item['loc']) or 'arguments'}: {item['msg']}"
                for item in error.errors(include_url=False)
            )
            raise InvalidToolArgumentsError(
                f"invalid arguments for tool {self.name!r}: {problems}",
                raw_arguments=json.dumps(dict(arguments), ensure_ascii=False, default=str),
                tool_name=self.name,
            ) from None
        if self._whole_model:
            _, parameter, positional = self._fields[0]
            return ([validated], {}) if positional else ([], {parameter: validated})
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for field_name, parameter, positional in self._fields:
            value = getattr(validated, field_name)
            if positional:
                args.append(value)
            elif field_name in validated.model_fields_set:
                kwargs[parameter] = value
            # else: not given, so the function's own default applies (a mutable one included)
        return args, kwargs

    async def run(self, arguments: dict[str, Any]) -> object:
        """Validate ``arguments`` and call the function (a sync one in a worker thread)."""
        args, kwargs = self.bind(arguments)
        if self._async:
            return await self.func(*args, **kwargs)
        if self._run_in_thread:
            return await asyncio.to_thread(self.func, *args, **kwargs)
        value = self.func(*args, **kwargs)
        return await value if inspect.isawaitable(value) else value


@overload
def tool(func: Callable[..., Any], /) -> Tool: ...


@overload
def tool(
    *, name: str | None = None, description: str | None = None, run_in_thread: bool = True
) -> Callable[[Callable[..., Any]], Tool]: ...


def tool(
    func: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    run_in_thread: bool = True,
) -> Tool | Callable[[Callable[..., Any]], Tool]:
    """Decorator: ``@tool`` or ``@tool(name=..., description=...)`` makes a ``Tool``."""

    def wrap(target: Callable[..., Any]) -> Tool:
        return Tool(target, name=name, description=description, run_in_thread=run_in_thread)

    return wrap(func) if func is not None else wrap


def as_tool(value: ToolInput) -> AgentTool:
    """A tool object as it is; a plain function wrapped in a ``Tool``."""
    if isinstance(value, AgentTool):
        return value
    if callable(value):
        return Tool(value)
    raise TypeError(f"not a tool: {value!r}")


def tool_output_text(value: object) -> str:
    """A tool's return value as the text the model reads: strings as they are, else JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    return to_json(value, fallback=str).decode()

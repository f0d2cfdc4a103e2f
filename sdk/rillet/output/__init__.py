"""Structured output: the answer asked for as JSON that fits a type, read as typed values.

    async with client.stream(messages, output=Order) as stream:
        async for event in stream.output_events():   # OutputEvent(path, value, done)
            ...
        stream.partial_output                        # an Order holding the fields seen so far
        order = await stream.get_output()            # the validated Order

- ``OutputSpec``: what ``output=X`` asks for (a pydantic model, any type a ``TypeAdapter``
  takes, or a JSON Schema) and how the answer is read back;
- ``OutputEvent``: one step of the streamed JSON (a string's new fragment, a whole number, an
  object opened or closed), at its path;
- ``StructuredStream`` / ``StructuredResponse``: the stream and the response with ``output``;
- ``completed(obj, field=None)``: whether a partial model, or one of its fields, is whole.

The JSON is read delta by delta in one pass (``JSONStreamParser``), never re-parsed: following
a long answer costs time in proportion to its length, not its square.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rillet.output._parser import JSONStreamParser, OutputEvent
from rillet.output._partial import completed
from rillet.output._spec import OutputSpec

if TYPE_CHECKING:
    from rillet.output._stream import StructuredResponse, StructuredStream

__all__ = [
    "JSONStreamParser",
    "OutputEvent",
    "OutputSpec",
    "StructuredResponse",
    "StructuredStream",
    "completed",
]


def __getattr__(name: str) -> Any:
    # The stream classes sit above the accumulator, which reads tool arguments with this
    # package's parser: importing them here eagerly would be an import cycle.
    if name in ("StructuredResponse", "StructuredStream"):
        from rillet.output import _stream

        return getattr(_stream, name)
    raise AttributeError(f"module 'rillet.output' has no attribute {name!r}")

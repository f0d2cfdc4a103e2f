"""What every provider's pure wire-to-chunk mapping looks like, and its shared helpers."""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, Generic, Protocol, TypeVar, cast

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import SchemaValidator

from rillet._error_kinds import ErrorTypes, classify
from rillet._exceptions import MalformedStreamError
from rillet._redact import redact_text, redact_value
from rillet.protocol import ErrorChunk, StreamChunk
from rillet.transport import Frame

__all__ = [
    "NO_CHUNKS",
    "UNKNOWN_TAG",
    "Ordinals",
    "Unread",
    "WireMapper",
    "decode",
    "decode_dict",
    "not_a_response",
    "stream_error_chunk",
    "tag_by_type",
]

_log = logging.getLogger("rillet.providers")

NO_CHUNKS: Sequence[StreamChunk] = ()
"""What a handler returns when an event adds nothing (shared, so no list is built)."""

ModelT = TypeVar("ModelT", bound=BaseModel)
DictT = TypeVar("DictT")


class _Validator(Protocol):
    def validate_json(self, data: str, /) -> object: ...


class WireMapper(Protocol):
    """Frames in, chunks out: no I/O, one instance per response.

    ``feed`` maps one frame (an SSE event, or one element of a JSON array); a whole response
    object (a server that ignores ``stream: true``) is one frame, mapped to every chunk its
    stream would have given. ``finish`` is called at a clean end of the body: it returns the
    terminal chunk when the provider's stream may end without a terminal event, and raises
    ``StreamInterruptedError`` when the body ended before the provider said it was complete
    (``MalformedStreamError`` when nothing in it was the stream or the whole response).
    """

    def feed(self, frame: Frame) -> Sequence[StreamChunk]: ...

    def finish(self) -> Sequence[StreamChunk]: ...


def decode(model: type[ModelT], data: str) -> ModelT:
    """Validate one frame's JSON straight into a wire model, or raise ``MalformedStreamError``.

    The model's validator is called directly: ``model_validate_json`` does exactly this after
    checking options we never pass, and that wrapper's cost shows on a small frame.
    """
    return cast(ModelT, _validate(model.__pydantic_validator__, data))


class Unread(Generic[DictT]):
    """``adapter``'s validation less the fields ``unread`` names (for each generated TypedDict,
    its subclasses too): what a stream's later frames are read with, when they repeat fields
    the first one gave (the response's id and model) or carry ones nothing reads. Everything
    else is checked as the schema says; the fields left out are not even built (a quarter of
    the validation of an OpenAI chunk, a fifth of a Gemini frame's), so their values, right or
    wrong, are ignored, as unknown fields are. ``validator`` quacks as a ``TypeAdapter``'s. A
    name the schema does not have is a ``ValueError`` at once (a field renamed in the schema
    must not leave a stale name here that silently does nothing)."""

    __slots__ = ("validator",)

    def __init__(self, adapter: TypeAdapter[DictT], unread: Mapping[type, Collection[str]]) -> None:
        schema = copy.deepcopy(adapter.core_schema)
        left_out: set[str] = set()
        _leave_out(schema, unread, left_out)
        named = {f"{owner.__name__}.{name}" for owner, names in unread.items() for name in names}
        if missing := sorted(named - left_out):
            raise ValueError(f"no such fields in {adapter}: {', '.join(missing)}")
        self.validator = SchemaValidator(schema)


def _leave_out(schema: object, unread: Mapping[type, Collection[str]], done: set[str]) -> None:
    if isinstance(schema, dict):
        cls = schema.get("cls")
        if schema.get("type") == "typed-dict" and isinstance(cls, type):
            fields = schema["fields"]
            lineage = _typed_dict_lineage(cls)
            for owner, names in unread.items():
                if owner in lineage:
                    for name in names:
                        if fields.pop(name, None) is not None:
                            done.add(f"{owner.__name__}.{name}")
        for value in schema.values():
            _leave_out(value, unread, done)
    elif isinstance(schema, list):
        for value in schema:
            _leave_out(value, unread, done)


def _typed_dict_lineage(cls: type) -> set[type]:
    """``cls`` and the TypedDicts it extends (which a TypedDict's ``__mro__`` does not list)."""
    found = {cls}
    for base in getattr(cls, "__orig_bases__", ()):
        if isinstance(base, type) and base is not dict:
            found |= _typed_dict_lineage(base)
    return found


def decode_dict(adapter: TypeAdapter[DictT] | Unread[DictT], data: str) -> DictT:
    """``decode`` for a generated TypedDict (``rillet._generated.wire_dicts``): the very same
    validation, into plain dicts (no model instance built per JSON object)."""
    try:  # once per frame: the validator is called here, not through _validate
        return adapter.validator.validate_json(data)  # type: ignore[no-any-return]  # no cast() call
    except ValidationError as error:
        raise _malformed(data, error) from error


def _validate(validator: _Validator, data: str) -> object:
    try:
        return validator.validate_json(data)
    except ValidationError as error:
        raise _malformed(data, error) from error


def _malformed(data: str, error: ValidationError) -> MalformedStreamError:
    """The error for a frame that failed validation, quoting the start of it."""
    # The transport already took the request's credentials out of ``data``; key shapes too.
    text = redact_text(data)
    snippet = text if len(text) <= 200 else text[:200] + "..."
    kind = "invalid JSON" if _is_json_error(error) else f"not a valid {error.title}"
    return MalformedStreamError(f"{kind} in the stream: {snippet!r}")


def _is_json_error(error: ValidationError) -> bool:
    return any(item["type"] == "json_invalid" for item in error.errors())


def not_a_response(expected: str, data: str) -> MalformedStreamError:
    """The error for a 200 body that is neither the provider's stream nor its whole response
    (``expected`` names both), quoting the frame that shows it."""
    quoted = redact_text(data if len(data) <= 200 else data[:200] + "...")
    return MalformedStreamError(f"the response is not {expected}: {quoted!r}")


def skip_unknown(kind: str, name: str) -> Sequence[StreamChunk]:
    """Unknown event or part types are skipped, never fatal: providers add them all the time."""
    _log.debug("skipping unknown %s %r", kind, name)
    return NO_CHUNKS


def stream_error_chunk(
    types: ErrorTypes,
    message: str,
    *,
    status: int | None = None,
    error_type: str | None = None,
    raw: object = None,
) -> ErrorChunk:
    """The terminal chunk for an error sent inside a 200 stream: classified exactly as the same
    status and error type would be over HTTP. ``status`` is the one the body names, if any;
    ``raw`` is the error body as sent. Key-shaped text is redacted from both, as from an HTTP
    error body (the transport already took the request's own credentials out)."""
    kind = classify(status, error_type, types, raw)
    return ErrorChunk(
        code=kind.code,
        message=redact_text(message),
        retryable=kind.retryable,
        status_code=status,
        error_type=error_type,
        provider_error=redact_value(raw),
    )


class Ordinals:
    """Numbers positions in the order they are first seen: the first position asked for is 0,
    the next new one 1, and so on. A reasoning chunk's ``index`` is the ordinal of its block
    among the response's reasoning blocks, whatever position the provider gives the block."""

    __slots__ = ("_count", "_ordinals")

    def __init__(self) -> None:
        self._ordinals: dict[int, int] = {}
        self._count = 0

    def __call__(self, position: int) -> int:
        ordinal = self._ordinals.get(position)
        if ordinal is None:
            ordinal = self.new(position)
        return ordinal

    def new(self, position: int) -> int:
        """A new block at ``position`` (seen before or not): the next ordinal, which the
        position gives from now on."""
        ordinal = self._ordinals[position] = self._count
        self._count += 1
        return ordinal


UNKNOWN_TAG = "unknown"
"""The tag ``tag_by_type`` gives a value of a type it was not told about (the catch-all)."""


def tag_by_type(known: frozenset[str]) -> Callable[[Any], str]:
    """A pydantic ``Discriminator`` for a union that ends in a catch-all: the member is picked
    from the value's ``type`` (a dict's key or a model's field), and a type not in ``known``
    goes to the member tagged ``UNKNOWN_TAG``. Smart mode would try every member, and a known
    value with a wrongly typed field would validate as the catch-all, its data lost."""

    def tag(value: Any) -> str:
        kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
        # a type that is no string (even an unhashable object) goes to the catch-all, which
        # rejects it as malformed
        return kind if isinstance(kind, str) and kind in known else UNKNOWN_TAG

    return tag

"""The generated ``ChatCompletionChunk`` and ``ChatCompletion`` TypedDicts, their content parts
told apart by ``type``.

The generated ``ChoiceDelta`` types a list ``content`` as a plain union ending in the
``UnknownContentPart`` catch-all: pydantic's smart mode would try every member, and a known part
with a wrongly typed field would validate as the catch-all and be skipped, its text lost. This
view keeps the very same member types and picks the one to validate from the part's ``type`` (an
unknown type goes to the catch-all); the rest of the frame is the generated TypedDicts as they are.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Discriminator, Tag, TypeAdapter

from rillet._generated.wire_dicts import openai_chat_schema as wire
from rillet._generated.wire_dicts.openai_chat_schema import (
    ChoiceDelta,
    ChunkChoice,
    CompletionChoice,
    CompletionMessage,
    TextContentPart,
    ThinkingContentPart,
    UnknownContentPart,
)
from rillet.providers._mapper import UNKNOWN_TAG, Unread, tag_by_type

__all__ = ["CHUNK", "COMPLETION", "LATER_CHUNK"]

_PART_TYPES = frozenset({"text", "thinking"})


_Part = Annotated[
    Annotated[TextContentPart, Tag("text")]
    | Annotated[ThinkingContentPart, Tag("thinking")]
    | Annotated[UnknownContentPart, Tag(UNKNOWN_TAG)],
    Discriminator(tag_by_type(_PART_TYPES)),
]


class _Delta(ChoiceDelta, total=False):
    content: str | list[_Part] | None  # the same union, told apart by ``type``


class _Choice(ChunkChoice, total=False):
    delta: _Delta | None


class ChatCompletionChunk(wire.ChatCompletionChunk, total=False):
    """Named as the generated one: validation errors show this name."""

    choices: list[_Choice] | None


CHUNK: TypeAdapter[wire.ChatCompletionChunk] = TypeAdapter(ChatCompletionChunk)
"""``chat.completion.chunk`` (or an in-stream error line), list content parts told apart by
``type``."""


LATER_CHUNK: Unread[wire.ChatCompletionChunk] = Unread(
    CHUNK,
    {
        # The first chunk gave the response's id and model; nothing reads these again.
        wire.ChatCompletionChunk: (
            "id",
            "object",
            "created",
            "model",
            "system_fingerprint",
            "service_tier",
            "provider",
        ),
        ChunkChoice: ("logprobs",),  # not part of the neutral stream
    },
)
"""``CHUNK`` for the chunks after the first: the fields above are not read, so not built (a
handler that starts reading one takes it off this list)."""


class _Message(CompletionMessage, total=False):
    content: str | list[_Part] | None  # the same union, told apart by ``type``


class _CompletionChoice(CompletionChoice, total=False):
    message: _Message | None


class ChatCompletion(wire.ChatCompletion, total=False):
    """Named as the generated one: validation errors show this name."""

    choices: list[_CompletionChoice] | None


COMPLETION: TypeAdapter[wire.ChatCompletion] = TypeAdapter(ChatCompletion)
"""A whole ``chat.completion`` (a server that does not stream), list content parts told apart
by ``type``."""

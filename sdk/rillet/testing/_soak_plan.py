"""What each stream of the soak gets, and what it must give: a pure function of a seeded RNG.

A stream is one call through a real adapter (OpenAI Chat over SSE, or Gemini's JSON array) to a
``FaultServer`` that answers each attempt with a scripted ``Reply``: zero to two failures before
the body (retryable and final statuses, stalls before the headers or the first byte, bytes that
break HTTP, an HTML page), then replies whose body may be cut, reset, stalled, corrupted, ended
early, or hold an in-stream error; as long as the retries last, a failure before the first body
byte (a retryable one) is followed by another reply. The expected outcome is computed here from
the bytes of the body and where the fault falls, independently of rillet's decoders and error
table: the whole text, or the error's class, ``retryable`` and partial text (exactly the text of
the frames complete before the fault), and how many requests the server must see.
"""

from __future__ import annotations

import gzip
import json
import random
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from rillet._exceptions import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    HTTPProtocolError,
    IdleTimeoutError,
    InternalServerError,
    MalformedStreamError,
    NotFoundError,
    OverloadedError,
    PermissionDeniedError,
    RateLimitError,
    RilletError,
    StreamInterruptedError,
)
from rillet.emulator.reply_server import Reply

__all__ = ["CONSUMERS", "WIRES", "Expected", "Plan", "plan_stream"]

Wire = Literal["sse", "json"]
WIRES: tuple[Wire, ...] = ("sse", "json")
"""OpenAI Chat over server-sent events; Gemini's streamed JSON array."""
Consumer = Literal["read", "slow", "break", "cancel", "aclose"]
CONSUMERS: tuple[Consumer, ...] = ("read", "slow", "break", "cancel", "aclose")
"""Reads to the end; sleeps at every chunk; breaks out of the loop, has its task cancelled, or
calls ``aclose()`` and reads on, after ``stop_after`` chunks."""

IDLE = 1.0  # the soak's idle timeout: every stall costs this much wall time
STALL = 30.0  # a stall the server would hold far longer than the idle timeout
FAULT_DELAY = 0.1  # a pause before a cut, longer than a slow consumer takes to read a body
_WORDS = [
    "Hello",
    " world",
    ",",
    " é",
    " 日本語",
    " 🙂",
    ' "quoted"',
    " back\\slash",
    " a\nb",
    " ]}",
]
# Written out, not taken from rillet._error_kinds: the soak checks that table too.
_STATUS_ERRORS: dict[int, type[RilletError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
    500: InternalServerError,
    503: OverloadedError,
    529: OverloadedError,
}
_RETRYABLE_STATUSES = (429, 500, 503, 529)
_FINAL_STATUSES = (400, 401, 403, 404)


@dataclass(frozen=True)
class Expected:
    """What a stream that is read to its end must give."""

    text: str
    """The whole text, or the error's partial text."""
    error: type[RilletError] | None = None
    retryable: bool = False
    requests: int = 1


@dataclass(frozen=True)
class Plan:
    """One stream: its wire format, the server's replies, the consumer, what it must give."""

    index: int
    wire: Wire
    replies: tuple[Reply, ...]
    expected: Expected
    consumer: Consumer
    stop_after: int
    """Chunks a rude consumer reads before it stops."""
    max_retries: int
    keep_frames: bool
    faults: tuple[str, ...]
    """What each reply does, in a few words, for the report."""

    @property
    def model(self) -> str:
        """The model name the stream asks for: the server finds the stream's script by it."""
        return f"soak-{self.index}"

    @property
    def deadline(self) -> float:
        """Seconds after which the stream counts as hung."""
        attempts = len(self.replies)
        dripping = sum(len(reply.body) * reply.chunk_delay for reply in self.replies)
        return 10.0 + attempts * (IDLE + FAULT_DELAY + 0.5) + dripping


_Kind = Literal["content", "error", "finish", "done"]


@dataclass(frozen=True)
class _Piece:
    """One frame of a body: where it starts and ends, its text, what it does."""

    start: int
    end: int
    text: str
    kind: _Kind = "content"


@dataclass
class _Body:
    wire: Wire
    data: bytes = b""
    pieces: list[_Piece] = field(default_factory=list)

    def add(self, frame: bytes, text: str = "", kind: _Kind = "content", *, at: int = 0) -> None:
        """Append ``frame``, whose first ``at`` bytes are the separator before it."""
        start = len(self.data) + at
        self.data += frame
        self.pieces.append(_Piece(start, len(self.data), text, kind))

    @property
    def text(self) -> str:
        return "".join(piece.text for piece in self.pieces if piece.kind != "error")


def plan_stream(rng: random.Random, index: int) -> Plan:
    """The plan of stream ``index``; the same RNG state gives the same plan."""
    wire = rng.choice(WIRES)
    body = _sse_body(rng) if wire == "sse" else _json_body(rng)
    max_retries = rng.choice((0, 1, 2, 2))
    failures_first = rng.choice((0, 0, 1, 2))
    replies: list[Reply] = []
    faults: list[str] = []
    while True:
        if len(replies) < failures_first:
            reply, attempt = _pre_body_failure(rng, wire)
        else:
            reply, attempt = _final_reply(rng, wire, body)
        replies.append(reply)
        faults.append(attempt.fault)
        if not attempt.retried or len(replies) > max_retries:
            expected = replace(attempt.expected, requests=len(replies))
            return _plan(rng, index, wire, replies, expected, max_retries, faults)


@dataclass(frozen=True)
class _Attempt:
    """What one reply amounts to: the outcome if it is the last, and whether it is retried."""

    expected: Expected
    fault: str
    retried: bool = False


def _plan(
    rng: random.Random,
    index: int,
    wire: Wire,
    replies: list[Reply],
    expected: Expected,
    max_retries: int,
    faults: list[str],
) -> Plan:
    consumer = rng.choice(CONSUMERS)
    return Plan(
        index=index,
        wire=wire,
        replies=tuple(replies),
        expected=expected,
        consumer=consumer,
        stop_after=rng.randint(1, 12),
        max_retries=max_retries,
        keep_frames=rng.random() < 0.8,
        faults=tuple(faults),
    )


# -- bodies ------------------------------------------------------------------------------------


def _words(rng: random.Random) -> list[str]:
    return [rng.choice(_WORDS) for _ in range(rng.randint(1, 24))]


def _sse_body(rng: random.Random) -> _Body:
    """OpenAI Chat: a role frame, a frame per word, the finish frame, ``[DONE]``; maybe an
    in-stream error instead of a word."""
    body = _Body("sse")
    words = _words(rng)
    error_at = rng.randrange(len(words)) if rng.random() < 0.1 else None

    def frame(delta: dict[str, str], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        chunk = {"id": "chatcmpl-soak", "object": "chat.completion.chunk", "created": 0}
        data = json.dumps({**chunk, "model": "soak", "choices": [choice]})
        return f"data: {data}\n\n".encode()

    body.add(frame({"role": "assistant", "content": ""}))
    for i, word in enumerate(words):
        if i == error_at:
            error = {"error": {"message": "slow down", "type": "rate_limit_error"}}
            body.add(f"data: {json.dumps(error)}\n\n".encode(), kind="error")
        body.add(frame({"content": word}), word)
    body.add(frame({}, "stop"), kind="finish")
    body.add(b"data: [DONE]\n\n", kind="done")
    return body


def _json_body(rng: random.Random) -> _Body:
    """Gemini: one element per word, the last with its finish reason, compact or laid out as
    Gemini lays it out; maybe an in-stream error instead of a word."""
    body = _Body("json")
    words = _words(rng)
    pretty = rng.random() < 0.5
    error_at = rng.randrange(len(words)) if rng.random() < 0.1 else None

    def element(value: Mapping[str, object]) -> bytes:
        return json.dumps(value, indent=2 if pretty else None).encode()

    body.data = b"["
    separator = b"\n,\r\n" if pretty else b","
    for i, word in enumerate(words):
        gap = separator if body.pieces else b""
        if i == error_at:
            error = {"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED"}}
            body.add(gap + element(error), kind="error", at=len(gap))
            gap = separator
        candidate: dict[str, object] = {"content": {"parts": [{"text": word}], "role": "model"}}
        last = i == len(words) - 1
        if last:
            candidate["finishReason"] = "STOP"
        kind: _Kind = "finish" if last else "content"
        body.add(gap + element({"candidates": [candidate]}), word, kind, at=len(gap))
    body.data += b"]"
    return body


# -- replies -----------------------------------------------------------------------------------


def _pre_body_failure(rng: random.Random, wire: Wire) -> tuple[Reply, _Attempt]:
    """A reply that fails before any body byte."""
    kind = rng.choices(
        ("retryable status", "final status", "should-retry", "stall", "protocol", "html"),
        weights=(5, 2, 1, 2, 1, 1),
    )[0]
    error = Reply(
        content_type="application/json",
        body=json.dumps({"error": {"message": "scripted fault"}}).encode(),
    )
    if kind in ("retryable status", "final status"):
        status = rng.choice(_RETRYABLE_STATUSES if kind == "retryable status" else _FINAL_STATUSES)
        headers = {"retry-after-ms": "1"} if status == 429 else {}
        retryable = status in _RETRYABLE_STATUSES
        return replace(error, status=status, headers=headers), _failed(
            f"status {status}", _STATUS_ERRORS[status], retryable
        )
    if kind == "should-retry":  # the server's x-should-retry overrides the status's rule
        if rng.random() < 0.5:
            reply = replace(error, status=503, headers={"x-should-retry": "false"})
            return reply, _failed("status 503, x-should-retry: false", OverloadedError, False)
        reply = replace(error, status=400, headers={"x-should-retry": "true"})
        return reply, _failed("status 400, x-should-retry: true", BadRequestError, True)
    if kind == "html":  # a proxy's or portal's page, not the provider
        reply = Reply(body=b"<html><title>Sign in</title></html>", content_type="text/html")
        return reply, _failed("a 200 html page", MalformedStreamError, False)
    content_type = "text/event-stream" if wire == "sse" else "application/json"
    stream = Reply(body=b"[", content_type=content_type)
    if kind == "stall":
        if rng.random() < 0.5:
            reply = replace(stream, headers_delay=STALL)
            return reply, _failed("stall before the headers", IdleTimeoutError, True)
        reply = replace(stream, stall_after=0, stall_for=STALL)
        return reply, _failed("stall before the first byte", IdleTimeoutError, True)
    if rng.random() < 0.5:
        reply = replace(stream, headers={"x-big": "a" * 100_000})
        return reply, _failed("100 KB header", HTTPProtocolError, False)
    reply = replace(stream, body=b"data: x\n\n", headers={"Content-Encoding": "gzip"})
    return reply, _failed("gzip header on a plain body", HTTPProtocolError, False)


def _failed(fault: str, error: type[RilletError], retryable: bool) -> _Attempt:
    """A failure before the body: retried when retryable, while retries are left."""
    return _Attempt(Expected("", error, retryable), fault, retried=retryable)


def _final_reply(rng: random.Random, wire: Wire, body: _Body) -> tuple[Reply, _Attempt]:
    """A reply that sends a body, maybe with a fault in it."""
    gzipped = rng.random() < 0.15
    wire_bytes = gzip.compress(body.data, mtime=0) if gzipped else body.data
    chunks = _chunks(rng, len(wire_bytes))
    reply = Reply(
        body=body.data,
        content_type="text/event-stream" if wire == "sse" else "application/json",
        gzip=gzipped,
        content_length=rng.random() < 0.2,
        chunks=chunks,
        chunk_delay=rng.choice((0.0, 0.0, 0.002)) if chunks != "drip" else 0.0,
        headers_delay=rng.choice((0.0, 0.0, 0.0, 0.01)),
        fault_delay=FAULT_DELAY,
    )
    kind = rng.choices(
        ("no fault", "truncate", "reset", "stall", "corrupt", "end early"),
        weights=(4, 2, 2, 1, 1, 1),
    )[0]
    if kind == "no fault":
        return reply, _Attempt(_settle(body, len(body.data), None), kind)
    if kind == "end early":
        cut = _clean_cut(rng, body)
        early = replace(reply, body=body.data[:cut], gzip=False, chunks="whole")
        return early, _Attempt(_settle(body, cut, None), "body ends early")
    if kind == "corrupt":  # outside a chunked framing the bytes would be body bytes
        reply = replace(reply, content_length=False)
    at = rng.randint(1, len(wire_bytes))
    if reply.content_length and at == len(wire_bytes):
        return reply, _Attempt(_settle(body, len(body.data), None), "no fault")  # body whole
    fault: type[RilletError] = StreamInterruptedError
    if kind == "truncate":
        reply = replace(reply, truncate_after=at)
    elif kind == "reset":
        reply = replace(reply, reset_after=at)
    elif kind == "stall":
        fault, reply = IdleTimeoutError, replace(reply, stall_after=at, stall_for=STALL)
    else:
        fault, reply = HTTPProtocolError, replace(reply, corrupt_after=at, stall_for=STALL)
    received = _decoded_length(wire_bytes[:at]) if gzipped else at
    if received == 0:
        # Gzip bytes that decode to nothing yet: for the client the body has not begun.
        if fault is HTTPProtocolError:
            return reply, _failed(f"{kind} before the first byte", fault, False)
        error = IdleTimeoutError if fault is IdleTimeoutError else APIConnectionError
        return reply, _failed(f"{kind} before the first byte", error, True)
    return reply, _Attempt(_settle(body, received, fault), kind)


def _chunks(rng: random.Random, size: int) -> Literal["whole", "drip"] | list[int]:
    how = rng.choices(("whole", "drip", "cuts"), weights=(3, 1, 4))[0]
    if how == "whole" or size < 2:
        return "whole"
    if how == "drip" and size <= 1500:
        return "drip"
    return sorted(rng.sample(range(1, size), min(size - 1, rng.randint(1, 12))))


def _clean_cut(rng: random.Random, body: _Body) -> int:
    """Where a body that ends cleanly (a complete HTTP response) stops: for SSE at an event's
    end (a cut event would be dispatched at EOF as a frame of its own), anywhere in a JSON
    array."""
    if body.wire == "sse":
        return rng.choice([0, *(piece.end for piece in body.pieces[:-1])])
    return rng.randrange(len(body.data))


def _decoded_length(prefix: bytes) -> int:
    """How many body bytes a gzip prefix decodes to."""
    return len(zlib.decompressobj(wbits=31).decompress(prefix))


def _settle(body: _Body, received: int, fault: type[RilletError] | None) -> Expected:
    """The outcome when the first ``received`` body bytes arrived, then ``fault`` (not
    retryable once the body began) or, with None, the clean end of the body."""
    if fault is None and (not body.pieces or body.pieces[0].end > received):
        # A clean 200 body ending before its first whole frame ("", or a JSON array's "[")
        # held no event at all: that is no stream.
        return Expected("", MalformedStreamError)
    text = ""
    finished = False
    for piece in body.pieces:
        if piece.end > received:
            if fault is None and body.wire == "json" and piece.start < received:
                return Expected(text, MalformedStreamError)  # EOF inside an element
            break
        if piece.kind == "error":
            return Expected(text, RateLimitError, retryable=True)
        if piece.kind == "done":
            return Expected(body.text)
        text += piece.text
        finished = finished or piece.kind == "finish"
    if fault is not None:
        return Expected(text, fault)
    if finished:
        return Expected(text)
    return Expected(text, StreamInterruptedError)

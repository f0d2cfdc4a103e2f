"""The ``chat`` span and metrics of one call: from ``LLMClient.stream()`` to the stream's end.

The span (kind CLIENT, named ``chat {model}``) starts when ``stream()`` is called, as a child of
the current span, with the request's attributes. Time to first chunk runs from the first read
(when the adapter sends the request) to the first chunk. The span ends when the stream does:
at its terminal chunk (with the response's attributes, or ``error.type`` and status ERROR when
the stream ends in an error), when it fails before any chunk, or when it is closed before its
end (``error.type`` ``cancelled``). The metrics are recorded then.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from typing import TypeVar

from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer

from rillet._exceptions import RilletError
from rillet.accumulator import ResponseAccumulator
from rillet.adapter import ProviderAdapter
from rillet.output._spec import OutputSpec
from rillet.output._stream import StructuredStream
from rillet.protocol import LLMRequest, StreamChunk
from rillet.streaming import StreamingLLMResponse
from rillet.telemetry import _semconv as sc
from rillet.telemetry._attributes import (
    Attributes,
    pick,
    provider_name,
    request_attributes,
    response_attributes,
    server_attributes,
    token_counts,
)
from rillet.telemetry._content import input_attributes, output_attributes
from rillet.telemetry._metrics import ChatMetrics

__all__ = ["ChatTelemetry"]

T = TypeVar("T")

_METRIC_KEYS = (
    sc.OPERATION_NAME,
    sc.PROVIDER_NAME,
    sc.REQUEST_MODEL,
    sc.RESPONSE_MODEL,
    sc.SERVER_ADDRESS,
    sc.SERVER_PORT,
)


class ChatTelemetry:
    """The chat hook: wraps each call's stream in one that reports its span and metrics."""

    def __init__(self, tracer: Tracer, metrics: ChatMetrics, *, capture_content: bool) -> None:
        self._tracer = tracer
        self._metrics = metrics
        self._capture = capture_content

    def stream(
        self,
        adapter: ProviderAdapter,
        request: LLMRequest,
        batches: AsyncIterator[Sequence[StreamChunk]],
        keep_text: bool,
    ) -> StreamingLLMResponse:
        stream = _ObservedStream(batches=batches, keep_text=keep_text)
        stream._call = self._start(adapter, request)
        return stream

    def structured_stream(
        self,
        adapter: ProviderAdapter,
        request: LLMRequest,
        batches: AsyncIterator[Sequence[StreamChunk]],
        spec: OutputSpec[T],
    ) -> StructuredStream[T]:
        stream = _ObservedStructuredStream(spec, batches=batches)
        stream._call = self._start(adapter, request, {sc.OUTPUT_TYPE: sc.OUTPUT_TYPE_JSON})
        return stream

    def _start(
        self, adapter: ProviderAdapter, request: LLMRequest, extra: Attributes | None = None
    ) -> _ChatCall:
        """The call's span, started now, and its clocks."""
        provider = provider_name(adapter.provider)
        attributes = request_attributes(sc.CHAT, provider, request)
        attributes[sc.REQUEST_STREAM] = True  # rillet always streams on the wire
        attributes.update(extra or {})
        attributes.update(server_attributes(adapter))
        if self._capture:
            attributes.update(input_attributes(provider, request.messages))
        name = f"{sc.CHAT} {request.model}" if request.model else sc.CHAT
        span = self._tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attributes)
        return _ChatCall(
            span, self._metrics, provider, pick(attributes, _METRIC_KEYS), self._capture
        )


class _ChatCall:
    """One call's span and clocks; ``end`` reports it, once."""

    def __init__(
        self,
        span: Span,
        metrics: ChatMetrics,
        provider: str,
        metric_attributes: Attributes,
        capture_content: bool,
    ) -> None:
        self._span = span
        self._metrics = metrics
        self._provider = provider
        self._metric_attributes = metric_attributes
        self._capture = capture_content
        self._started = time.perf_counter()
        self._sent: float | None = None
        self._first_chunk: float | None = None
        self.ended = False

    def request_sent(self) -> None:
        if self._sent is None:
            self._sent = time.perf_counter()

    def first_chunk(self) -> None:
        self._first_chunk = time.perf_counter() - (self._sent or self._started)
        self._span.set_attribute(sc.RESPONSE_TIME_TO_FIRST_CHUNK, self._first_chunk)

    def end(
        self,
        accumulator: ResponseAccumulator,
        error: RilletError | None = None,
        *,
        cancelled: bool = False,
    ) -> None:
        if self.ended:
            return
        self.ended = True
        duration = time.perf_counter() - self._started
        span = self._span
        response = accumulator.snapshot()
        attributes = response_attributes(self._provider, response)
        if self._capture:
            attributes.update(output_attributes(response))
        error_type: str | None = None
        if error is not None:
            error_type = type(error).__name__
            span.set_status(Status(StatusCode.ERROR, str(error)))
        elif cancelled:
            error_type = sc.CANCELLED
            span.set_status(Status(StatusCode.ERROR, "the stream was closed before its end"))
        if error_type is not None:
            attributes[sc.ERROR_TYPE] = error_type
        span.set_attributes(attributes)
        span.end()
        metric_attributes = self._metric_attributes
        if response.model:
            metric_attributes = {**metric_attributes, sc.RESPONSE_MODEL: response.model}
        self._metrics.record(
            metric_attributes,
            duration=duration,
            time_to_first_chunk=self._first_chunk,
            tokens=None if response.usage is None else token_counts(self._provider, response.usage),
            error_type=error_type,
        )


class _ObservedStream(StreamingLLMResponse):
    """A ``StreamingLLMResponse`` that tells its ``_ChatCall`` when the request goes out, when
    the first chunk arrives and how the stream ends (``_call`` is set right after it is made)."""

    _call: _ChatCall

    async def _read_batch(self, batches: AsyncIterator[Sequence[StreamChunk]]) -> None:
        # Called for the stream's first read only (``__anext__`` makes the later ones itself).
        call = self._call
        call.request_sent()  # the adapter's generator sends the request on its first read
        await super()._read_batch(batches)
        call.first_chunk()

    async def _end(self) -> None:
        await super()._end()
        self._call.end(self._accumulator, self._pending)

    async def _fail(self, error: RilletError) -> StreamChunk:
        try:
            return await super()._fail(error)
        finally:
            self._call.end(self._accumulator, error)

    async def aclose(self) -> None:
        await super().aclose()
        self._call.end(self._accumulator, cancelled=True)


class _ObservedStructuredStream(_ObservedStream, StructuredStream[T]):
    """A ``StructuredStream`` observed as ``_ObservedStream`` is: the span covers the wire
    stream; the output's validation after it is the caller's (its error is not the call's)."""

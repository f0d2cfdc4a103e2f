"""The GenAI client metrics of a chat call: duration, token usage, time to first chunk."""

from __future__ import annotations

from opentelemetry.metrics import Meter

from rillet.telemetry import _semconv as sc
from rillet.telemetry._attributes import Attributes

__all__ = ["ChatMetrics"]


class ChatMetrics:
    """The three histograms, with the bucket boundaries the conventions advise."""

    def __init__(self, meter: Meter) -> None:
        self._duration = meter.create_histogram(
            sc.OPERATION_DURATION,
            unit="s",
            description="GenAI operation duration.",
            explicit_bucket_boundaries_advisory=list(sc.SECONDS_BUCKETS),
        )
        self._tokens = meter.create_histogram(
            sc.TOKEN_USAGE,
            unit="{token}",
            description="Number of input and output tokens used.",
            explicit_bucket_boundaries_advisory=list(sc.TOKEN_BUCKETS),
        )
        self._first_chunk = meter.create_histogram(
            sc.TIME_TO_FIRST_CHUNK,
            unit="s",
            description="Time to receive the first chunk, measured from when the client issues "
            "the generation request to when the first chunk is received in the response stream.",
            explicit_bucket_boundaries_advisory=list(sc.SECONDS_BUCKETS),
        )

    def record(
        self,
        attributes: Attributes,
        *,
        duration: float,
        time_to_first_chunk: float | None,
        tokens: tuple[int, int] | None,
        error_type: str | None,
    ) -> None:
        """One finished call. ``attributes``: the operation, provider, models and server."""
        self._duration.record(
            duration,
            attributes if error_type is None else {**attributes, sc.ERROR_TYPE: error_type},
        )
        if time_to_first_chunk is not None:
            self._first_chunk.record(time_to_first_chunk, attributes)
        if tokens is not None:
            input_tokens, output_tokens = tokens
            self._tokens.record(input_tokens, {**attributes, sc.TOKEN_TYPE: sc.TOKEN_INPUT})
            self._tokens.record(output_tokens, {**attributes, sc.TOKEN_TYPE: sc.TOKEN_OUTPUT})

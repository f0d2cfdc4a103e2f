"""Telemetry on, into OpenTelemetry's in-memory span exporter and metric reader."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader, Metric
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import rillet


def attrs(span: ReadableSpan) -> dict[str, Any]:
    """The span's attributes, as a dict."""
    return dict(span.attributes or {})


@dataclass(frozen=True)
class Point:
    """One histogram data point: its attributes, count, sum and bucket boundaries."""

    attributes: dict[str, Any]
    count: int
    sum: float
    bounds: tuple[float, ...]


class Recorded:
    """What the instrumented code has recorded so far."""

    def __init__(
        self,
        exporter: InMemorySpanExporter,
        reader: InMemoryMetricReader,
        tracer_provider: TracerProvider,
    ) -> None:
        self._exporter = exporter
        self._reader = reader
        self.tracer = tracer_provider.get_tracer("tests")
        """A tracer of the same provider, for the application's own spans."""

    @property
    def spans(self) -> list[ReadableSpan]:
        """The finished spans, in the order they ended."""
        return list(self._exporter.get_finished_spans())

    def span(self, name: str) -> ReadableSpan:
        """The one finished span named ``name``."""
        found = [s for s in self.spans if s.name == name]
        assert len(found) == 1, [s.name for s in self.spans]
        return found[0]

    def _metrics(self) -> list[Metric]:
        data = self._reader.get_metrics_data()
        if data is None:
            return []
        return [
            item
            for resource in data.resource_metrics
            for scope in resource.scope_metrics
            for item in scope.metrics
        ]

    def points(self, metric: str) -> list[Point]:
        """The histogram points of ``metric`` (none if it was never recorded)."""
        return [
            Point(dict(p.attributes or {}), p.count, p.sum, tuple(p.explicit_bounds))
            for item in self._metrics()
            if item.name == metric
            for p in item.data.data_points
            if isinstance(p, HistogramDataPoint)
        ]

    def unit(self, metric: str) -> str | None:
        """The unit ``metric`` was recorded in."""
        (unit,) = {item.unit for item in self._metrics() if item.name == metric}
        return unit


Instrument = Callable[..., Recorded]


@pytest.fixture
def instrumented() -> Iterator[Instrument]:
    """``instrumented(capture_content=...)`` turns telemetry on; it is off again afterwards."""
    providers: list[tuple[TracerProvider, MeterProvider]] = []

    def start(**options: Any) -> Recorded:
        exporter = InMemorySpanExporter()
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
        reader = InMemoryMetricReader()
        meter_provider = MeterProvider(metric_readers=[reader])
        providers.append((tracer_provider, meter_provider))
        options.setdefault("capture_content", False)
        rillet.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider, **options)
        return Recorded(exporter, reader, tracer_provider)

    yield start
    rillet.uninstrument()
    for tracer_provider, meter_provider in providers:
        tracer_provider.shutdown()
        meter_provider.shutdown()


@pytest.fixture
def recorded(instrumented: Instrument) -> Recorded:
    """Telemetry on, without message content."""
    return instrumented()

"""Turning telemetry on and off: ``instrument()``, ``uninstrument()``, the environment.

OpenTelemetry is imported here only inside ``instrument()``: a program that never turns
telemetry on never imports it.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from rillet._exceptions import ConfigurationError
from rillet._version import __version__
from rillet.telemetry import _hooks

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider

__all__ = [
    "CAPTURE_CONTENT_ENV",
    "ENABLED_ENV",
    "instrument",
    "instrument_from_environment",
    "uninstrument",
]

_log = logging.getLogger("rillet.telemetry")

ENABLED_ENV = "OTEL_INSTRUMENTATION_RILLET_ENABLED"
"""``true``: the first ``LLMClient`` turns telemetry on (``OTEL_INSTRUMENTATION_<NAME>_ENABLED``
is how OpenTelemetry's own instrumentations are switched one by one)."""

CAPTURE_CONTENT_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
"""The GenAI instrumentations' switch for recording messages: ``true``, ``SPAN_ONLY`` or
``SPAN_AND_EVENT`` record them on spans (rillet emits no events)."""

_CAPTURE_VALUES = frozenset({"true", "span_only", "span_and_event"})
_SCHEMA_URL = "https://opentelemetry.io/schemas/1.41.0"

_environment_read = False


def instrument(
    *,
    tracer_provider: TracerProvider | None = None,
    meter_provider: MeterProvider | None = None,
    capture_content: bool | None = None,
) -> None:
    """Turn on GenAI spans and metrics for every call and agent run from now on.

    The providers default to OpenTelemetry's global ones (set up by your SDK). Message content
    is recorded only with ``capture_content=True`` (None: as ``CAPTURE_CONTENT_ENV`` says).
    Needs ``pip install 'rillet[otel]'``; calling it again replaces the earlier settings.
    """
    global _environment_read
    _environment_read = True
    try:
        from opentelemetry import metrics, trace

        from rillet.telemetry._agent import AgentTelemetry
        from rillet.telemetry._chat import ChatTelemetry
        from rillet.telemetry._metrics import ChatMetrics
    except ImportError as error:
        raise ConfigurationError(
            f"rillet.instrument() needs OpenTelemetry's API ({error}): pip install 'rillet[otel]'"
        ) from error
    if capture_content is None:
        capture_content = os.environ.get(CAPTURE_CONTENT_ENV, "").lower() in _CAPTURE_VALUES
    tracer = trace.get_tracer("rillet", __version__, tracer_provider, schema_url=_SCHEMA_URL)
    meter = metrics.get_meter("rillet", __version__, meter_provider, schema_url=_SCHEMA_URL)
    _hooks.chat = ChatTelemetry(tracer, ChatMetrics(meter), capture_content=capture_content)
    _hooks.agent = AgentTelemetry(tracer, capture_content=capture_content)


def uninstrument() -> None:
    """Turn telemetry off: calls and runs started from now on record nothing."""
    global _environment_read
    _environment_read = True
    _hooks.chat = None
    _hooks.agent = None


def instrument_from_environment() -> None:
    """Once per process, at the first ``LLMClient``: ``instrument()`` if ``ENABLED_ENV`` is
    ``true``. An explicit ``instrument()`` or ``uninstrument()`` before it wins."""
    global _environment_read
    if _environment_read:
        return
    _environment_read = True
    if os.environ.get(ENABLED_ENV, "").strip().lower() != "true":
        return
    try:
        instrument()
    except ConfigurationError as error:  # telemetry asked for but not installed: run without
        _log.warning("%s=true, but %s", ENABLED_ENV, error)

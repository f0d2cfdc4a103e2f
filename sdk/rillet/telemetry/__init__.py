"""OpenTelemetry GenAI spans and metrics for every call and agent run, when turned on.

    pip install 'rillet[otel]'      # OpenTelemetry's API; bring your own SDK and exporter

    import rillet
    rillet.instrument()             # or OTEL_INSTRUMENTATION_RILLET_ENABLED=true

What is recorded, following the GenAI semantic conventions:

- a ``chat {model}`` span (kind CLIENT) per call: ``gen_ai.operation.name``,
  ``gen_ai.provider.name`` (``openai``, ``anthropic``, ``gcp.gemini``, else rillet's provider
  name), ``gen_ai.request.*`` (model, max_tokens, temperature, top_p, stop_sequences, stream),
  ``gen_ai.response.id`` / ``model`` / ``finish_reasons`` / ``time_to_first_chunk``,
  ``gen_ai.usage.*``, ``server.address`` / ``server.port``, and on failure ``error.type`` (the
  rillet exception's class name, or ``cancelled`` for a stream closed before its end) with
  status ERROR;
- the metrics ``gen_ai.client.operation.duration``, ``gen_ai.client.token.usage`` and
  ``gen_ai.client.operation.time_to_first_chunk``, with the advised bucket boundaries;
- an ``invoke_agent [name]`` span per agent run, parent of its turns' ``chat`` spans and of an
  ``execute_tool {tool}`` span per tool call (``gen_ai.tool.name``, ``gen_ai.tool.call.id``);
- message content (``gen_ai.input.messages``, ``gen_ai.output.messages``,
  ``gen_ai.system_instructions``, tool arguments and results, as JSON text) only with
  ``instrument(capture_content=True)`` or ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``.

While it is off, a call pays one read of a module attribute, and OpenTelemetry is never
imported. Modules: ``_switch`` (on and off), ``_hooks`` (the slots the client and the agent
layer read), ``_chat`` (chat spans), ``_metrics``, ``_agent`` (agent and tool spans),
``_semconv`` (names and values), ``_attributes`` and ``_content`` (pure mappers).

Sources: open-telemetry/semantic-conventions v1.41.0 (the GenAI conventions have since moved to
open-telemetry/semantic-conventions-genai): ``docs/gen-ai/gen-ai-spans.md`` (inference and
execute_tool spans, content capture), ``docs/gen-ai/gen-ai-agent-spans.md`` (invoke_agent
internal span), ``docs/gen-ai/gen-ai-metrics.md`` (client metrics, units, buckets),
``docs/gen-ai/anthropic.md`` (Anthropic's input token count), ``docs/gen-ai/
gen-ai-{input,output}-messages.json`` and ``gen-ai-system-instructions.json`` (content shapes),
``docs/registry/attributes/gen-ai.md``, and ``docs/general/recording-errors.md``. The
content switch's values are those of opentelemetry-python-contrib's GenAI instrumentations.
"""

from rillet.telemetry._switch import (
    CAPTURE_CONTENT_ENV,
    ENABLED_ENV,
    instrument,
    instrument_from_environment,
    uninstrument,
)

__all__ = [
    "CAPTURE_CONTENT_ENV",
    "ENABLED_ENV",
    "instrument",
    "instrument_from_environment",
    "uninstrument",
]

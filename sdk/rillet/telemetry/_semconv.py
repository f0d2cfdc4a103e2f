"""The GenAI semantic conventions' names and values that rillet emits (plain strings).

From semantic-conventions v1.41.0: ``docs/gen-ai/gen-ai-spans.md``,
``gen-ai-agent-spans.md``, ``gen-ai-metrics.md``, ``anthropic.md`` and
``docs/registry/attributes/gen-ai.md``.
"""

from __future__ import annotations

from typing import Final

# -- operations (gen_ai.operation.name) -------------------------------------------------------
CHAT: Final = "chat"
INVOKE_AGENT: Final = "invoke_agent"
EXECUTE_TOOL: Final = "execute_tool"

# -- attributes -------------------------------------------------------------------------------
OPERATION_NAME: Final = "gen_ai.operation.name"
PROVIDER_NAME: Final = "gen_ai.provider.name"
REQUEST_MODEL: Final = "gen_ai.request.model"
REQUEST_MAX_TOKENS: Final = "gen_ai.request.max_tokens"
REQUEST_TEMPERATURE: Final = "gen_ai.request.temperature"
REQUEST_TOP_P: Final = "gen_ai.request.top_p"
REQUEST_STOP_SEQUENCES: Final = "gen_ai.request.stop_sequences"
REQUEST_STREAM: Final = "gen_ai.request.stream"
OUTPUT_TYPE: Final = "gen_ai.output.type"
RESPONSE_ID: Final = "gen_ai.response.id"
RESPONSE_MODEL: Final = "gen_ai.response.model"
RESPONSE_FINISH_REASONS: Final = "gen_ai.response.finish_reasons"
RESPONSE_TIME_TO_FIRST_CHUNK: Final = "gen_ai.response.time_to_first_chunk"
USAGE_INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"
USAGE_OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"
USAGE_CACHE_READ_INPUT_TOKENS: Final = "gen_ai.usage.cache_read.input_tokens"
USAGE_CACHE_CREATION_INPUT_TOKENS: Final = "gen_ai.usage.cache_creation.input_tokens"
USAGE_REASONING_OUTPUT_TOKENS: Final = "gen_ai.usage.reasoning.output_tokens"
AGENT_NAME: Final = "gen_ai.agent.name"
TOOL_NAME: Final = "gen_ai.tool.name"
TOOL_CALL_ID: Final = "gen_ai.tool.call.id"
TOOL_TYPE: Final = "gen_ai.tool.type"
TOOL_DESCRIPTION: Final = "gen_ai.tool.description"
TOKEN_TYPE: Final = "gen_ai.token.type"
ERROR_TYPE: Final = "error.type"
SERVER_ADDRESS: Final = "server.address"
SERVER_PORT: Final = "server.port"

# Opt-in content, recorded only when asked for.
INPUT_MESSAGES: Final = "gen_ai.input.messages"
OUTPUT_MESSAGES: Final = "gen_ai.output.messages"
SYSTEM_INSTRUCTIONS: Final = "gen_ai.system_instructions"
TOOL_CALL_ARGUMENTS: Final = "gen_ai.tool.call.arguments"
TOOL_CALL_RESULT: Final = "gen_ai.tool.call.result"

# -- values -----------------------------------------------------------------------------------
TOKEN_INPUT: Final = "input"
TOKEN_OUTPUT: Final = "output"
OUTPUT_TYPE_JSON: Final = "json"
"""``gen_ai.output.type`` of a call asking for structured output (JSON that fits a schema)."""
TOOL_TYPE_FUNCTION: Final = "function"
"""A tool the client runs with the arguments the model generated."""

CANCELLED: Final = "cancelled"
"""rillet's ``error.type`` for an operation stopped before its end (a stream closed early, a
cancelled task)."""

PROVIDER_NAMES: Final = {
    "openai": "openai",
    "openai-responses": "openai",
    "anthropic": "anthropic",
    "gemini": "gcp.gemini",
}
"""rillet's provider names -> ``gen_ai.provider.name``; any other name is used as it is."""

PROVIDERS_WITH_SEPARATE_SYSTEM: Final = frozenset({"anthropic", "gcp.gemini"})
"""Where system messages travel apart from the chat history: ``gen_ai.system_instructions``."""

FINISH_REASONS: Final = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_call",
    "content_filter": "content_filter",
    "error": "error",
}
"""rillet's ``FinishReason`` -> the conventions' (``gen-ai-output-messages.json``);
``other`` becomes the provider's own reason."""

# -- metrics ----------------------------------------------------------------------------------
OPERATION_DURATION: Final = "gen_ai.client.operation.duration"
TOKEN_USAGE: Final = "gen_ai.client.token.usage"
TIME_TO_FIRST_CHUNK: Final = "gen_ai.client.operation.time_to_first_chunk"

SECONDS_BUCKETS: Final = (
    0.01,
    0.02,
    0.04,
    0.08,
    0.16,
    0.32,
    0.64,
    1.28,
    2.56,
    5.12,
    10.24,
    20.48,
    40.96,
    81.92,
)
"""The advised boundaries of the duration and time-to-first-chunk histograms."""

TOKEN_BUCKETS: Final = tuple(4.0**power for power in range(14))
"""The advised boundaries of the token usage histogram: 1, 4, 16, ... 67108864."""

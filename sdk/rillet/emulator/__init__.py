"""The provider emulator: OpenAI, Anthropic, Gemini and Bedrock wire formats, played from scenarios.

    from rillet.emulator import Emulator, Scenario, ToolCallSpec

    scenario = Scenario("weather", text=("Sunny",), tool_calls=(ToolCallSpec("f", {"x": 1}),))
    async with Emulator([scenario]) as emulator:
        client = LLMClient(provider="gemini", base_url=emulator.base_url("gemini"),
                           api_key=emulator.api_key, model="weather")

``render(wire, scenario)`` gives a scenario's bytes without a server; ``rillet emulator --port N``
runs the server alone with ``BUILTIN_SCENARIOS``, for any client, official SDKs included.
"""

from rillet.emulator._bedrock_route import AWS_TEST_CREDENTIALS
from rillet.emulator.render import (
    WIRES,
    carries_reasoning,
    content_offset,
    raw_finish_reason,
    render,
    render_events,
    reported_usage,
)
from rillet.emulator.reply_server import RecordedRequest
from rillet.emulator.scenario import ErrorKind, Faults, Finish, Scenario, StreamError, ToolCallSpec
from rillet.emulator.scenarios import BUILTIN_SCENARIOS
from rillet.emulator.server import PROVIDERS, Emulator

__all__ = [
    "AWS_TEST_CREDENTIALS",
    "BUILTIN_SCENARIOS",
    "PROVIDERS",
    "WIRES",
    "Emulator",
    "ErrorKind",
    "Faults",
    "Finish",
    "RecordedRequest",
    "Scenario",
    "StreamError",
    "ToolCallSpec",
    "carries_reasoning",
    "content_offset",
    "raw_finish_reason",
    "render",
    "render_events",
    "reported_usage",
]

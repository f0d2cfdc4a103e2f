"""What a correct client makes of a scenario in each wire format, and the providers to try."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rillet import (
    BadRequestError,
    IdleTimeoutError,
    InternalServerError,
    LLMResponse,
    OverloadedError,
    RateLimitError,
    RilletError,
    StreamInterruptedError,
)
from rillet.emulator import Scenario, carries_reasoning, raw_finish_reason, reported_usage
from rillet.protocol import FinishReason

# (provider, client options, wire): every wire format the emulator speaks, as clients reach it
CLIENTS: list[tuple[str, dict[str, Any], str]] = [
    ("openai", {}, "openai"),
    ("openai-responses", {}, "openai-responses"),
    ("anthropic", {}, "anthropic"),
    ("gemini", {}, "gemini"),
    ("gemini", {"sse": False}, "gemini-json"),
]

ERROR_CLASSES: dict[str, type[RilletError]] = {
    "overloaded": OverloadedError,
    "rate_limit": RateLimitError,
    "server": InternalServerError,
    "invalid_request": BadRequestError,
}


@dataclass(frozen=True)
class Expected:
    text: str
    reasoning: str
    tool_calls: list[tuple[str, dict[str, Any]]]
    finish: FinishReason | None
    raw_finish: str | None
    usage: tuple[int, int] | None
    error: type[RilletError] | None = None
    partial_text: str | None = None
    """For an error: the text that arrived before it."""


def expected(wire: str, scenario: Scenario) -> Expected:
    faults = scenario.faults
    cut = faults.stall_after_events or faults.reset_after_events or faults.truncate_after_events
    error: type[RilletError] | None = None
    partial: str | None = None
    if scenario.error is not None:
        error = ERROR_CLASSES[scenario.error.kind]
        partial = "".join(scenario.text[: scenario.error.after_events])
    elif faults.stall_after_events is not None:
        error, partial = IdleTimeoutError, "".join(scenario.text[:cut])
    elif cut is not None:
        error, partial = StreamInterruptedError, "".join(scenario.text[:cut])
    elif scenario.finish == "error" and wire in ("anthropic", "openai-responses"):
        # no "error" stop reason there: an error event / response.failed ends the stream
        error, partial = InternalServerError, scenario.all_text
    return Expected(
        text=scenario.all_text,
        reasoning=scenario.all_reasoning if carries_reasoning(wire) else "",
        tool_calls=[(call.name, call.arguments) for call in scenario.tool_calls],
        finish=FinishReason(scenario.finish),
        raw_finish=raw_finish_reason(wire, scenario.finish),
        usage=reported_usage(wire, scenario),
        error=error,
        partial_text=partial,
    )


def assert_response(response: LLMResponse, wire: str, scenario: Scenario) -> None:
    """``response`` is what ``scenario`` means in ``wire``: content, finish, usage, signature."""
    want = expected(wire, scenario)
    assert response.text == want.text
    assert response.reasoning == want.reasoning
    assert [(c.name, c.arguments) for c in response.tool_calls] == want.tool_calls
    assert response.finish_reason == want.finish
    assert response.provider_finish_reason == want.raw_finish
    assert response.model == scenario.model
    got_usage = response.usage
    if want.usage is None:
        assert got_usage is None
    else:
        assert got_usage is not None
        assert (got_usage.input_tokens, got_usage.output_tokens) == want.usage
    signature = scenario.reasoning_signature
    if signature is not None:
        blocks = response.reasoning_details
        if wire == "openai-responses":
            assert signature in [block.encrypted_content for block in blocks]
        elif wire != "openai":
            signatures = [b.signature for b in blocks] + [c.signature for c in response.tool_calls]
            assert signature in signatures


def comparable(response: LLMResponse | None, wire: str) -> dict[str, Any] | None:
    """A response without what rillet makes up (Gemini sends no tool-call ids) and without what
    each request has of its own (the request id, rate limits and headers)."""
    if response is None:
        return None
    exclude: Any = {"request_id": True, "rate_limit": True, "headers": True}
    if wire.startswith("gemini"):
        exclude["tool_calls"] = {"__all__": {"id"}}
    return response.model_dump(exclude=exclude)

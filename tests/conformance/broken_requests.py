"""Adapters whose request bodies each break one multi-turn rule (named by ``breaks``).

Each subclasses a built-in adapter and spoils the body it sends in one way, so the multi-turn
case named by ``case`` fails that rule and no other: proof that each rule is able to fail.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rillet import LLMRequest
from rillet.providers.anthropic import AnthropicAdapter
from rillet.providers.gemini import GeminiAdapter
from rillet.providers.openai_chat import OpenAIChatAdapter
from rillet.providers.openai_responses import OpenAIResponsesAdapter

__all__ = ["BROKEN_REQUESTS"]


class SmallThinkingBudget(AnthropicAdapter):
    """Thinking with a budget below 1024: the emulator answers Anthropic's own 400."""

    breaks: ClassVar[str] = "request_valid"
    case: ClassVar[str] = "multi-turn-reasoning"
    conformance_wire: ClassVar[str] = "anthropic"

    def body(self, request: LLMRequest) -> Any:
        body: Any = super().body(request)
        body["thinking"] = {"type": "enabled", "budget_tokens": 512}
        return body


class ForgetsAssistantText(OpenAIChatAdapter):
    """Replays the model's tool calls without the text it said with them."""

    breaks: ClassVar[str] = "history_roundtrip"
    case: ClassVar[str] = "multi-turn-tool"
    conformance_wire: ClassVar[str] = "openai"

    def body(self, request: LLMRequest) -> Any:
        body: Any = super().body(request)
        for message in body["messages"]:
            if message["role"] == "assistant":
                message["content"] = None
        return body


class SwapsReasoningIds(OpenAIResponsesAdapter):
    """Replays every reasoning item under one made-up id."""

    breaks: ClassVar[str] = "history_roundtrip"
    case: ClassVar[str] = "multi-turn-reasoning"
    conformance_wire: ClassVar[str] = "openai-responses"

    def body(self, request: LLMRequest) -> Any:
        body: Any = super().body(request)
        for item in body["input"]:
            if item.get("type") == "reasoning":
                item["id"] = "rs_made_up"
        return body


class ReplaysCallsWithoutArguments(GeminiAdapter):
    """Replays the model's function calls with their arguments emptied."""

    breaks: ClassVar[str] = "history_roundtrip"
    case: ClassVar[str] = "multi-turn-parallel-tools"
    conformance_wire: ClassVar[str] = "gemini"

    def body(self, request: LLMRequest) -> Any:
        body: Any = super().body(request)
        for content in body["contents"]:
            for part in content["parts"]:
                if "functionCall" in part:
                    part["functionCall"]["args"] = {}
        return body


class ResignsThinking(AnthropicAdapter):
    """Replays the model's thinking blocks under another signature."""

    breaks: ClassVar[str] = "history_roundtrip"
    case: ClassVar[str] = "multi-turn-reasoning"
    conformance_wire: ClassVar[str] = "anthropic"

    def body(self, request: LLMRequest) -> Any:
        body: Any = super().body(request)
        for message in body["messages"]:
            for block in message["content"] if isinstance(message["content"], list) else []:
                if block["type"] == "thinking":
                    block["signature"] = "c2lnLW5ldw=="
        return body


class HidesToolErrors(OpenAIChatAdapter):
    """Sends every tool result as a plain "done", a failed one included."""

    breaks: ClassVar[str] = "history_roundtrip"
    case: ClassVar[str] = "multi-turn-failed-tool"
    conformance_wire: ClassVar[str] = "openai"

    def body(self, request: LLMRequest) -> Any:
        body: Any = super().body(request)
        for message in body["messages"]:
            if message["role"] == "tool":
                message["content"] = "done"
        return body


class DropsStop(OpenAIChatAdapter):
    """Leaves the stop sequences out."""

    breaks: ClassVar[str] = "settings_sent"
    case: ClassVar[str] = "multi-turn-stop"
    conformance_wire: ClassVar[str] = "openai"

    def body(self, request: LLMRequest) -> Any:
        body: Any = super().body(request)
        body.pop("stop", None)
        return body


class DropsDocuments(AnthropicAdapter):
    """Leaves the user's document blocks out."""

    breaks: ClassVar[str] = "settings_sent"
    case: ClassVar[str] = "multi-turn-media"
    conformance_wire: ClassVar[str] = "anthropic"

    def body(self, request: LLMRequest) -> Any:
        body: Any = super().body(request)
        for message in body["messages"]:
            if message["role"] == "user" and isinstance(message["content"], list):
                message["content"] = [b for b in message["content"] if b["type"] != "document"]
        return body


class LosesToolChoiceAfterTheFirstTurn(GeminiAdapter):
    """Sends the tool_choice on the first request only."""

    breaks: ClassVar[str] = "settings_sent"
    case: ClassVar[str] = "multi-turn-tool-choice-lookup"
    conformance_wire: ClassVar[str] = "gemini"

    def body(self, request: LLMRequest) -> Any:
        body: Any = super().body(request)
        if len(body["contents"]) > 1:
            body.pop("toolConfig", None)
        return body


BROKEN_REQUESTS: tuple[type[Any], ...] = (
    SmallThinkingBudget,
    ForgetsAssistantText,
    SwapsReasoningIds,
    ReplaysCallsWithoutArguments,
    ResignsThinking,
    HidesToolErrors,
    DropsStop,
    DropsDocuments,
    LosesToolChoiceAfterTheFirstTurn,
)

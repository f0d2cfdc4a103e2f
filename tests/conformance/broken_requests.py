"""Adapters whose request bodies each break one multi-turn rule (named by ``breaks``).

Each subclasses a built-in adapter and spoils the body it sends in one way (its ``spoil``), so
the multi-turn case named by ``case`` fails that rule and no other: proof that each rule is
able to fail.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rillet import LLMRequest
from rillet.providers._http_adapter import HTTPAdapter
from rillet.providers.anthropic import AnthropicAdapter
from rillet.providers.gemini import GeminiAdapter
from rillet.providers.openai_chat import OpenAIChatAdapter
from rillet.providers.openai_responses import OpenAIResponsesAdapter

__all__ = ["BROKEN_REQUESTS"]

_WIRES = {
    AnthropicAdapter: "anthropic",
    GeminiAdapter: "gemini",
    OpenAIChatAdapter: "openai",
    OpenAIResponsesAdapter: "openai-responses",
}


def _broken(
    name: str, base: type[HTTPAdapter], breaks: str, case: str, spoil: Callable[[Any], None]
) -> type[Any]:
    """A subclass of ``base`` whose bodies ``spoil`` changes in place; ``spoil``'s docstring
    says how."""

    def body(self: HTTPAdapter, request: LLMRequest) -> Any:
        sent: Any = base.body(self, request)
        spoil(sent)
        return sent

    namespace = {
        "__doc__": spoil.__doc__,
        "__module__": __name__,
        "breaks": breaks,
        "case": case,
        "conformance_wire": _WIRES[base],
        "body": body,
    }
    return type(name, (base,), namespace)


def _blocks(body: Any, role: str) -> list[Any]:
    messages = [m for m in body["messages"] if m["role"] == role]
    return [b for m in messages if isinstance(m["content"], list) for b in m["content"]]


def _small_thinking_budget(body: Any) -> None:
    """Thinking with a budget below 1024: the emulator answers Anthropic's own 400."""
    body["thinking"] = {"type": "enabled", "budget_tokens": 512}


def _forget_assistant_text(body: Any) -> None:
    """Replays the model's tool calls without the text it said with them."""
    for message in body["messages"]:
        if message["role"] == "assistant":
            message["content"] = None


def _swap_reasoning_ids(body: Any) -> None:
    """Replays every reasoning item under one made-up id."""
    for item in body["input"]:
        if item.get("type") == "reasoning":
            item["id"] = "rs_made_up"


def _empty_replayed_arguments(body: Any) -> None:
    """Replays the model's function calls with their arguments emptied."""
    for content in body["contents"]:
        for part in content["parts"]:
            if "functionCall" in part:
                part["functionCall"]["args"] = {}


def _resign_thinking(body: Any) -> None:
    """Replays the model's thinking blocks under another signature."""
    for block in _blocks(body, "assistant"):
        if block["type"] == "thinking":
            block["signature"] = "c2lnLW5ldw=="


def _hide_tool_errors(body: Any) -> None:
    """Sends every tool result as a plain "done", a failed one included."""
    for message in body["messages"]:
        if message["role"] == "tool":
            message["content"] = "done"


def _drop_stop(body: Any) -> None:
    """Leaves the stop sequences out."""
    body.pop("stop", None)


def _drop_documents(body: Any) -> None:
    """Leaves the user's document blocks out."""
    for message in body["messages"]:
        if message["role"] == "user" and isinstance(message["content"], list):
            message["content"] = [b for b in message["content"] if b["type"] != "document"]


def _tool_choice_once(body: Any) -> None:
    """Sends the tool_choice on the first request only."""
    if len(body["contents"]) > 1:
        body.pop("toolConfig", None)


BROKEN_REQUESTS: tuple[type[Any], ...] = (
    _broken(
        "SmallThinkingBudget",
        AnthropicAdapter,
        "request_valid",
        "multi-turn-reasoning",
        _small_thinking_budget,
    ),
    _broken(
        "ForgetsAssistantText",
        OpenAIChatAdapter,
        "history_roundtrip",
        "multi-turn-tool",
        _forget_assistant_text,
    ),
    _broken(
        "SwapsReasoningIds",
        OpenAIResponsesAdapter,
        "history_roundtrip",
        "multi-turn-reasoning",
        _swap_reasoning_ids,
    ),
    _broken(
        "ReplaysCallsWithoutArguments",
        GeminiAdapter,
        "history_roundtrip",
        "multi-turn-parallel-tools",
        _empty_replayed_arguments,
    ),
    _broken(
        "ResignsThinking",
        AnthropicAdapter,
        "history_roundtrip",
        "multi-turn-reasoning",
        _resign_thinking,
    ),
    _broken(
        "HidesToolErrors",
        OpenAIChatAdapter,
        "history_roundtrip",
        "multi-turn-failed-tool",
        _hide_tool_errors,
    ),
    _broken("DropsStop", OpenAIChatAdapter, "settings_sent", "multi-turn-stop", _drop_stop),
    _broken(
        "DropsDocuments", AnthropicAdapter, "settings_sent", "multi-turn-media", _drop_documents
    ),
    _broken(
        "LosesToolChoiceAfterTheFirstTurn",
        GeminiAdapter,
        "settings_sent",
        "multi-turn-tool-choice-lookup",
        _tool_choice_once,
    ),
)
globals().update({adapter.__name__: adapter for adapter in BROKEN_REQUESTS})  # module:Class

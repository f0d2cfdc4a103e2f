"""What Bedrock ConverseStream refuses: each rule refuses its case, in the service's words, and
accepts the same request once it is right."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from rillet.emulator.rules import BUILTIN_RULES, bedrock, first_refusal

_CLAUDE = "us.anthropic.claude-sonnet-4-20250514-v1:0"
_TOOLS = {"tools": [{"toolSpec": {"name": "f", "inputSchema": {"json": {"type": "object"}}}}]}


def _user(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"role": "user", "content": list(blocks) or [{"text": "Hi"}]}


def _assistant(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"role": "assistant", "content": list(blocks) or [{"text": "Hello"}]}


_CALL = {"toolUse": {"toolUseId": "tooluse_1", "name": "f", "input": {}}}
_RESULT = {"toolResult": {"toolUseId": "tooluse_1", "content": [{"text": "ok"}]}}


def _refusal(body: dict[str, Any], model: str = "amazon.nova-micro-v1:0") -> str | None:
    refusal = first_refusal(bedrock.RULES, body, model)
    return None if refusal is None else refusal.message


def test_a_good_tool_conversation_passes_every_rule() -> None:
    body = {
        "messages": [_user(), _assistant({"text": "Let me see"}, _CALL), _user(_RESULT)],
        "toolConfig": {**_TOOLS, "toolChoice": {"auto": {}}},
        "inferenceConfig": {"maxTokens": 1, "temperature": 1, "topP": 0, "stopSequences": ["x"]},
    }
    assert _refusal(body) is None
    assert first_refusal(BUILTIN_RULES["bedrock"], body, "amazon.nova-micro-v1:0") is None


def test_the_conversation_starts_with_the_user() -> None:
    message = _refusal({"messages": [_assistant(), _user()]})
    assert message == (
        "A conversation must start with a user message. Try again with a conversation that "
        "starts with a user message."
    )


def test_roles_alternate_and_are_not_merged() -> None:
    message = _refusal({"messages": [_user(), _user()]})
    assert message is not None
    assert message.startswith("A conversation must alternate between user and assistant roles.")
    assert _refusal({"messages": [_user(), _assistant(), _user()]}) is None


@pytest.mark.parametrize(
    "messages",
    [
        [_user(), _assistant(), _user(_RESULT)],  # answers no call
        [_user(), _assistant(_CALL), _user(_RESULT, _RESULT)],  # more results than calls
        [
            _user(),
            _assistant(_CALL),
            _user({"toolResult": {"toolUseId": "tooluse_2", "content": [{"text": "?"}]}}),
        ],
    ],
)
def test_a_tool_result_answers_a_call_of_the_turn_before(messages: list[dict[str, Any]]) -> None:
    message = _refusal({"messages": messages, "toolConfig": _TOOLS})
    assert message == (
        "The number of toolResult blocks at messages.2.content exceeds the number of toolUse "
        "blocks of previous turn."
    )


def test_tool_blocks_need_a_tool_config() -> None:
    body = {"messages": [_user(), _assistant(_CALL), _user(_RESULT)]}
    assert _refusal(body) == (
        "The toolConfig field must be defined when using toolUse and toolResult content blocks."
    )


def test_a_tool_config_has_tools() -> None:
    empty = _refusal(
        {"messages": [_user()], "toolConfig": {"tools": [], "toolChoice": {"any": {}}}}
    )
    assert empty == (
        "1 validation error detected: Value at 'toolConfig.tools' failed to satisfy "
        "constraint: Member must have length greater than or equal to 1"
    )
    missing = _refusal({"messages": [_user()], "toolConfig": {"toolChoice": {"any": {}}}})
    assert missing is not None and missing.endswith("Member must not be null")


def test_an_error_tool_result_has_content() -> None:
    result = {"toolResult": {"toolUseId": "tooluse_1", "content": [], "status": "error"}}
    body = {"messages": [_user(), _assistant(_CALL), _user(result)], "toolConfig": _TOOLS}
    assert _refusal(body) == (
        "The content field at messages.2.content.0.toolResult cannot be empty when status value "
        "is error."
    )


def test_image_formats() -> None:
    image = {"image": {"format": "bmp", "source": {"bytes": "AAAA"}}}
    message = _refusal({"messages": [_user({"text": "look"}, image)]})
    assert message == (
        "1 validation error detected: Value 'bmp' at 'messages.1.member.content.2.member.image."
        "format' failed to satisfy constraint: Member must satisfy enum value set: "
        "[png, jpeg, gif, webp]"
    )
    webp = copy.deepcopy(image)
    webp["image"]["format"] = "webp"
    assert _refusal({"messages": [_user(webp)]}) is None


@pytest.mark.parametrize(
    ("config", "where", "bound"),
    [
        ({"maxTokens": 0}, "maxTokens", "greater than or equal to 1"),
        ({"temperature": 1.5}, "temperature", "less than or equal to 1"),
        ({"temperature": -0.1}, "temperature", "greater than or equal to 0"),
        ({"topP": 2}, "topP", "less than or equal to 1"),
    ],
)
def test_inference_values_in_bounds(config: dict[str, float], where: str, bound: str) -> None:
    message = _refusal({"messages": [_user()], "inferenceConfig": config})
    assert message == (
        f"1 validation error detected: Value at 'inferenceConfig.{where}' failed to satisfy "
        f"constraint: Member must have value {bound}"
    )


def test_stop_sequences() -> None:
    many = {"stopSequences": ["x"] * 2501}
    assert _refusal({"messages": [_user()], "inferenceConfig": many}) is not None
    enough = {"stopSequences": ["x"] * 2500}
    assert _refusal({"messages": [_user()], "inferenceConfig": enough}) is None
    empty = _refusal({"messages": [_user()], "inferenceConfig": {"stopSequences": [""]}})
    assert empty is not None and "greater than or equal to 1" in empty


@pytest.mark.parametrize(
    ("inference", "thinking", "says"),
    [
        ({"maxTokens": 4000, "temperature": 0.5}, 2048, "`temperature` may only be set to 1"),
        ({"maxTokens": 4000}, 512, "greater than or equal to 1024"),
        ({"maxTokens": 2048}, 2048, "`max_tokens` must be greater than"),
    ],
)
def test_claude_thinking_is_checked_as_the_model_checks_it(
    inference: dict[str, float], thinking: int, says: str
) -> None:
    body = {
        "messages": [_user()],
        "inferenceConfig": inference,
        "additionalModelRequestFields": {
            "thinking": {"type": "enabled", "budget_tokens": thinking}
        },
    }
    message = _refusal(body, _CLAUDE)
    assert message is not None
    assert message.startswith("The model returned the following errors: ")
    assert says in message
    assert _refusal(body, "amazon.nova-pro-v1:0") is None  # Anthropic's rules are Claude's
    fixed = {**body, "inferenceConfig": {"maxTokens": 8000, "temperature": 1}}
    fixed["additionalModelRequestFields"] = {"thinking": {"type": "enabled", "budget_tokens": 2048}}
    assert _refusal(fixed, _CLAUDE) is None

"""What Bedrock ConverseStream (``POST /model/{modelId}/converse-stream``) refuses.

Two kinds of refusal, both ``ValidationException`` (400) with the service's own ``message``:

- the service's own checks. Bounds from the service model (botocore's ``bedrock-runtime``
  ``service-2.json``: ``maxTokens`` >= 1, ``temperature`` and ``topP`` in [0, 1], at most 2500
  non-empty ``stopSequences``, ``toolConfig.tools`` at least one, image formats ``png``,
  ``jpeg``, ``gif``, ``webp``), worded as AWS words a constraint (``1 validation error
  detected: Value at 'inferenceConfig.temperature' failed to satisfy constraint: ...``, with
  its 1-based ``messages.1.member.content`` paths). The conversation rules (the first message is
  the user's; roles alternate, never merged as Anthropic merges them; each ``toolResult`` answers
  a ``toolUse`` of the assistant turn before; ``toolUse`` / ``toolResult`` blocks need a
  ``toolConfig``; an ``error`` tool result has content) with the messages users of the service
  report (langchain-aws#130, dify#12340, pydantic-ai#2327, pentagi#160,
  sample-multi-agent-orchestration-chat-on-agentcore#15);
- the model's own checks, which Bedrock relays prefixed with ``The model returned the
  following errors:`` (aider#3720, LibreChat#8346): on Claude, extended thinking
  (``additionalModelRequestFields.thinking``) takes only ``temperature`` 1, a budget of at
  least 1024 tokens and below ``maxTokens``, the rules ``rillet.emulator.rules.anthropic`` has.
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Any

from rillet.emulator.rules import anthropic
from rillet.emulator.rules._refusal import Refusal, Rule, indexed, mapping

__all__ = [
    "RULES",
    "claude_thinking_rules_hold",
    "conversation_starts_with_the_user",
    "error_tool_results_have_content",
    "image_formats_are_known",
    "inference_values_are_in_bounds",
    "roles_alternate",
    "stop_sequences_are_bounded",
    "tool_blocks_need_a_tool_config",
    "tool_config_has_tools",
    "tool_results_answer_the_previous_turn",
]

_IMAGE_FORMATS = ("png", "jpeg", "gif", "webp")
_MAX_STOP_SEQUENCES = 2500
_MODEL_ERRORS = "The model returned the following errors: "
_CLAUDE = re.compile(r"(^|[.:/])anthropic\.claude")
# (field, minimum, maximum) of inferenceConfig, from the service model
_BOUNDS: tuple[tuple[str, float, float | None], ...] = (
    ("maxTokens", 1, None),
    ("temperature", 0, 1),
    ("topP", 0, 1),
)


def _constraint(where: str, constraint: str, value: object = None) -> Refusal:
    """AWS's wording of one failed constraint."""
    shown = f"Value '{value}' at" if value is not None else "Value at"
    return Refusal(
        f"1 validation error detected: {shown} '{where}' failed to satisfy constraint: "
        f"Member must {constraint}"
    )


def conversation_starts_with_the_user(body: dict[str, Any], model: str) -> Refusal | None:
    """The first message is the user's."""
    messages = indexed(body.get("messages"))
    if not messages or messages[0][1].get("role") == "user":
        return None
    return Refusal(
        "A conversation must start with a user message. Try again with a conversation that "
        "starts with a user message."
    )


def roles_alternate(body: dict[str, Any], model: str) -> Refusal | None:
    """User and assistant messages alternate: two of one role in a row are refused."""
    roles = [message.get("role") for _, message in indexed(body.get("messages"))]
    if all(before != after for before, after in pairwise(roles)):
        return None
    return Refusal(
        "A conversation must alternate between user and assistant roles. Make sure the "
        "conversation alternates between user and assistant roles and try again."
    )


def tool_results_answer_the_previous_turn(body: dict[str, Any], model: str) -> Refusal | None:
    """A user message's ``toolResult`` blocks answer ``toolUse`` blocks of the message before,
    by id, no more of them than there were calls."""
    previous: list[object] = []
    for index, message in indexed(body.get("messages")):
        blocks = [block for _, block in indexed(message.get("content"))]
        results = [mapping(b.get("toolResult")) for b in blocks if "toolResult" in b]
        unanswerable = [r for r in results if r.get("toolUseId") not in previous]
        if len(results) > len(previous) or unanswerable:
            return Refusal(
                f"The number of toolResult blocks at messages.{index}.content exceeds the number "
                "of toolUse blocks of previous turn."
            )
        previous = [mapping(b.get("toolUse")).get("toolUseId") for b in blocks if "toolUse" in b]
    return None


def tool_blocks_need_a_tool_config(body: dict[str, Any], model: str) -> Refusal | None:
    """A conversation holding ``toolUse`` or ``toolResult`` blocks sends ``toolConfig``."""
    if body.get("toolConfig") is not None:
        return None
    for _, message in indexed(body.get("messages")):
        for _, block in indexed(message.get("content")):
            if "toolUse" in block or "toolResult" in block:
                return Refusal(
                    "The toolConfig field must be defined when using toolUse and toolResult "
                    "content blocks."
                )
    return None


def tool_config_has_tools(body: dict[str, Any], model: str) -> Refusal | None:
    """``toolConfig`` (and so any ``toolChoice``) comes with at least one tool."""
    config = body.get("toolConfig")
    if not isinstance(config, dict):
        return None
    tools = config.get("tools")
    if tools is None:
        return _constraint("toolConfig.tools", "not be null")
    if isinstance(tools, list) and not tools:
        return _constraint("toolConfig.tools", "have length greater than or equal to 1")
    return None


def error_tool_results_have_content(body: dict[str, Any], model: str) -> Refusal | None:
    """A ``toolResult`` with ``status: error`` says what went wrong."""
    for index, message in indexed(body.get("messages")):
        for at, block in indexed(message.get("content")):
            result = mapping(block.get("toolResult"))
            if result.get("status") == "error" and not result.get("content"):
                return Refusal(
                    f"The content field at messages.{index}.content.{at}.toolResult cannot be "
                    "empty when status value is error."
                )
    return None


def image_formats_are_known(body: dict[str, Any], model: str) -> Refusal | None:
    """Images are ``png``, ``jpeg``, ``gif`` or ``webp``."""
    for index, message in indexed(body.get("messages")):
        for at, block in indexed(message.get("content")):
            image_format = mapping(block.get("image")).get("format")
            if image_format is not None and image_format not in _IMAGE_FORMATS:
                where = f"messages.{index + 1}.member.content.{at + 1}.member.image.format"
                allowed = ", ".join(_IMAGE_FORMATS)
                return _constraint(where, f"satisfy enum value set: [{allowed}]", image_format)
    return None


def inference_values_are_in_bounds(body: dict[str, Any], model: str) -> Refusal | None:
    """``maxTokens`` >= 1; ``temperature`` and ``topP`` between 0 and 1."""
    config = mapping(body.get("inferenceConfig"))
    for name, low, high in _BOUNDS:
        value = config.get(name)
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            continue
        where = f"inferenceConfig.{name}"
        if value < low:
            return _constraint(where, f"have value greater than or equal to {low}")
        if high is not None and value > high:
            return _constraint(where, f"have value less than or equal to {high}")
    return None


def stop_sequences_are_bounded(body: dict[str, Any], model: str) -> Refusal | None:
    """At most 2500 stop sequences, none empty."""
    sequences = mapping(body.get("inferenceConfig")).get("stopSequences")
    if not isinstance(sequences, list):
        return None
    where = "inferenceConfig.stopSequences"
    if len(sequences) > _MAX_STOP_SEQUENCES:
        return _constraint(where, f"have length less than or equal to {_MAX_STOP_SEQUENCES}")
    if any(sequence == "" for sequence in sequences):
        return _constraint(where, "have length greater than or equal to 1")
    return None


_CLAUDE_THINKING: tuple[Rule, ...] = (
    anthropic.thinking_takes_only_temperature_1,
    anthropic.thinking_refuses_top_k,
    anthropic.thinking_budget_is_at_least_1024,
    anthropic.thinking_budget_is_below_max_tokens,
)


def claude_thinking_rules_hold(body: dict[str, Any], model: str) -> Refusal | None:
    """On Claude, thinking (``additionalModelRequestFields.thinking``) takes only temperature 1,
    no ``top_k``, a budget of at least 1024 tokens and below ``maxTokens``: Anthropic's own
    checks, relayed."""
    if not _CLAUDE.search(model):
        return None
    extra = mapping(body.get("additionalModelRequestFields"))
    config = mapping(body.get("inferenceConfig"))
    as_anthropic = {
        "thinking": extra.get("thinking"),
        "top_k": extra.get("top_k"),
        "temperature": config.get("temperature"),
        "max_tokens": config.get("maxTokens"),
    }
    for rule in _CLAUDE_THINKING:
        refusal = rule(as_anthropic, model)
        if refusal is not None:
            return Refusal(_MODEL_ERRORS + refusal.message)
    return None


RULES: tuple[Rule, ...] = (
    inference_values_are_in_bounds,
    stop_sequences_are_bounded,
    tool_config_has_tools,
    image_formats_are_known,
    conversation_starts_with_the_user,
    roles_alternate,
    tool_blocks_need_a_tool_config,
    tool_results_answer_the_previous_turn,
    error_tool_results_have_content,
    claude_thinking_rules_hold,
)

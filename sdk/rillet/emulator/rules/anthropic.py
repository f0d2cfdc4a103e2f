"""What Anthropic Messages (``POST /v1/messages``) refuses.

From the Messages reference (docs.claude.com/en/api/messages: roles ``user`` and ``assistant``,
consecutive turns of one role merged), tool use (docs.claude.com/en/docs/agents-and-tools/
tool-use/implement-tool-use: each ``tool_result`` answers a ``tool_use`` of the previous
assistant turn, and every ``tool_use`` is answered in the next user turn), extended thinking
(docs.claude.com/en/docs/build-with-claude/extended-thinking: ``temperature`` only 1, no
``top_k``, ``budget_tokens`` >= 1024 and below ``max_tokens``, and with tools the last
assistant turn replays its signed thinking blocks first) and the migration guide
(platform.claude.com/docs/en/about-claude/models/migration-guide: Claude Opus 4.7 and later
refuse ``temperature``, ``top_p`` and ``top_k``, and thinking other than adaptive) and structured
outputs (platform.claude.com/docs/en/build-with-claude/structured-outputs: every object of
``output_config.format.schema`` sets ``additionalProperties`` to false). The messages are the
API's own, as its users report them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from rillet.emulator.rules._json_schema import anthropic_refusal
from rillet.emulator.rules._refusal import Refusal, Rule, indexed, mapping

__all__ = [
    "RULES",
    "messages_take_user_and_assistant_roles",
    "new_models_take_only_adaptive_thinking",
    "output_format_objects_are_closed",
    "refuses_sampling_parameters",
    "sampling_parameters_are_refused_by_new_models",
    "thinking_budget_is_at_least_1024",
    "thinking_budget_is_below_max_tokens",
    "thinking_refuses_top_k",
    "thinking_takes_only_temperature_1",
    "thinking_tool_turn_replays_signed_thinking_first",
    "tool_results_answer_the_previous_turn",
    "tool_uses_are_answered_in_the_next_turn",
]

_THINKING_DOCS = "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
_CONSIDERATIONS = f"{_THINKING_DOCS}#important-considerations-when-using-extended-thinking"
_SAMPLING = ("temperature", "top_p", "top_k")
_NEW_FAMILY = re.compile(r"^claude-(fable|mythos)(?=$|[-@])")
_OPUS = re.compile(r"^claude-opus-(\d+)(?:[-.](\d{1,2}))?(?=$|[-@])")


@dataclass
class _Turn:
    """Consecutive messages of one role, which the API reads as one turn."""

    role: object
    first: int  # the index of its first message
    blocks: list[tuple[int, int, dict[str, Any]]] = field(default_factory=list)
    """(message index, block index, block) of every content block, in order."""


def refuses_sampling_parameters(model: str) -> bool:
    """Claude Opus 4.7 and later, and the Fable and Mythos families."""
    if _NEW_FAMILY.match(model):
        return True
    opus = _OPUS.match(model)
    return opus is not None and (int(opus.group(1)), int(opus.group(2) or 0)) >= (4, 7)


def messages_take_user_and_assistant_roles(body: dict[str, Any], model: str) -> Refusal | None:
    """Messages are ``user`` or ``assistant``; the system prompt is the top-level ``system``."""
    for index, message in indexed(body.get("messages")):
        role = message.get("role")
        if role == "system":
            return Refusal(
                'messages: Unexpected role "system". The Messages API accepts a top-level '
                '`system` parameter, not "system" as an input message role.'
            )
        if role not in ("user", "assistant"):
            return Refusal(f"messages.{index}.role: Input should be 'user' or 'assistant'")
    return None


def tool_results_answer_the_previous_turn(body: dict[str, Any], model: str) -> Refusal | None:
    """Each ``tool_result`` answers a ``tool_use`` of the assistant turn just before, by id."""
    previous_uses: set[object] = set()
    for turn in _turns(body):
        if turn.role == "user":
            for message, block_index, block in turn.blocks:
                answered = block.get("tool_use_id")
                if block.get("type") == "tool_result" and answered not in previous_uses:
                    return Refusal(
                        f"messages.{message}.content.{block_index}: unexpected `tool_use_id` "
                        f"found in `tool_result` blocks: {answered}. Each `tool_result` block "
                        "must have a corresponding `tool_use` block in the previous message."
                    )
        previous_uses = {b.get("id") for _, _, b in turn.blocks if b.get("type") == "tool_use"}
    return None


def tool_uses_are_answered_in_the_next_turn(body: dict[str, Any], model: str) -> Refusal | None:
    """Every ``tool_use`` of an assistant turn has its ``tool_result`` in the next turn."""
    turns = _turns(body)
    for position, turn in enumerate(turns):
        if turn.role != "assistant":
            continue
        uses = [b.get("id") for _, _, b in turn.blocks if b.get("type") == "tool_use"]
        following = turns[position + 1].blocks if position + 1 < len(turns) else []
        answered = {b.get("tool_use_id") for _, _, b in following if b.get("type") == "tool_result"}
        missing = [str(use) for use in uses if use not in answered]
        if missing:
            return Refusal(
                f"messages.{turn.first}: `tool_use` ids were found without `tool_result` blocks "
                f"immediately after: {', '.join(missing)}. Each `tool_use` block must have a "
                "corresponding `tool_result` block in the next message."
            )
    return None


def sampling_parameters_are_refused_by_new_models(
    body: dict[str, Any], model: str
) -> Refusal | None:
    """Claude Opus 4.7 and later (and Fable, Mythos) take no sampling parameter at all."""
    if not refuses_sampling_parameters(model):
        return None
    for name in _SAMPLING:
        if body.get(name) is not None:
            return Refusal(f"`{name}` is deprecated for this model.")
    return None


def new_models_take_only_adaptive_thinking(body: dict[str, Any], model: str) -> Refusal | None:
    """Claude Opus 4.7 and later think adaptively or not at all: no ``budget_tokens``."""
    if not refuses_sampling_parameters(model):
        return None
    if mapping(body.get("thinking")).get("type") != "enabled":
        return None
    return Refusal(
        '"thinking.type.enabled" is not supported for this model. Use "thinking.type.adaptive" '
        'and "output_config.effort" to control thinking behavior.'
    )


def thinking_takes_only_temperature_1(body: dict[str, Any], model: str) -> Refusal | None:
    """With thinking on, ``temperature`` is unset or 1."""
    temperature = body.get("temperature")
    if not _thinking_on(body) or temperature is None or temperature == 1:
        return None
    return Refusal(
        "`temperature` may only be set to 1 when thinking is enabled or in adaptive mode. "
        f"Please consult our documentation at {_CONSIDERATIONS}"
    )


def thinking_refuses_top_k(body: dict[str, Any], model: str) -> Refusal | None:
    """With thinking on, ``top_k`` is unset."""
    if not _thinking_on(body) or body.get("top_k") is None:
        return None
    return Refusal(
        f"`top_k` must be unset when thinking is enabled. Please consult our documentation at "
        f"{_CONSIDERATIONS}"
    )


def thinking_budget_is_at_least_1024(body: dict[str, Any], model: str) -> Refusal | None:
    """An enabled thinking budget is at least 1024 tokens."""
    budget = _budget(body)
    if budget is None or budget >= 1024:
        return None
    return Refusal("thinking.enabled.budget_tokens: Input should be greater than or equal to 1024")


def thinking_budget_is_below_max_tokens(body: dict[str, Any], model: str) -> Refusal | None:
    """``max_tokens`` leaves room beyond the thinking budget (the budget counts toward it)."""
    budget, max_tokens = _budget(body), body.get("max_tokens")
    if budget is None or not isinstance(max_tokens, int) or max_tokens > budget:
        return None
    return Refusal(
        "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our "
        f"documentation at {_THINKING_DOCS}#max-tokens-and-context-window-size"
    )


def thinking_tool_turn_replays_signed_thinking_first(
    body: dict[str, Any], model: str
) -> Refusal | None:
    """With thinking on, the last assistant turn, when it used tools, starts with its thinking
    (``thinking`` with its ``signature``, or ``redacted_thinking``), as the model sent it."""
    if not _thinking_on(body):
        return None
    for message, block_index, block in (b for t in _turns(body) for b in t.blocks):
        if block.get("type") == "thinking" and not block.get("signature"):
            return Refusal(
                f"messages.{message}.content.{block_index}.thinking.signature: Field required"
            )
    last = next((t for t in reversed(_turns(body)) if t.role == "assistant"), None)
    if last is None or not any(b.get("type") == "tool_use" for _, _, b in last.blocks):
        return None
    message, _, first = last.blocks[0]
    if first.get("type") in ("thinking", "redacted_thinking"):
        return None
    return Refusal(
        f"messages.{message}.content.0.type: Expected `thinking` or `redacted_thinking`, but "
        f"found `{first.get('type')}`. When `thinking` is enabled, a final `assistant` message "
        "must start with a thinking block (preceeding the lastmost set of `tool_use` and "
        "`tool_result` blocks). We recommend you include thinking blocks from previous turns. "
        "To avoid this requirement, disable `thinking`. Please consult our documentation at "
        f"{_THINKING_DOCS}"
    )


def output_format_objects_are_closed(body: dict[str, Any], model: str) -> Refusal | None:
    """Every object of a ``json_schema`` output format sets ``additionalProperties: false``."""
    form = mapping(mapping(body.get("output_config")).get("format"))
    if form.get("type") != "json_schema":
        return None
    return anthropic_refusal(form.get("schema"), "output_config.format.schema")


def _thinking_on(body: dict[str, Any]) -> bool:
    return mapping(body.get("thinking")).get("type") in ("enabled", "adaptive")


def _budget(body: dict[str, Any]) -> int | None:
    thinking = mapping(body.get("thinking"))
    budget = thinking.get("budget_tokens")
    if thinking.get("type") != "enabled" or not isinstance(budget, int):
        return None
    return budget


def _turns(body: dict[str, Any]) -> list[_Turn]:
    """The messages as the API reads them: consecutive messages of one role merged."""
    turns: list[_Turn] = []
    for index, message in indexed(body.get("messages")):
        role = message.get("role")
        if not turns or turns[-1].role != role:
            turns.append(_Turn(role, index))
        content = message.get("content")
        if isinstance(content, str):
            turns[-1].blocks.append((index, 0, {"type": "text", "text": content}))
        else:
            turns[-1].blocks.extend((index, at, block) for at, block in indexed(content))
    return turns


RULES: tuple[Rule, ...] = (
    messages_take_user_and_assistant_roles,
    tool_results_answer_the_previous_turn,
    tool_uses_are_answered_in_the_next_turn,
    sampling_parameters_are_refused_by_new_models,
    new_models_take_only_adaptive_thinking,
    thinking_takes_only_temperature_1,
    thinking_refuses_top_k,
    thinking_budget_is_at_least_1024,
    thinking_budget_is_below_max_tokens,
    thinking_tool_turn_replays_signed_thinking_first,
    output_format_objects_are_closed,
)

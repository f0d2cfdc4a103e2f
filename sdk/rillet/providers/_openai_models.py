"""What rillet knows about OpenAI's models' request rules, for Chat Completions and Responses.

OpenAI's reasoning models (``o1``, ``o3``, ``o4-mini``, ..., ``gpt-5*`` but not the
``gpt-5*-chat`` ones) refuse ``max_tokens`` (``max_completion_tokens`` means the same and is
taken instead) and a ``temperature`` or ``top_p`` other than 1; GPT-5.1 and later take them
with reasoning effort ``none``. These rules hold at OpenAI itself (``api.openai.com``) only:
a compatible server behind another URL has its own, and is sent what was asked.
(platform.openai.com/docs/guides/reasoning, .../latest-model; the 400s they answer.)
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from rillet._exceptions import ConfigurationError

__all__ = [
    "OPENAI_HOST",
    "apply_model_rules",
    "at_openai",
    "is_reasoning_model",
    "responses_effort",
]

OPENAI_HOST = "api.openai.com"

_REASONING = re.compile(r"(?:ft:)?(?:o\d+(?:-|$)|gpt-5(?:\.(?P<minor>\d+))?(?![\d]))")
_SAMPLING = ("temperature", "top_p")


@functools.lru_cache(maxsize=64)
def at_openai(base_url: str) -> bool:
    """True when ``base_url`` is OpenAI's own API, not a compatible server."""
    return (urlsplit(base_url).hostname or "").lower() == OPENAI_HOST


def is_reasoning_model(model: str | None) -> bool:
    """True for the models known to refuse ``max_tokens`` and sampling parameters."""
    name = (model or "").lower()
    return _REASONING.match(name) is not None and "-chat" not in name


def _samples_with_no_effort(model: str, effort: object) -> bool:
    """GPT-5.1 and later take temperature and top_p with reasoning effort ``none``."""
    match = _REASONING.match(model.lower())
    minor = match.group("minor") if match else None
    return effort == "none" and minor is not None and int(minor) >= 1


def apply_model_rules(body: dict[str, Any], *, base_url: str, effort: object) -> dict[str, Any]:
    """``body`` as a reasoning model at OpenAI takes it: ``max_tokens`` renamed
    ``max_completion_tokens``, a sampling parameter other than 1 a ``ConfigurationError``.
    ``effort`` is the body's reasoning effort (None: none given). Any other body: as given."""
    model = body.get("model")
    if not (at_openai(base_url) and isinstance(model, str) and is_reasoning_model(model)):
        return body
    if "max_tokens" in body:
        body = dict(body)
        value = body.pop("max_tokens")
        if body.setdefault("max_completion_tokens", value) != value:
            raise ConfigurationError(
                f"max_tokens={value!r} and max_completion_tokens="
                f"{body['max_completion_tokens']!r} disagree; {model} takes only "
                "max_completion_tokens"
            )
    if not _samples_with_no_effort(model, effort):
        for name in _SAMPLING:
            value = body.get(name)
            if value is not None and value != 1:
                raise ConfigurationError(
                    f"{name}={value!r} cannot be sent to {model} at OpenAI: its reasoning "
                    f"models take only the default, 1; leave {name} out"
                )
    return body


def responses_effort(body: Mapping[str, Any]) -> object:
    """The reasoning effort of a Responses body (``reasoning.effort``), or None."""
    reasoning = body.get("reasoning")
    return reasoning.get("effort") if isinstance(reasoning, Mapping) else None

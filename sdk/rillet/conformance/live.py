"""``rillet conformance --record --live``: cassettes from the real APIs, with a real key.

Refused unless ``RILLET_LIVE=1`` is set, and always when ``CI`` is: it spends money and needs a
key, and CI has neither reason nor right to. Only the cases a real model can be asked for are
recorded (``LIVE_PROMPTS``), into ``cassettes/live/<wire>/<case>.yaml``, with the key and
everything key-shaped scrubbed. What a real model says is not the scenario's, so a live
cassette's replays are judged by the rules that hold for any stream (``LIVE_RULES``) and must
agree with each other.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rillet._exceptions import ConfigurationError
from rillet.conformance.cases import Case
from rillet.conformance.cassettes import recording
from rillet.conformance.runner import CaseResult, Target, evaluate, observe
from rillet.conformance.signing import SIGV4_WIRES
from rillet.protocol import ToolDefinition
from rillet.registry import load_adapter_factory
from rillet.transport import Timeout

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "LIVE_MATCH_ON",
    "LIVE_PROMPTS",
    "LIVE_RULES",
    "LivePrompt",
    "live_refusal",
    "record_live",
]

LIVE_RULES = frozenset({"start_first", "one_terminal", "tool_calls_balanced", "error", "metadata"})
LIVE_MATCH_ON = ("method",)
"""A live cassette holds one exchange, made with a model name the replay does not know."""

_WEATHER = ToolDefinition(
    name="get_weather",
    description="The weather in a city",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
_TIME = ToolDefinition(
    name="get_time",
    description="The time in a time zone",
    parameters={"type": "object", "properties": {"timezone": {"type": "string"}}},
)


@dataclass(frozen=True)
class LivePrompt:
    prompt: str
    tools: tuple[ToolDefinition, ...] = ()


LIVE_PROMPTS: Mapping[str, LivePrompt] = {
    "text": LivePrompt("Say hello in five words, then count to ten in words."),
    "tool-call": LivePrompt("What is the weather in Zürich? Use the tool.", (_WEATHER,)),
    "parallel-tool-calls": LivePrompt(
        "Get the weather in Paris and in Tokyo and the time in UTC: call all three tools at once.",
        (_WEATHER, _TIME),
    ),
    "auth-error": LivePrompt("Say hello."),
    "unknown-model": LivePrompt("Say hello."),
    "unknown-model-id": LivePrompt("Say hello."),
    "invalid-model-id": LivePrompt("Say hello."),
}


def live_refusal(environ: Mapping[str, str] = os.environ) -> str | None:
    """Why a live recording may not run here, or None."""
    if environ.get("CI"):
        return "live recording never runs in CI (CI is set)"
    if environ.get("RILLET_LIVE") != "1":
        return "live recording calls the real API with your key: set RILLET_LIVE=1 to confirm"
    return None


_AWS_SECRETS = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID")
"""What signs a SigV4 wire's requests when no API key is set (Bedrock)."""


def _secrets(target: Target) -> list[str]:
    names = getattr(load_adapter_factory(target.factory), "api_key_env", ())
    if target.wire in SIGV4_WIRES:
        names = (*names, *_AWS_SECRETS)
    return [os.environ[name] for name in names if os.environ.get(name)]


def record_live(
    targets: Sequence[Target],
    cases: Sequence[Case],
    root: Path,
    *,
    model: str | None,
    console: Console,
) -> list[CaseResult]:
    """``--record --live``: refused where ``live_refusal`` says so, else ``record``."""
    refusal = live_refusal()
    if refusal is not None:
        raise ConfigurationError(refusal)
    if not model:
        raise ConfigurationError("--live needs --model: the real model to call")

    def show(result: CaseResult, path: Path) -> None:
        console.print(f"{result.target} · {result.case}: {result.status} -> {path}")

    return asyncio.run(record(targets, cases, root, model=model, on_result=show))


async def record(
    targets: Sequence[Target],
    cases: Sequence[Case],
    root: Path,
    *,
    model: str,
    base_url: str | None = None,
    on_result: Callable[[CaseResult, Path], None] | None = None,
) -> list[CaseResult]:
    """Record ``root/<wire>/<case>.yaml`` for the live cases among ``cases``, calling
    ``base_url`` (None: the provider's real API) with the key from the environment."""
    results: list[CaseResult] = []
    for target in targets:
        secrets = _secrets(target)
        if not secrets:
            raise ConfigurationError(f"no API key in the environment for {target.label}")
        for case in cases:
            if case.name not in LIVE_PROMPTS:
                continue
            live = LIVE_PROMPTS[case.name]
            real = dataclasses.replace(
                case, model=case.model or model, timeout=Timeout(connect=10.0, idle=60.0)
            )
            path = root / target.wire / f"{case.name}.yaml"
            with recording(path, secrets=[*secrets, case.api_key or ""], match_on=LIVE_MATCH_ON):
                seen = await observe(
                    real,
                    target,
                    base_url=base_url,
                    api_key=case.api_key,
                    prompt=live.prompt,
                    tools=live.tools,
                )
            result = evaluate(real, target, seen, source="live", rules=LIVE_RULES)
            if on_result is not None:
                on_result(result, path)
            results.append(result)
    return results

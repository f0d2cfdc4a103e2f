"""Each provider's own response headers: the request id and the rate limits.

OpenAI sends ``x-request-id`` and ``x-ratelimit-{limit,remaining,reset}-{requests,tokens}``
(resets as durations: ``12ms``, ``6m0s``); Anthropic sends ``request-id`` and
``anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}``
(resets as RFC 3339 times); Gemini sends neither. Deterministic, like the bodies: the counts
follow the number of requests served, and Anthropic's reset times count from the fixed
``CREATED`` time every rendered response reports, so a cassette recorded again is the same file.
A 429 reply says the request limit is used up, and when it resets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from rillet.emulator._errors import family
from rillet.emulator.render._events import CREATED, ident

__all__ = ["provider_headers"]

_TOKENS_PER_REQUEST = 1000  # Anthropic rounds remaining tokens to the thousand


def _rfc3339(unix: int) -> str:
    return datetime.fromtimestamp(unix, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class _Limits:
    name: str
    """A header name with ``{quota}`` and ``{field}`` (limit, remaining, reset)."""
    limits: dict[str, int]
    resets: dict[str, str]
    """Each quota's reset, as the provider writes it."""
    rate_limited_reset: str
    """The request limit's reset on a 429."""


_OPENAI = _Limits(
    "x-ratelimit-{field}-{quota}",
    {"requests": 5000, "tokens": 800_000},
    {"requests": "12ms", "tokens": "9ms"},
    "20s",  # what the 429 body's "Please try again in 20s" says
)
_ANTHROPIC = _Limits(
    "anthropic-ratelimit-{quota}-{field}",
    {"requests": 1000, "tokens": 96_000, "input-tokens": 80_000, "output-tokens": 16_000},
    dict.fromkeys(("requests", "tokens", "input-tokens", "output-tokens"), _rfc3339(CREATED + 1)),
    _rfc3339(CREATED + 20),
)


def provider_headers(wire: str, served: int, status: int = 200) -> dict[str, str]:
    """The request id and rate-limit headers of ``wire``'s provider for the reply to request
    number ``served`` (from 0); a 429 ``status`` finds the request limit used up."""
    seed = f"request:{served}"
    kind = family(wire)
    if kind == "openai":
        return {
            "x-request-id": "req_" + ident(seed, 32).lower(),
            **_rate_limits(_OPENAI, served, status),
        }
    if kind == "anthropic":
        return {
            "request-id": "req_011C" + ident(seed, 20),
            **_rate_limits(_ANTHROPIC, served, status),
        }
    return {}


def _rate_limits(spec: _Limits, served: int, status: int) -> dict[str, str]:
    if status not in (200, 429):
        return {}  # an auth error, an unknown model, a server error: no limits counted
    headers: dict[str, str] = {}
    for quota, limit in spec.limits.items():
        used = (served + 1) * (1 if quota == "requests" else _TOKENS_PER_REQUEST)
        remaining, reset = max(0, limit - used), spec.resets[quota]
        if status == 429 and quota == "requests":
            remaining, reset = 0, spec.rate_limited_reset
        headers[spec.name.format(quota=quota, field="limit")] = str(limit)
        headers[spec.name.format(quota=quota, field="remaining")] = str(remaining)
        headers[spec.name.format(quota=quota, field="reset")] = reset
    return headers

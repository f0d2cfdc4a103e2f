"""Rate limits read from a provider's response headers. Pure: headers in, a ``RateLimit`` out.

    rate_limit = parse_rate_limit(response_headers)  # None when no header spoke of limits
    rate_limit.requests.remaining, rate_limit.tokens.reset_seconds

Each header family fills the quotas it names (``_PATTERNS``); a quota already filled by an
earlier family is kept. A reset comes in any of the providers' forms: a Go duration (OpenAI
``1s``, ``6m0s``, ``20ms``; Groq ``2m59.56s``), an RFC 3339 time (Anthropic), an HTTP date, or a
number (seconds from now; taken as a Unix time in seconds from 10^9 on, in milliseconds from
10^12 on, as some OpenAI-compatible servers send it). A value that fits none of them leaves its
field null: headers never make parsing fail.
"""

from __future__ import annotations

import functools
import math
import re
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from rillet.protocol import RateLimit, RateLimitQuota, rate_limit_quota, rate_limit_with

__all__ = ["RATE_LIMIT_HEADERS", "parse_rate_limit", "retry_after", "retry_wait"]

_PATTERNS: tuple[tuple[str, str], ...] = (
    # (quota, header name with {} for limit / remaining / reset)
    ("requests", "x-ratelimit-{}-requests"),  # OpenAI; Groq, DeepSeek and others copy it
    ("tokens", "x-ratelimit-{}-tokens"),
    ("requests", "anthropic-ratelimit-requests-{}"),  # Anthropic
    ("tokens", "anthropic-ratelimit-tokens-{}"),
    ("input_tokens", "anthropic-ratelimit-input-tokens-{}"),
    ("output_tokens", "anthropic-ratelimit-output-tokens-{}"),
    ("requests", "x-ratelimit-{}"),  # one unnamed limit: OpenRouter, Together and others
    ("requests", "ratelimit-{}"),  # the IETF draft's RateLimit-Limit / -Remaining / -Reset
)
_FAMILIES = tuple(
    (quota, pattern.format("limit"), pattern.format("remaining"), pattern.format("reset"))
    for quota, pattern in _PATTERNS
)
"""(quota, limit header, remaining header, reset header), in the order families are tried."""
RATE_LIMIT_HEADERS = frozenset(
    [name for family in _FAMILIES for name in family[1:]] + ["retry-after", "retry-after-ms"]
)
"""Every header ``parse_rate_limit`` reads (in lower case): with none of them, it gives None."""

_DURATION = re.compile(r"(?:\d+(?:\.\d*)?(?:ns|us|µs|ms|h|m|s))+")
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?)(ns|us|µs|ms|h|m|s)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_UNIX_SECONDS = 1e9  # 2001-09-09: a plain number this large is a point in time, not a delay
_UNIX_MILLISECONDS = 1e12
_FRACTION = re.compile(r"\.(\d+)")


def parse_rate_limit(headers: Mapping[str, str], *, now: float | None = None) -> RateLimit | None:
    """The rate limits ``headers`` report (names in lower case, as aiohttp's and rillet's
    mappings look them up), resets counted from ``now`` (a Unix time; default: the clock).
    None when no header speaks of limits or of when to retry."""
    at = time.time() if now is None else now
    quotas: dict[str, RateLimitQuota] = {}
    for quota, limit_name, remaining_name, reset_name in _FAMILIES:
        if quota in quotas:
            continue
        limit, remaining = headers.get(limit_name), headers.get(remaining_name)
        reset = headers.get(reset_name)
        if limit is not None or remaining is not None or reset is not None:
            found = _quota(limit, remaining, reset, at)
            if found is not None:
                quotas[quota] = found
    wait = retry_after(headers, now=at)
    if not quotas and wait is None:
        return None
    return rate_limit_with(quotas, wait)


def retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds the server asked to wait: ``retry-after-ms``, else ``retry-after`` (seconds or an
    HTTP date; a date in the past means now)."""
    value = headers.get("retry-after-ms")
    if value is not None:
        milliseconds = _number(value)
        if milliseconds is not None:
            return milliseconds / 1000.0
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = _number(value)
    if seconds is not None:
        return seconds
    return _until(_http_date(value), now)


def retry_wait(rate_limit: RateLimit) -> float | None:
    """How long to wait before trying again: the provider's ``retry_after``, else the latest
    reset of the quotas with nothing left, else the soonest reset of any quota (which limit was
    hit is then unknown), else None."""
    if rate_limit.retry_after is not None:
        return rate_limit.retry_after
    quotas = (
        rate_limit.requests,
        rate_limit.tokens,
        rate_limit.input_tokens,
        rate_limit.output_tokens,
    )
    resets = [
        (q.reset_seconds, q.remaining == 0)
        for q in quotas
        if q is not None and q.reset_seconds is not None
    ]
    exhausted = [seconds for seconds, empty in resets if empty]
    if exhausted:
        return max(exhausted)
    return min((seconds for seconds, _ in resets), default=None)


def _quota(
    limit: str | None, remaining: str | None, reset: str | None, now: float
) -> RateLimitQuota | None:
    """The quota these header values state; None when none of them can be read."""
    count, left = _count(limit), _count(remaining)
    reset = reset.strip() if reset is not None else None
    if count is None and left is None and not reset:
        return None
    return rate_limit_quota(
        count, left, _reset_seconds(reset, now) if reset else None, reset or None
    )


def _count(value: str | None) -> int | None:
    """A non-negative whole number (``100`` or ``100.0``); None for anything else."""
    if value is None:
        return None
    if value.isdecimal() and len(value) <= 15:  # nearly every count: digits, exact as a float
        return int(value)
    number = _number(value)
    return int(number) if number is not None and number.is_integer() else None


def _reset_seconds(text: str, now: float) -> float | None:
    form = _reset_form(text)
    if form is None:
        return None
    value, is_moment = form
    return max(0.0, value - now) if is_moment else value


@functools.lru_cache(maxsize=256)
def _reset_form(text: str) -> tuple[float, bool] | None:
    """What a reset says, apart from the clock: ``(seconds, False)`` for a duration or a number
    of seconds, ``(unix_time, True)`` for a point in time, None when it is unreadable.
    Remembered: the same resets (``0s``, ``6ms``; an Anthropic reset time until it passes) come
    back with response after response."""
    if _DURATION.fullmatch(text):
        total = sum(float(n) * _UNIT_SECONDS[unit] for n, unit in _DURATION_PART.findall(text))
        return round(total, 9), False  # 9ms is 0.009, not 0.009000000000000001
    number = _number(text)
    if number is not None:
        if number >= _UNIX_MILLISECONDS:
            return number / 1000.0, True
        if number >= _UNIX_SECONDS:
            return number, True
        return number, False
    when = _rfc3339(text) or _http_date(text)
    return None if when is None else (_unix_time(when), True)


def _until(when: datetime | None, now: float | None) -> float | None:
    if when is None:
        return None
    return max(0.0, _unix_time(when) - (time.time() if now is None else now))


def _unix_time(when: datetime) -> float:
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)  # HTTP dates are GMT; a bare time is taken as UTC
    return when.timestamp()


def _rfc3339(text: str) -> datetime | None:
    # Python 3.10's fromisoformat knows neither ``Z`` nor fractions of other than 3 or 6 digits.
    text = text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text
    text = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), text, count=1)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _http_date(text: str) -> datetime | None:
    try:
        return parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError):
        return None


def _number(value: str) -> float | None:
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if number >= 0 and math.isfinite(number) else None

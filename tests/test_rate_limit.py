"""``rillet.rate_limit``: every provider header family read into typed quotas, every reset form
read into seconds, and headers that say nothing readable never make it fail."""

from __future__ import annotations

from email.utils import formatdate
from typing import Any

import pytest

from rillet import RateLimit, RateLimitQuota
from rillet.rate_limit import parse_rate_limit, retry_after, retry_wait

NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z

OPENAI = {
    "x-ratelimit-limit-requests": "60",
    "x-ratelimit-remaining-requests": "59",
    "x-ratelimit-reset-requests": "1s",
    "x-ratelimit-limit-tokens": "150000",
    "x-ratelimit-remaining-tokens": "149984",
    "x-ratelimit-reset-tokens": "6m0s",
}
ANTHROPIC = {
    "anthropic-ratelimit-requests-limit": "1000",
    "anthropic-ratelimit-requests-remaining": "999",
    "anthropic-ratelimit-requests-reset": "2026-01-01T00:00:01Z",
    "anthropic-ratelimit-tokens-limit": "96000",
    "anthropic-ratelimit-tokens-remaining": "95000",
    "anthropic-ratelimit-tokens-reset": "2026-01-01T00:00:02Z",
    "anthropic-ratelimit-input-tokens-limit": "80000",
    "anthropic-ratelimit-input-tokens-remaining": "79000",
    "anthropic-ratelimit-input-tokens-reset": "2026-01-01T00:00:03Z",
    "anthropic-ratelimit-output-tokens-limit": "16000",
    "anthropic-ratelimit-output-tokens-remaining": "15000",
    "anthropic-ratelimit-output-tokens-reset": "2026-01-01T00:01:00Z",
    "retry-after": "7",
}


OPENAI_LIMITS = RateLimit(
    requests=RateLimitQuota(limit=60, remaining=59, reset_seconds=1.0, reset="1s"),
    tokens=RateLimitQuota(limit=150000, remaining=149984, reset_seconds=360.0, reset="6m0s"),
)


def test_openai_headers_fill_every_field() -> None:
    assert parse_rate_limit(OPENAI, now=NOW) == OPENAI_LIMITS


def test_anthropic_headers_fill_every_field() -> None:
    assert parse_rate_limit(ANTHROPIC, now=NOW) == RateLimit(
        requests=RateLimitQuota(
            limit=1000, remaining=999, reset_seconds=1.0, reset="2026-01-01T00:00:01Z"
        ),
        tokens=RateLimitQuota(
            limit=96000, remaining=95000, reset_seconds=2.0, reset="2026-01-01T00:00:02Z"
        ),
        input_tokens=RateLimitQuota(
            limit=80000, remaining=79000, reset_seconds=3.0, reset="2026-01-01T00:00:03Z"
        ),
        output_tokens=RateLimitQuota(
            limit=16000, remaining=15000, reset_seconds=60.0, reset="2026-01-01T00:01:00Z"
        ),
        retry_after=7.0,
    )


def test_a_single_unnamed_limit_is_the_request_limit() -> None:
    """OpenRouter and other OpenAI-compatible servers send x-ratelimit-limit/-remaining/-reset,
    the reset as a Unix time in milliseconds; the IETF draft's RateLimit-* count seconds."""
    unnamed = {
        "x-ratelimit-limit": "20",
        "x-ratelimit-remaining": "19",
        "x-ratelimit-reset": str(int((NOW + 10) * 1000)),
    }
    assert parse_rate_limit(unnamed, now=NOW) == RateLimit(
        requests=RateLimitQuota(
            limit=20, remaining=19, reset_seconds=10.0, reset=unnamed["x-ratelimit-reset"]
        )
    )
    ietf = {"ratelimit-limit": "100", "ratelimit-remaining": "0", "ratelimit-reset": "50"}
    assert parse_rate_limit(ietf, now=NOW) == RateLimit(
        requests=RateLimitQuota(limit=100, remaining=0, reset_seconds=50.0, reset="50")
    )


def test_a_family_named_first_wins_over_a_generic_one() -> None:
    both = {**OPENAI, "x-ratelimit-limit": "1", "x-ratelimit-remaining": "1"}
    found = parse_rate_limit(both, now=NOW)
    assert found is not None and found.requests is not None and found.requests.limit == 60


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1s", 1.0),
        ("6m0s", 360.0),
        ("20ms", 0.02),
        ("2m59.56s", 179.56),  # Groq
        ("1h2m3s", 3723.0),
        ("7.66s", 7.66),
        ("500us", 0.0005),
        ("2.5", 2.5),  # seconds
        (str(int(NOW + 30)), 30.0),  # a Unix time in seconds
        (str(int((NOW + 30) * 1000)), 30.0),  # ... and in milliseconds
        ("2026-01-01T00:00:30Z", 30.0),  # RFC 3339
        ("2026-01-01T00:00:30.5+00:00", 30.5),
        ("2026-01-01T01:00:30+01:00", 30.0),
        ("2026-01-01T00:00:30.1234567Z", 30.123456),  # more fraction digits than Python reads
        (formatdate(NOW + 30, usegmt=True), 30.0),  # an HTTP date
        ("2025-12-31T23:59:00Z", 0.0),  # already past: now
    ],
)
def test_every_reset_form_is_read_as_seconds(text: str, seconds: float) -> None:
    found = parse_rate_limit({"x-ratelimit-reset-requests": text}, now=NOW)
    assert found is not None and found.requests is not None
    assert found.requests.reset == text
    assert found.requests.reset_seconds == pytest.approx(seconds)


@pytest.mark.parametrize(
    "headers",
    [
        {"x-ratelimit-limit-requests": "many", "x-ratelimit-remaining-requests": "-1"},
        {"x-ratelimit-limit-requests": "1.5", "x-ratelimit-remaining-requests": "inf"},
    ],
)
def test_unreadable_counts_are_left_out(headers: dict[str, str]) -> None:
    assert parse_rate_limit(headers, now=NOW) is None


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("100", 100),
        (" 100 ", 100),
        ("100.0", 100),
        ("1e3", 1000),
        ("\uff11\uff12", 12),  # fullwidth digits read as int() and float() read them
        ("9" * 15, 10**15 - 1),
        ("9" * 5000, None),  # beyond a float: no count (int() would refuse 4,300+ digits)
        ("\u00b2", None),  # a digit, not a decimal
    ],
)
def test_counts_are_whole_numbers_in_any_written_form(text: str, count: int | None) -> None:
    found = parse_rate_limit({"x-ratelimit-limit-requests": text}, now=NOW)
    assert (found.requests.limit if found and found.requests else None) == count


@pytest.mark.parametrize("text", ["soon", "2026-13-45T99:00:00Z", "5 parsecs", "nan", "-3"])
def test_an_unreadable_reset_keeps_its_text_only(text: str) -> None:
    headers = {"x-ratelimit-remaining-requests": "4", "x-ratelimit-reset-requests": text}
    assert parse_rate_limit(headers, now=NOW) == RateLimit(
        requests=RateLimitQuota(remaining=4, reset=text)
    )


def test_headers_without_limits_give_none() -> None:
    assert parse_rate_limit({}) is None
    assert parse_rate_limit({"content-type": "text/event-stream", "retry-after": "later"}) is None
    assert parse_rate_limit({"retry-after": "0"}) == RateLimit(retry_after=0.0)


def test_retry_after_forms() -> None:
    assert retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert retry_after({"retry-after": "3"}) == 3.0
    date = formatdate(NOW + 30, usegmt=True)
    assert retry_after({"retry-after": date}, now=NOW) == pytest.approx(30.0)
    assert retry_after({"retry-after-ms": "x", "retry-after": "2"}) == 2.0
    assert retry_after({"retry-after": "-4"}) is None


def _quota(remaining: int | None, reset: float | None) -> RateLimitQuota:
    return RateLimitQuota(remaining=remaining, reset_seconds=reset)


def test_retry_wait_prefers_what_the_server_asked_then_the_exhausted_limit() -> None:
    asked = RateLimit(requests=_quota(0, 20.0), retry_after=3.0)
    assert retry_wait(asked) == 3.0
    exhausted = RateLimit(
        requests=_quota(0, 20.0), tokens=_quota(5, 1.0), output_tokens=_quota(0, 45.0)
    )
    assert retry_wait(exhausted) == 45.0  # every exhausted limit must have reset
    unknown = RateLimit(
        requests=_quota(5, 20.0), tokens=_quota(5, 1.5), input_tokens=_quota(1, None)
    )
    assert retry_wait(unknown) == 1.5  # which limit was hit is unknown: the soonest reset
    assert retry_wait(RateLimit(requests=_quota(0, None))) is None


def test_rate_limit_headers_are_every_name_parse_rate_limit_reads() -> None:
    from rillet.rate_limit import RATE_LIMIT_HEADERS

    class Recording(dict[str, str]):
        def get(self, key: str, default: object = None) -> Any:
            read.add(key)
            return super().get(key, default)

    read: set[str] = set()
    assert parse_rate_limit(Recording(), now=0.0) is None
    assert read == RATE_LIMIT_HEADERS  # so that a response with none of them is skipped
    for name in RATE_LIMIT_HEADERS:  # and each alone is read
        assert parse_rate_limit({name: "5"}, now=0.0) is not None, name

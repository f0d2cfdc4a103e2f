"""When to retry, and how long to wait first.

Retries happen only before the first byte of a response body: an error status whose error is
retryable (``rillet._error_kinds`` decides, the server's ``x-should-retry`` overrides), a failed
connection, or a stall before the body. Waits honour the server's
``retry-after-ms`` / ``Retry-After`` (seconds or HTTP date) up to ``max_retry_after``; otherwise
exponential back-off with jitter, the same schedule as the official OpenAI and Anthropic SDKs.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from rillet._arguments import check_max_retries
from rillet._exceptions import APIError, ConfigurationError
from rillet.rate_limit import retry_after

__all__ = ["RetryPolicy", "retry_after"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many times, and after how long, a request is sent again.

    The n-th back-off (n from 0) is ``min(initial_delay * 2**n, max_delay)`` shortened by up to
    ``jitter`` (a fraction: 0.25 waits 75-100 % of it), so clients do not retry in step.
    ``sleep`` waits; tests pass a recorder so that no test sleeps for real.
    """

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    jitter: float = 0.25
    sleep: Callable[[float], Awaitable[object]] = field(
        default=asyncio.sleep, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        check_max_retries(self.max_retries)
        if not 0.0 <= self.jitter <= 1.0:
            raise ConfigurationError(f"jitter must be between 0 and 1, not {self.jitter!r}")

    def should_retry(self, error: APIError, headers: Mapping[str, str]) -> bool:
        """Whether an error response is worth another attempt: ``error.retryable``, unless the
        server's ``x-should-retry`` header says otherwise."""
        override = headers.get("x-should-retry", "").strip().lower()
        if override == "true":
            return True
        if override == "false":
            return False
        return error.retryable

    def backoff(self, retry: int) -> float:
        """Back-off before retry number ``retry`` (0 for the first retry)."""
        delay = min(self.initial_delay * 2.0 ** min(retry, 62), self.max_delay)
        return delay * (1.0 - self.jitter * random.random())

    def delay(self, retry: int, headers: Mapping[str, str] | None = None) -> float:
        """The wait before retry ``retry``: the server's ask if within the cap, else back-off."""
        if headers is not None:
            asked = retry_after(headers)
            if asked is not None and asked <= self.max_retry_after:
                return asked
        return self.backoff(retry)

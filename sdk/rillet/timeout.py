"""``Timeout``: the three limits of one request (the transport maps them onto aiohttp)."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Timeout"]


@dataclass(frozen=True, slots=True)
class Timeout:
    """Limits in seconds for one request; ``None`` disables a limit.

    ``connect``: opening the TCP (and TLS) connection. ``idle``: the longest silence between two
    received bytes, before the headers as well as during the body; a stall raises
    ``IdleTimeoutError`` instead of hanging. ``total``: the whole call, retries, back-off sleeps
    and body included.
    """

    connect: float | None = 5.0
    idle: float | None = 60.0
    total: float | None = None

    def __post_init__(self) -> None:
        for name in ("connect", "idle", "total"):
            value = getattr(self, name)
            if value is not None and not (value > 0 and math.isfinite(value)):
                raise ValueError(f"Timeout.{name} must be a positive number or None, not {value!r}")

    @classmethod
    def coerce(cls, value: Timeout | float | int | None) -> Timeout:
        """A ``Timeout`` from a user value: a number is the idle timeout, None the defaults."""
        if value is None:
            return cls()
        if isinstance(value, Timeout):
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"timeout must be a Timeout, a number or None, not {value!r}")
        return cls(idle=float(value))

"""``Timeout``: the three limits of one request (the transport maps them onto aiohttp)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from rillet._exceptions import ConfigurationError

__all__ = ["Timeout"]


@dataclass(frozen=True, slots=True)
class Timeout:
    """Limits in seconds for one request; ``None`` disables a limit.

    ``connect``: opening the TCP (and TLS) connection. ``idle``: the longest silence between two
    received bytes, before the headers as well as during the body; a stall raises
    ``IdleTimeoutError`` instead of hanging (in the body, ``idle`` to ``1.25 * idle`` after the
    last byte: the body is checked four times per ``idle``, not on each read). ``total``: the
    whole call, retries, back-off sleeps and body included. Anything but a positive number or
    None is a ``ConfigurationError``.
    """

    connect: float | None = 5.0
    idle: float | None = 60.0
    total: float | None = None

    def __post_init__(self) -> None:
        for name in ("connect", "idle", "total"):
            value = getattr(self, name)
            if value is not None and not _is_positive(value):
                raise ConfigurationError(
                    f"Timeout.{name} must be a positive number of seconds or None, not {value!r}"
                )

    @classmethod
    def coerce(cls, value: Timeout | float | int | None) -> Timeout:
        """A ``Timeout`` from a user value: a number is the idle timeout, None the defaults."""
        if value is None:
            return cls()
        if isinstance(value, Timeout):
            return value
        if not _is_positive(value):
            raise ConfigurationError(
                "timeout must be a Timeout, a positive number of seconds (the idle timeout) or "
                f"None, not {value!r}"
            )
        return cls(idle=float(value))


def _is_positive(value: object) -> bool:
    """A finite number above 0 (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return value > 0 and math.isfinite(value)

"""``unsupported``: the error for a neutral setting a provider's API cannot express.

Dropping it with a log line would send a request other than the one asked for; the caller
learns before anything is sent, and which setting to change.
"""

from __future__ import annotations

from rillet._exceptions import ConfigurationError

__all__ = ["unsupported"]


def unsupported(option: str, provider: str, instead: str) -> ConfigurationError:
    """``option`` (as the caller names it: ``stop``, ``reasoning.budget_tokens``) has no
    equivalent at ``provider``; ``instead`` says what to do."""
    return ConfigurationError(f"{option} cannot be sent to provider {provider!r}: {instead}")

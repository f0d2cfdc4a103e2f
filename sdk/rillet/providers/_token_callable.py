"""A token callable, sync or async, called for each request (the caller refreshes as it likes)."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable

from rillet._exceptions import ConfigurationError

__all__ = ["TokenCallable", "call_token"]

TokenCallable = Callable[[], str | Awaitable[str]]


async def call_token(provider: TokenCallable, option: str) -> str:
    """What ``provider`` returns (awaited if need be); anything but a non-empty string is a
    ``ConfigurationError`` naming ``option`` (and never showing the value)."""
    token = provider()
    if inspect.isawaitable(token):
        token = await token
    if not isinstance(token, str) or not token:
        what = "an empty string" if token == "" else type(token).__name__
        raise ConfigurationError(f"{option} returned {what}, not a token string")
    return token

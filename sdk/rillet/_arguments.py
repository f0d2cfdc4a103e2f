"""Checks of what a user passes in, before anything is sent: each failure is a
``ConfigurationError`` (or ``RequestValidationError``) that names the argument."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from rillet._exceptions import ConfigurationError, RequestValidationError
from rillet._redact import redact_url

__all__ = ["check_base_url", "check_max_retries", "invalid_argument", "json_fault"]

_SHOWN_ERRORS = 3  # a message names the first few failures; ``errors`` holds them all


def check_max_retries(value: object) -> int | None:
    """``value`` if it is None or a whole number of retries, 0 or more."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigurationError(f"max_retries must be a whole number >= 0 or None, not {value!r}")
    return value


def check_base_url(url: object, name: str = "base_url") -> str:
    """``url`` if it is an ``http://`` or ``https://`` URL with a host; ``name`` is where it
    came from (``base_url``, or the environment variable that gave it)."""
    if not isinstance(url, str) or not url.strip():
        raise ConfigurationError(
            f"{name} is empty: give the server's URL (https://...), or leave it out (None) for "
            "the provider's own"
        )
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        host = None
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not host:
        raise ConfigurationError(
            f"{name} must be an http:// or https:// URL with a host, not {redact_url(url)!r}"
        )
    return url


def invalid_argument(error: ValidationError, argument: str | None = None) -> RequestValidationError:
    """The ``RequestValidationError`` for pydantic's ``error`` about the user's ``argument``;
    None: the argument is the first part of each error's location (a field of the request)."""
    errors: list[dict[str, Any]] = [dict(item) for item in error.errors()]
    if argument is not None:
        for item in errors:
            item["loc"] = (argument, *item["loc"])
    named = argument or (str(errors[0]["loc"][0]) if errors and errors[0]["loc"] else "request")
    shown = "; ".join(f"{_path(item['loc'])}: {item['msg']}" for item in errors[:_SHOWN_ERRORS])
    more = len(errors) - _SHOWN_ERRORS
    if more > 0:
        shown += f"; and {more} more"
    return RequestValidationError(f"invalid {named}: {shown}", argument=named, errors=errors)


def json_fault(value: object, path: str = "") -> tuple[str, object] | None:
    """The first place in ``value`` (dicts, lists, strings, numbers) that JSON cannot carry, as
    its path (``tools[0].parameters.maximum``) and the value there; None if there is none."""
    if isinstance(value, float):
        return None if math.isfinite(value) else (path, value)
    if value is None or isinstance(value, (str, int)):  # bool is an int
        return None
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                return f"{path}[{key!r}]", key
            found = json_fault(item, f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
        return None
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found = json_fault(item, f"{path}[{index}]")
            if found is not None:
                return found
        return None
    return path, value


def _path(location: tuple[int | str, ...]) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text

"""A ``Timeout`` as aiohttp's ``ClientTimeout``."""

from __future__ import annotations

import functools

import aiohttp

from rillet.timeout import Timeout

__all__ = ["client_timeout"]


def client_timeout(timeout: Timeout, total: float | None) -> aiohttp.ClientTimeout:
    """aiohttp's equivalent of ``timeout`` for one attempt; ``total`` is what remains of the
    deadline.

    aiohttp's own timers are used rather than a ``wait_for`` per read: ``sock_read`` is re-armed
    by the protocol on every received packet at no cost per chunk we read. It is not the only
    bound on a body read: aiohttp drops it after a parser error, so ``ReadGuard`` holds every
    body read to the idle timeout as well.
    """
    if total is None:
        return _without_deadline(timeout)
    return _client_timeout(timeout, total)


def _client_timeout(timeout: Timeout, total: float | None) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(
        total=total, connect=None, sock_connect=timeout.connect, sock_read=timeout.idle
    )


@functools.lru_cache(maxsize=64)
def _without_deadline(timeout: Timeout) -> aiohttp.ClientTimeout:
    """``client_timeout(timeout, None)``, built once per ``Timeout`` (aiohttp's is frozen): a
    call with no total deadline asks for the same one every time."""
    return _client_timeout(timeout, None)

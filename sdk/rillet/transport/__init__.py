"""The transport layer: aiohttp sessions, framing, retries, timeouts (work in progress)."""

from rillet.transport._timeout import Timeout

__all__ = ["Timeout"]

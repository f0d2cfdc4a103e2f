"""The transport layer under every adapter: one aiohttp request in, typed frames out.

    async with HTTPTransport() as transport:
        async with transport.stream("POST", url, headers=headers, body=body) as frames:
            async for event in frames:  # SSEEvent, also for each element of a JSON array
                ...

Framing follows the response ``Content-Type``: ``text/event-stream`` (and any other type but
``text/html``) is read as server-sent events, ``application/json`` as a streamed JSON array;
a 2xx ``text/html`` page raises ``MalformedStreamError``. Every failure is a typed ``rillet``
error; retries happen only before the first body byte. ``ClientSession`` is the session type
``HTTPTransport(session=...)`` takes (aiohttp's): adapters name it from here, not from aiohttp.
"""

from aiohttp import ClientSession

from rillet._redact import redact_headers, redact_url
from rillet.timeout import Timeout
from rillet.transport._http import HTTPTransport
from rillet.transport._json_array import JSONArrayDecoder
from rillet.transport._retry import RetryPolicy
from rillet.transport._sse import DEFAULT_MAX_EVENT_BYTES, SSEDecoder, SSEEvent
from rillet.transport._stream import FrameStream

__all__ = [
    "DEFAULT_MAX_EVENT_BYTES",
    "ClientSession",
    "FrameStream",
    "HTTPTransport",
    "JSONArrayDecoder",
    "RetryPolicy",
    "SSEDecoder",
    "SSEEvent",
    "Timeout",
    "redact_headers",
    "redact_url",
]

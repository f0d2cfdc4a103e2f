"""The transport layer under every adapter: one aiohttp request in, typed frames out.

    async with HTTPTransport() as transport:
        async with transport.stream("POST", url, headers=headers, body=body) as frames:
            async for frame in frames:  # Frame: an SSE event, or one element of a JSON array
                ...
            frames.metadata  # ResponseMetadata: request_id, rate_limit, headers (no credentials)

Framing follows the response ``Content-Type``: ``text/event-stream`` (and any other type but
``text/html``) is read as server-sent events, ``application/json`` as a streamed JSON array,
``application/vnd.amazon.eventstream`` as AWS event-stream messages (Bedrock); a 2xx ``text/html`` page raises ``MalformedStreamError``. Every failure is a typed ``rillet``
error; retries happen only before the first body byte. ``ClientSession`` is the session type
``HTTPTransport(session=...)`` takes (aiohttp's): adapters name it from here, not from aiohttp.

``SSEEvent``, the frame type's earlier name, still imports (with a ``DeprecationWarning``) until
the next release.
"""

from typing import TYPE_CHECKING

from aiohttp import ClientSession

from rillet._deprecation import renamed_attributes
from rillet._keep_frames import FRAME_WINDOW, KeepFrames
from rillet._redact import redact_headers, redact_url
from rillet._response_metadata import ResponseMetadata
from rillet.timeout import Timeout
from rillet.transport._eventstream import (
    ERROR_PREFIX,
    EVENT_STREAM_CONTENT_TYPE,
    EXCEPTION_PREFIX,
    EventStreamDecoder,
)
from rillet.transport._frame import Frame
from rillet.transport._http import HTTPTransport
from rillet.transport._json_array import ElementParser, JSONArrayDecoder
from rillet.transport._retry import RetryPolicy
from rillet.transport._sse import DEFAULT_MAX_EVENT_BYTES, SSEDecoder
from rillet.transport._stream import FrameStream

__all__ = [
    "DEFAULT_MAX_EVENT_BYTES",
    "ERROR_PREFIX",
    "EVENT_STREAM_CONTENT_TYPE",
    "EXCEPTION_PREFIX",
    "FRAME_WINDOW",
    "ClientSession",
    "ElementParser",
    "EventStreamDecoder",
    "Frame",
    "FrameStream",
    "HTTPTransport",
    "JSONArrayDecoder",
    "KeepFrames",
    "ResponseMetadata",
    "RetryPolicy",
    "SSEDecoder",
    "Timeout",
    "redact_headers",
    "redact_url",
]


if TYPE_CHECKING:
    SSEEvent = Frame  # the deprecated name, for type checkers until it goes
else:
    __getattr__ = renamed_attributes(__name__, {"SSEEvent": ("Frame", Frame)})

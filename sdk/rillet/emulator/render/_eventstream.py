"""The AWS event stream (``application/vnd.amazon.eventstream``), written: what Bedrock sends.

One message: total length (u32), headers length (u32), CRC32 of those 8 bytes, the headers
(name length u8, name, value type u8 where 7 is a string, value length u16, value), the
payload, and a CRC32 of everything before it; all big-endian, CRC32 the zlib one. Headers come
in Bedrock's order: ``:event-type``, ``:content-type``, ``:message-type``. The emulator, the
tests and the benchmarks write frames with this; the transport's decoder reads them.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Mapping
from typing import Any

__all__ = ["EVENT_STREAM_TYPE", "encode_message", "event_message", "exception_message"]

EVENT_STREAM_TYPE = "application/vnd.amazon.eventstream"
_STRING = 7


def encode_message(headers: Mapping[str, str], payload: bytes) -> bytes:
    """One event-stream message with string ``headers`` (in their order) and ``payload``."""
    block = b"".join(_string_header(name, value) for name, value in headers.items())
    total = 16 + len(block) + len(payload)
    prelude = struct.pack(">II", total, len(block))
    head = prelude + struct.pack(">I", zlib.crc32(prelude)) + block + payload
    return head + struct.pack(">I", zlib.crc32(head))


def event_message(event_type: str, body: Mapping[str, Any]) -> bytes:
    """An ``event`` message: ``body`` as the JSON payload of ``:event-type`` ``event_type``."""
    headers = {
        ":event-type": event_type,
        ":content-type": "application/json",
        ":message-type": "event",
    }
    return encode_message(headers, _json(body))


def exception_message(exception_type: str, message: str) -> bytes:
    """An ``exception`` message (``throttlingException``, ...), as Bedrock sends inside a 200."""
    headers = {
        ":exception-type": exception_type,
        ":content-type": "application/json",
        ":message-type": "exception",
    }
    return encode_message(headers, _json({"message": message}))


def _string_header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode(), value.encode()
    return (
        struct.pack(">B", len(raw_name))
        + raw_name
        + struct.pack(">BH", _STRING, len(raw_value))
        + raw_value
    )


def _json(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()

"""``FaultServer``: a local HTTP server whose replies a test scripts, faults included.

    async with FaultServer() as server:
        server.script(Reply(status=529), Reply(body=b"data: hi\\n\\n", chunks="drip"))
        ...  # point a client at server.url
        assert len(server.requests) == 2

Each request takes the next scripted ``Reply`` (``default`` once the script runs out). The
server, the recording and the faults a ``Reply`` can play are the emulator's ``ReplyServer``.
"""

from __future__ import annotations

from collections import deque

from aiohttp import web

from rillet.emulator.reply_server import RecordedRequest, Reply, ReplyServer, play

__all__ = ["FaultServer", "RecordedRequest", "Reply", "play"]


class FaultServer(ReplyServer):
    """Answers each request with the next scripted ``Reply`` (``default`` once none is left)."""

    def __init__(self, *, default: Reply | None = None) -> None:
        super().__init__()
        self.default = default or Reply(status=418, body=b"fault server: no reply scripted")
        self._script: deque[Reply] = deque()

    def script(self, *replies: Reply) -> None:
        """Queue replies for the next requests, in order."""
        self._script.extend(replies)

    def reply_for(self, request: web.Request, body: bytes) -> Reply:
        return self._script.popleft() if self._script else self.default

"""The loopback server every benchmark reads from, in a child process.

The server runs in its own process so that the CPU time a benchmark measures (``process_time``
in the client's process) is the client's alone. It answers the providers' real paths, so the
official SDKs only need their ``base_url`` pointed at it:

- ``POST /v1/chat/completions``, ``/v1/responses``, ``/v1/messages``: the body is chosen by the
  request's ``model``;
- ``POST /v1beta/models/{model}:streamGenerateContent`` (``?alt=sse``: Gemini SSE, otherwise
  the JSON-array form);
- ``POST /model/{modelId}/converse-stream``: Bedrock ConverseStream (AWS event stream; the
  request's auth is not checked);
- ``POST /floor/{format}``: the same bodies for the floor, with ``{"model": ...}``.

Models name bodies: ``text-<n>`` (``n`` text deltas), ``tools-<fragments>-<bytes>`` (one tool
call), ``big-<bytes>`` (an OpenAI chat stream generated on the fly, for the memory benchmark),
``output-<deltas>`` (the output benchmark's JSON as OpenAI chat content deltas) and
``bedrock-<n>`` (``n`` Bedrock deltas). Each body is built once, on its first request, and
written in 64 KiB pieces like a real server; with a ``-live`` suffix (``text-<n>-live``) it is
written one event per write, ``LIVE_GAP_S`` apart, as a model generating them sends them, and
``-live<us>`` sets the gap in microseconds (``text-200-live300``). Each response carries its
provider's usual headers (``_headers``).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import multiprocessing
import resource
import socket
from collections.abc import Iterable
from types import TracebackType
from typing import Any
from urllib.parse import unquote

import _bodies
import _output_doc
from _headers import response_headers
from aiohttp import web

_PIECE = 1 << 16

# Between two events of a -live stream: long enough that every consumer has read one event
# before the next is written (so each read holds one event), short enough for a quick run.
LIVE_GAP_S = 0.001


def _route(path: str, query: Any, payload: bytes) -> tuple[str, str]:
    """(wire format, model) of a request."""
    if path.endswith(":streamGenerateContent"):
        model = path.rsplit("/", 1)[1].split(":", 1)[0]
        return ("gemini-sse" if query.get("alt") == "sse" else "gemini-json"), model
    if path.startswith("/model/") and path.endswith("/converse-stream"):
        return "bedrock", unquote(path.removeprefix("/model/").removesuffix("/converse-stream"))
    model = json.loads(payload or b"{}").get("model", "")
    if path.startswith("/floor/"):
        return path.removeprefix("/floor/"), model
    for suffix, fmt in (
        ("/chat/completions", "openai-chat"),
        ("/responses", "openai-responses"),
        ("/messages", "anthropic"),
    ):
        if path.endswith(suffix):
            return fmt, model
    raise web.HTTPNotFound(text=f"bench server: no route for {path}")


def _build(fmt: str, model: str) -> tuple[str, bytes]:
    kind, _, arg = model.partition("-")
    if kind == "text":
        content_type, build = _bodies.TEXT[fmt]
        return content_type, build(int(arg))
    if kind == "tools":
        fragments, size = (int(x) for x in arg.split("-"))
        return _bodies.SSE, _bodies.TOOLS[fmt](fragments, size)
    if kind == "output" and fmt == "openai-chat":
        return _bodies.SSE, _output_doc.openai_chat(int(arg))
    if kind == "bedrock":
        return _bodies.EVENT_STREAM, _bodies.bedrock(int(arg))
    raise web.HTTPNotFound(text=f"bench server: unknown model {model!r}")


def raise_open_files() -> int:
    """Lift this process's soft limit on open files to its hard limit (10,000 live streams are
    10,000 sockets on each side); returns the limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def _serve(port: int, ready: Any) -> None:
    raise_open_files()
    cache: dict[tuple[str, str], tuple[str, bytes]] = {}
    served = itertools.count(1)  # the responses, numbered for their headers

    async def handle(request: web.Request) -> web.StreamResponse:
        payload = await request.read()
        fmt, model = _route(request.path, request.query, payload)
        pieces: Iterable[bytes]
        model, live_mark, gap_us = model.partition("-live")
        live = bool(live_mark)
        gap = int(gap_us) / 1e6 if gap_us else LIVE_GAP_S
        if model.startswith("big-"):
            content_type = _bodies.SSE
            pieces = _bodies.big_chunks(int(model.removeprefix("big-")), _PIECE)
        else:
            key = (fmt, model)
            if key not in cache:
                cache[key] = _build(fmt, model)
            content_type, body = cache[key]
            view = memoryview(body)
            if live:
                pieces = _bodies.events(content_type, body)
            else:
                pieces = (view[i : i + _PIECE] for i in range(0, len(body), _PIECE))
        headers = {"content-type": content_type, **response_headers(fmt, next(served))}
        response = web.StreamResponse(headers=headers)
        await response.prepare(request)
        for i, piece in enumerate(pieces):
            if live and i:
                await asyncio.sleep(gap)  # the end follows the last event at once
            await response.write(piece)
        await response.write_eof()
        return response

    async def main() -> None:
        app = web.Application(client_max_size=1 << 24)
        app.router.add_route("*", "/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        # A deep backlog: the live benchmark opens 10,000 connections at once (the kernel caps
        # it at net.core.somaxconn).
        await web.TCPSite(runner, "127.0.0.1", port, backlog=16384).start()
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


class BodyServer:
    """``with BodyServer() as server: ... server.url``: the child process lives as long."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port: int = probe.getsockname()[1]
        ctx = multiprocessing.get_context("spawn")
        self._ready = ctx.Event()
        self._process = ctx.Process(target=_serve, args=(self.port, self._ready), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> BodyServer:
        self._process.start()
        if not self._ready.wait(60):
            self._process.terminate()
            raise RuntimeError("the bench server did not start")
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._process.terminate()
        self._process.join(10)

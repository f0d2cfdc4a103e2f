"""A loopback server in a child process, so the client's CPU time is the client's alone."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import socket
from collections.abc import Mapping
from types import TracebackType

from aiohttp import web


def _serve(
    port: int, bodies: Mapping[str, tuple[str, bytes]], ready: multiprocessing.Event
) -> None:  # type: ignore[valid-type]
    async def handle(request: web.Request) -> web.StreamResponse:
        payload = await request.read()
        content_type, body = bodies[_body_name(request.path, payload)]
        response = web.StreamResponse(headers={"content-type": content_type})
        await response.prepare(request)
        view = memoryview(body)
        for start in range(0, len(body), 65536):  # like a real server: many writes
            await response.write(view[start : start + 65536].tobytes())
        await response.write_eof()
        return response

    async def main() -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


_PATHS = {
    "/chat/completions": "openai",
    "/responses": "openai-responses",
    "/messages": "anthropic",
    ":streamGenerateContent": "gemini",
}


def _body_name(path: str, payload: bytes) -> str:
    """``<provider>-<model>``: the provider from the path, the model from the body or path."""
    provider = next(
        (name for suffix, name in _PATHS.items() if path.endswith(suffix)), path.rsplit("/", 1)[-1]
    )
    if path.endswith(":streamGenerateContent"):
        model = path.rsplit("/", 1)[1].split(":", 1)[0]
    else:
        model = json.loads(payload or b"{}").get("model", "")
    return f"{provider}-{model}"


class BodyServer:
    """Serves ``bodies["<provider>-<model>"]``; the floor posts ``{"model": ...}`` to ``/floor/<provider>``."""

    def __init__(self, bodies: Mapping[str, tuple[str, bytes]]) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        ctx = multiprocessing.get_context("fork")
        self._ready = ctx.Event()
        self._process = ctx.Process(
            target=_serve, args=(self.port, dict(bodies), self._ready), daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> BodyServer:
        self._process.start()
        if not self._ready.wait(30):
            raise RuntimeError("bench server did not start")
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._process.terminate()
        self._process.join(5)

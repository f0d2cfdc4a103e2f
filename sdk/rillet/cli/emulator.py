"""``rillet emulator``: the provider emulator on its own, until Ctrl-C.

    rillet emulator --port 8765
    OPENAI_BASE_URL=http://127.0.0.1:8765/v1 OPENAI_API_KEY=emulator-key python my_app.py

It speaks OpenAI Chat and Responses, Anthropic and Gemini at their real paths, with the built-in
scenarios as model names, so any client (the official SDKs too) can be pointed at it. It prints
each provider's base URL and the scenario names, and checks the key as the real APIs do.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from typing import Any, TextIO

from rillet.emulator import PROVIDERS, Emulator

__all__ = ["register", "run_emulator"]

DEFAULT_PORT = 8765


def register(subparsers: Any) -> None:
    """Add the ``emulator`` subcommand to the ``rillet`` parser."""
    parser = subparsers.add_parser(
        "emulator",
        help="serve the OpenAI, Anthropic and Gemini wire formats locally, from scenarios",
        description="A local server speaking the OpenAI Chat, OpenAI Responses, Anthropic and "
        "Gemini streaming APIs; the model name picks a built-in scenario. Runs until Ctrl-C.",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT})"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address (default: 127.0.0.1)")
    parser.add_argument(
        "--api-key",
        default="emulator-key",
        help="the key clients must send (default: emulator-key; '' accepts any key)",
    )
    parser.set_defaults(handler=run_emulator)


def run_emulator(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(serve(args.host, args.port, args.api_key or None))
    except KeyboardInterrupt:  # where the loop could not install its own handler
        return 0


async def serve(host: str, port: int, api_key: str | None, out: TextIO = sys.stdout) -> int:
    """Run the emulator until SIGINT or SIGTERM; 1 if it cannot listen."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, stop.set)
    emulator = Emulator(api_key=api_key, host=host, port=port)
    try:
        await emulator.start()
    except OSError as error:
        print(f"rillet emulator: cannot listen on {host}:{port}: {error}", file=sys.stderr)
        return 1
    try:
        _banner(emulator, out)
        await stop.wait()
    finally:
        await emulator.stop()
    print("rillet emulator: stopped", file=out, flush=True)
    return 0


def _banner(emulator: Emulator, out: TextIO) -> None:
    key = emulator.api_key
    lines = [
        f"rillet emulator listening on {emulator.url}",
        f"API key: {key}" if key else "API key: any non-empty key",
        "base URLs:",
        *(f"  {provider:<17} {emulator.base_url(provider)}" for provider in PROVIDERS),
        "  (Gemini: streamGenerateContent?alt=sse for SSE, without it the JSON array)",
        "  (Bedrock: the API key as a bearer token, or SigV4 with the test credentials "
        f"{emulator.aws_credentials[0]} / {emulator.aws_credentials[1]}, any region)",
        "scenarios (the model name):",
        *(f"  {name}" for name in emulator.scenarios),
        "Ctrl-C stops it.",
    ]
    print("\n".join(lines), file=out, flush=True)

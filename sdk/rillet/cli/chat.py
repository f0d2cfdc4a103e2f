"""``rillet chat``: a terminal chat that streams from any provider, tools included.

    rillet chat                                   # the mock provider: no key, no network
    rillet chat --provider anthropic --model claude-sonnet-4-5 --demo-tools
    rillet chat --provider openai --base-url http://127.0.0.1:8000/v1

Tokens appear as they arrive, thinking dimmed, tool calls as their arguments assemble, then each
tool's result and the turn's usage. Keys come from the provider's usual environment variable
(``OPENAI_API_KEY``, ``ANTHROPIC_API_KEY``, ``GEMINI_API_KEY``, ...). Lines are read until
``/exit`` or end of input; Ctrl-C stops the answer being written, and at the prompt quits.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Literal

from rillet._exceptions import RilletError
from rillet._ids import new_tool_call_id
from rillet.adapter import CallSettings, ChunkAdapter
from rillet.agent import AgentEvent, MaxStepsExceededError, RuntimeBuilder
from rillet.client import LLMClient
from rillet.mock import MockAdapter, MockResponse
from rillet.protocol import LLMRequest, Message, StreamChunk, ToolMessage, UserMessage

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["DemoAdapter", "get_weather", "register"]

_EXIT_COMMANDS = frozenset({"/exit", "/quit"})
_CONDITIONS = ("sunny", "cloudy", "rainy", "windy", "foggy", "snowy")


def register(subparsers: Any) -> None:
    """Add the ``chat`` subcommand to the ``rillet`` parser."""
    parser = subparsers.add_parser(
        "chat",
        help="chat in the terminal, streaming from any provider",
        description="A terminal chat that streams tokens, thinking and tool calls live. "
        "Keys come from the provider's environment variable.",
    )
    parser.add_argument("--provider", default="mock", help="provider name (default: mock)")
    parser.add_argument(
        "--model", default=None, help="model name (the provider's default if unset)"
    )
    parser.add_argument("--base-url", default=None, help="the provider's base URL")
    parser.add_argument("--system", default=None, help="a system prompt")
    parser.add_argument("--max-steps", type=int, default=10, help="most model turns per message")
    parser.add_argument(
        "--demo-tools",
        action="store_true",
        help="offer the demo get_weather tool (always on with --provider mock)",
    )
    parser.add_argument(
        "--mock-delay",
        type=float,
        default=0.02,
        help="seconds between chunks of the mock provider (default: 0.02)",
    )
    parser.set_defaults(handler=run_chat)


# -- the demo: a tool and a scripted provider that calls it ---------------------------------


def get_weather(city: str, unit: Literal["celsius", "fahrenheit"] = "celsius") -> dict[str, Any]:
    """The current weather in a city (a demo: the numbers are made up).

    Args:
        city: The city's name, e.g. Paris.
        unit: The temperature scale.
    """
    seed = sum(ord(char) for char in city.lower())
    celsius = 5 + seed % 25
    temperature = celsius if unit == "celsius" else round(celsius * 9 / 5 + 32)
    return {
        "city": city,
        "temperature": temperature,
        "unit": unit,
        "conditions": _CONDITIONS[seed % len(_CONDITIONS)],
    }


def _city_in(text: str) -> str:
    match = re.search(r"\b(?:in|at|for)\s+([A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*)", text)
    return match.group(1) if match else "Paris"


class DemoAdapter(ChunkAdapter):
    """The ``mock`` provider of ``rillet chat``: asks for ``get_weather`` when the user mentions
    the weather, then answers from the tool's result; otherwise it echoes."""

    def __init__(self, *, delay: float = 0.02) -> None:
        self._delay = delay

    @property
    def provider(self) -> str:
        return "mock"

    def _reply(self, messages: list[Message]) -> MockResponse:
        last = messages[-1] if messages else None
        if isinstance(last, ToolMessage):
            return MockResponse(text=_weather_answer(last), chunk_size=4)
        said = last.content if isinstance(last, UserMessage) else ""
        text = said if isinstance(said, str) else ""
        if "weather" not in text.lower():
            return MockResponse(
                text=f"You said: {text!r}. I am rillet's mock provider: ask me about the "
                "weather in a city to see a tool call.",
                chunk_size=4,
            )
        city = _city_in(text)
        return MockResponse(
            reasoning=f"The user wants the weather in {city}. I will call get_weather.",
            reasoning_signature="demo-signature",
            text=f"Let me check the weather in {city}.",
            tool_calls=[
                {"id": new_tool_call_id(), "name": "get_weather", "arguments": {"city": city}}
            ],
            chunk_size=4,
        )

    async def stream(
        self, request: LLMRequest, settings: CallSettings
    ) -> AsyncIterator[StreamChunk]:
        script = MockAdapter(self._reply(request.messages), delay=self._delay, model="mock-demo")
        async for chunk in script.stream(request, settings):
            yield chunk


def _weather_answer(result: ToolMessage) -> str:
    if result.is_error:
        return f"The weather tool failed: {result.content}"
    try:
        data = json.loads(result.content)
        return (
            f"It is {data['temperature']} °{'C' if data['unit'] == 'celsius' else 'F'} "
            f"and {data['conditions']} in {data['city']}."
        )
    except (ValueError, KeyError, TypeError):
        return f"The tool said: {result.content}"


# -- the screen -------------------------------------------------------------------------------


class _TurnView:
    """Writes a run's events to the console as they come: one section at a time."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._section: str | None = None
        self._tool_names: dict[int, str] = {}

    def _write(self, text: str, style: str = "") -> None:
        from rich.text import Text

        self._console.print(Text(text, style=style), end="")

    def _open(self, section: str, prefix: str, style: str) -> None:
        if self._section == section:
            return
        self.close()
        self._section = section
        self._write(prefix, style)

    def close(self) -> None:
        """End the section being written (a line of text, thinking or a tool call)."""
        if self._section is not None:
            self._write("\n")
            self._section = None

    def on_event(self, event: AgentEvent) -> None:
        if event.type == "AGENT_STREAM_CHUNK":
            self._chunk(event.chunk)
        elif event.type == "AGENT_TOOL_CALL_END":
            self.close()
            millis = event.duration * 1000
            if event.is_error:
                self._write(f"  ↳ {event.name} failed: {_short(event.error)}", "red")
            else:
                self._write(f"  ↳ {event.name} → {_short(event.result)}", "green")
            self._write(f"  ({millis:.0f} ms)\n", "dim")
        elif event.type == "AGENT_TURN_END":
            self.close()
            usage = event.response.usage
            tokens = (
                f"{usage.input_tokens} in · {usage.output_tokens} out tokens"
                if usage is not None
                else "no usage reported"
            )
            reason = event.response.finish_reason
            finish = reason.value if reason is not None else "?"
            self._write(f"  · turn {event.step} · {tokens} · {finish}\n", "dim")

    def _chunk(self, chunk: StreamChunk) -> None:
        if chunk.type == "reasoning" and chunk.text:
            self._open("reasoning", "  thinking: ", "dim")
            self._write(chunk.text, "dim italic")
        elif chunk.type == "content":
            self._open("text", "assistant › ", "bold magenta")
            self._write(chunk.text)
        elif chunk.type == "tool_call_start":
            index = chunk.index or 0
            self._tool_names[index] = chunk.name
            self._open(f"tool{index}", f"  ⚙ {chunk.name} ", "bold yellow")
        elif chunk.type == "tool_call_chunk":
            index = chunk.index or 0
            self._open(f"tool{index}", f"  ⚙ {self._tool_names.get(index, '?')} ", "bold yellow")
            self._write(chunk.arguments_delta, "yellow")
        elif chunk.type == "tool_call_end":
            self.close()
        elif chunk.type == "error":
            self.close()
            self._write(f"  ✗ {chunk.code.value}: {chunk.message}\n", "bold red")


def _short(text: str | None, limit: int = 200) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class _Lines:
    """Lines of stdin, read by a daemon thread, so Ctrl-C and exit never wait on ``readline``."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._loop = loop
        threading.Thread(target=self._read, name="rillet-chat-stdin", daemon=True).start()

    def _read(self) -> None:
        while True:
            line = sys.stdin.readline()
            try:
                self._loop.call_soon_threadsafe(self._queue.put_nowait, line or None)
            except RuntimeError:  # the chat has ended and its loop is closed
                return
            if not line:
                return

    async def next(self) -> str | None:
        return await self._queue.get()


# -- the loop ---------------------------------------------------------------------------------


def _client(args: argparse.Namespace) -> LLMClient:
    if args.provider == "mock":
        return LLMClient(DemoAdapter(delay=args.mock_delay), model=args.model)
    return LLMClient(provider=args.provider, model=args.model, base_url=args.base_url)


async def _chat(args: argparse.Namespace, console: Console) -> int:
    try:
        client = _client(args)
    except RilletError as error:
        console.print(f"[bold red]error:[/] {error.message}", highlight=False)
        return 2
    builder = (
        RuntimeBuilder()
        .with_client(client)
        .with_max_steps(args.max_steps)
        .with_system_prompt(args.system)
        # The view draws on the terminal itself: a slow draw is no fault to warn about there,
        # and the warning would land in the middle of the answer it is drawing.
        .with_callback_policy(slow_callback=60.0)
    )
    if args.provider == "mock" or args.demo_tools:
        builder = builder.with_tools(get_weather)
    view = _TurnView(console)
    runtime = builder.with_on_event(view.on_event).build()
    console.print(
        f"[bold]rillet chat[/] · {args.provider}"
        + (f" · {args.model}" if args.model else "")
        + " · /exit or Ctrl-D to leave",
        highlight=False,
    )
    loop = asyncio.get_running_loop()
    lines = _Lines(loop)
    turn: asyncio.Task[Any] | None = None
    quit_requested = asyncio.Event()

    def interrupt() -> None:  # Ctrl-C: stop the answer being written; at the prompt, quit
        if turn is not None and not turn.done():
            turn.cancel()
        else:
            quit_requested.set()

    with contextlib.suppress(NotImplementedError, RuntimeError):  # else Ctrl-C just ends
        loop.add_signal_handler(signal.SIGINT, interrupt)
    messages: list[Message] = []
    try:
        while True:
            console.print("[bold cyan]you ›[/] ", end="")
            line = await _next_line(lines, quit_requested)
            if line is None:
                console.print()
                return 0
            text = line.strip()
            if not text:
                continue
            if text in _EXIT_COMMANDS:
                return 0
            started = time.perf_counter()
            turn = asyncio.create_task(
                runtime.run([*messages, UserMessage(role="user", content=text)])
            )
            try:
                result = await turn
            except asyncio.CancelledError:
                view.close()
                console.print("[yellow]  (stopped)[/]")
                continue
            except MaxStepsExceededError as error:
                console.print(f"[bold red]  stopped:[/] {error.message}", highlight=False)
                continue
            except RilletError as error:
                console.print(
                    f"[bold red]  error ({type(error).__name__}):[/] {error.message}",
                    highlight=False,
                )
                continue
            finally:
                turn = None
            messages = result.messages
            if result.steps > 1 and result.usage is not None:
                console.print(
                    f"  · {result.steps} turns · {result.usage.input_tokens} in · "
                    f"{result.usage.output_tokens} out tokens · "
                    f"{time.perf_counter() - started:.1f} s",
                    style="dim",
                    highlight=False,
                )
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGINT)
        await client.aclose()


async def _next_line(lines: _Lines, quit_requested: asyncio.Event) -> str | None:
    """The next line typed, or None at end of input or when Ctrl-C asks to quit."""
    reading = asyncio.ensure_future(lines.next())
    quitting = asyncio.ensure_future(quit_requested.wait())
    try:
        await asyncio.wait({reading, quitting}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for future in (reading, quitting):
            future.cancel()
    return reading.result() if reading.done() and not reading.cancelled() else None


def run_chat(args: argparse.Namespace) -> int:
    try:
        from rich.console import Console
    except ImportError:
        print("rillet chat needs rich: pip install 'rillet[cli]'", file=sys.stderr)
        return 1
    console = Console(highlight=False, soft_wrap=True)
    try:
        return asyncio.run(_chat(args, console))
    except KeyboardInterrupt:
        return 130

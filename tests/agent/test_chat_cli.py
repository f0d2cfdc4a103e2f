"""``rillet chat`` driven as a person would: through a pseudo-terminal, reading the screen."""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator, Mapping

import pytest

from rillet.testing import FaultServer, Reply

from ._support import openai_sse

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
PROMPT = "you ›"


class Terminal:
    """``rillet chat`` in a pseudo-terminal: type into it, read what it shows."""

    def __init__(self, *args: str, env: Mapping[str, str] | None = None) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
        environment = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
        environment.update({"PYTHONIOENCODING": "utf-8", "TERM": "xterm-256color"})
        environment.pop("NO_COLOR", None)
        environment.update(env or {})
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rillet", "chat", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=environment,
            start_new_session=True,
        )
        os.close(slave)
        self._master = master
        self.raw = ""
        self.reads: list[tuple[float, str]] = []  # when each piece of output arrived

    @property
    def screen(self) -> str:
        """What a person sees: the output without its escape codes."""
        return _ANSI.sub("", self.raw).replace("\r\n", "\n")

    def type(self, line: str) -> None:
        os.write(self._master, line.encode() + b"\n")

    def read_until(self, text: str, *, count: int = 1, timeout: float = 10.0) -> str:
        """Read until ``text`` shows ``count`` times on the screen; the screen."""
        deadline = time.monotonic() + timeout
        while self.screen.count(text) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{text!r} did not show; the screen:\n{self.screen}")
            ready, _, _ = select.select([self._master], [], [], remaining)
            if not ready:
                continue
            try:
                data = os.read(self._master, 65536)
            except OSError:  # the program has ended and closed the terminal
                data = b""
            if not data:
                raise AssertionError(f"{text!r} did not show before exit:\n{self.screen}")
            piece = data.decode("utf-8", errors="replace")
            self.raw += piece
            self.reads.append((time.monotonic(), piece))
        return self.screen

    def wait(self, timeout: float = 10.0) -> int:
        code = self.process.wait(timeout)
        os.close(self._master)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
            os.close(self._master)


@pytest.fixture
def terminals() -> Iterator[list[Terminal]]:
    opened: list[Terminal] = []
    yield opened
    for terminal in opened:
        terminal.kill()


def test_chat_streams_the_answer_and_shows_the_tool_call(terminals: list[Terminal]) -> None:
    term = Terminal("--mock-delay", "0.01")
    terminals.append(term)
    term.read_until(PROMPT)
    first_read = len(term.reads)
    term.type("What's the weather in Tokyo?")
    screen = term.read_until(PROMPT, count=2)
    typed_at = screen.index("What's the weather in Tokyo?")
    answer = screen[typed_at:]
    assert "thinking: The user wants the weather in Tokyo. I will call get_weather." in answer
    assert "assistant › Let me check the weather in Tokyo." in answer
    assert '⚙ get_weather {"city": "Tokyo"}' in answer
    assert '↳ get_weather → {"city":"Tokyo","temperature":' in answer
    assert re.search(r"assistant › It is \d+ °C and \w+ in Tokyo\.", answer)
    assert "· turn 1 · 10 in · 20 out tokens · tool_calls" in answer
    assert "· turn 2 · 10 in · 20 out tokens · stop" in answer
    # thinking is dimmed (SGR 2); the answer arrived piece by piece over time, not at once
    assert re.search(r"\x1b\[2[;0-9]*mThe ", term.raw)
    times = [t for t, _ in term.reads[first_read:]]
    assert len(times) > 10 and times[-1] - times[0] > 0.2
    # the conversation goes on, then /exit ends it
    term.type("thanks!")
    screen = term.read_until(PROMPT, count=3)
    assert "You said: 'thanks!'" in screen
    term.type("/exit")
    assert term.wait() == 0


def test_ctrl_c_stops_the_answer_and_end_of_input_quits(terminals: list[Terminal]) -> None:
    term = Terminal("--mock-delay", "0.05")
    terminals.append(term)
    term.read_until(PROMPT)
    term.type("Tell me about the weather in Rome")
    term.read_until("thinking:")
    term.process.send_signal(signal.SIGINT)
    screen = term.read_until(PROMPT, count=2)
    assert "(stopped)" in screen
    assert "↳ get_weather" not in screen  # stopped before the tool could run
    os.write(term._master, b"\x04")  # Ctrl-D at the prompt: end of input
    assert term.wait() == 0


async def test_chat_against_a_local_openai_style_server(terminals: list[Terminal]) -> None:
    async with FaultServer() as server:
        server.script(Reply(body=openai_sse("Hello from the local server!")))
        term = Terminal(
            "--provider",
            "openai",
            "--model",
            "gpt-test",
            "--base-url",
            server.url + "/v1",
            "--system",
            "Be nice.",
            env={"OPENAI_API_KEY": "key-from-env"},
        )
        terminals.append(term)
        await asyncio.to_thread(term.read_until, PROMPT)
        term.type("hi")
        screen = await asyncio.to_thread(term.read_until, PROMPT, count=2)
        term.type("/exit")
        assert await asyncio.to_thread(term.wait) == 0
    assert "assistant › Hello from the local server!" in screen
    assert "· turn 1 · 7 in · 5 out tokens · stop" in screen
    request = server.requests[0]
    assert request.headers["Authorization"] == "Bearer key-from-env"
    messages = json.loads(request.body)["messages"]
    assert messages == [
        {"role": "system", "content": "Be nice."},
        {"role": "user", "content": "hi"},
    ]


def test_chat_without_a_key_says_so(terminals: list[Terminal]) -> None:
    term = Terminal("--provider", "anthropic")
    terminals.append(term)
    screen = term.read_until("ANTHROPIC_API_KEY")
    assert "error:" in screen
    assert term.wait() == 2

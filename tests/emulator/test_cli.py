"""``rillet emulator``: starts, serves a request, stops on Ctrl-C, leaves nothing running."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator

import pytest

from rillet import LLMClient
from rillet.emulator import AWS_TEST_CREDENTIALS, BUILTIN_SCENARIOS
from rillet.providers.bedrock import AWSCredentials


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def cli() -> AsyncIterator[tuple[asyncio.subprocess.Process, int, list[str]]]:
    """The emulator in its own process, and the lines it printed up to "Ctrl-C stops it."."""
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "rillet",
        "emulator",
        "--port",
        str(port),
        "--api-key",
        "cli-key",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    lines: list[str] = []
    try:
        while not lines or lines[-1] != "Ctrl-C stops it.":
            line = await asyncio.wait_for(process.stdout.readline(), 20)
            assert line, f"the emulator exited: {lines}"
            lines.append(line.decode().rstrip("\n"))
        yield process, port, lines
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_cli_serves_until_ctrl_c(
    cli: tuple[asyncio.subprocess.Process, int, list[str]],
) -> None:
    process, port, lines = cli
    url = f"http://127.0.0.1:{port}"
    assert lines[0] == f"rillet emulator listening on {url}"
    assert f"  openai            {url}/v1" in lines
    assert f"  anthropic         {url}" in lines
    assert {f"  {s.name}" for s in BUILTIN_SCENARIOS} <= set(lines)

    async with LLMClient(
        provider="anthropic", base_url=url, api_key="cli-key", model="text-plain", max_retries=0
    ) as client:
        assert (await client.call("Hello")).text == "Hello, world!"
    # Bedrock, signed with the test credentials the banner prints
    key_id, secret = AWS_TEST_CREDENTIALS
    assert f"  bedrock           {url}" in lines
    assert any(key_id in line and secret in line for line in lines)
    async with LLMClient(
        provider="bedrock",
        base_url=url,
        model="text-plain",
        options={"region": "us-east-1", "credentials": AWSCredentials(key_id, secret)},
        max_retries=0,
    ) as client:
        assert (await client.call("Hello")).text == "Hello, world!"

    process.send_signal(signal.SIGINT)
    out, err = await asyncio.wait_for(process.communicate(), 10)
    assert process.returncode == 0, err.decode()
    assert out.decode().strip().endswith("rillet emulator: stopped")
    assert b"Traceback" not in err
    with socket.socket() as sock:  # the port is free again
        sock.bind(("127.0.0.1", port))


def test_cli_reports_a_port_in_use() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "rillet", "emulator", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 1
    assert "cannot listen" in result.stderr

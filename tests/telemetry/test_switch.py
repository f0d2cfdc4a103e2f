"""Turning telemetry on and off; OpenTelemetry is never imported while it is off."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import rillet
from rillet import LLMClient, MockAdapter, StreamingLLMResponse
from rillet.telemetry import ENABLED_ENV

from .conftest import Instrument

_SDK = Path(rillet.__file__).resolve().parent.parent

# A full call, a stream read to its end and an agent run with a tool, printing the modules then
# loaded. Run in a fresh interpreter.
_WORKLOAD = """
import asyncio, json, sys
import rillet
from rillet import LLMClient, MockAdapter, MockResponse, RuntimeBuilder

def get_weather(city: str) -> str:
    '''Weather.'''
    return "sunny"

async def main():
    async with LLMClient(MockAdapter(["Hi", "Hello"]), model="m") as client:
        await client.call("Hi")
        async with client.stream("Hi") as stream:
            async for _ in stream:
                pass
    call = {"id": "c1", "name": "get_weather", "arguments": {"city": "Paris"}}
    script = [MockResponse(tool_calls=[call]), "Sunny"]
    runtime = RuntimeBuilder().with_client(LLMClient(MockAdapter(script))).with_tools(get_weather)
    await runtime.build().run("Weather?")

asyncio.run(main())
"""


def _run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``code`` in a fresh interpreter (telemetry variables unset unless given), which must
    succeed."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    clean["PYTHONPATH"] = os.pathsep.join([str(_SDK), os.environ.get("PYTHONPATH", "")])
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result


def _last_json(code: str, **env: str) -> list[str]:
    """What ``code`` printed last, as JSON."""
    return list(json.loads(_run(code, **env).stdout.splitlines()[-1]))


def _opentelemetry_loaded(code: str, **env: str) -> list[str]:
    loaded = _last_json(code + "\nprint(json.dumps(sorted(sys.modules)))", **env)
    return [m for m in loaded if m.startswith("opentelemetry")]


def test_import_and_calls_never_import_opentelemetry() -> None:
    assert _opentelemetry_loaded("import json, sys, rillet") == []
    assert _opentelemetry_loaded(_WORKLOAD) == []


@pytest.mark.parametrize("value", ["1", "false"])
def test_only_true_turns_it_on(value: str) -> None:
    assert _opentelemetry_loaded(_WORKLOAD, **{ENABLED_ENV: value}) == []


def test_the_checks_above_can_see_opentelemetry() -> None:
    loaded = _opentelemetry_loaded("import json, sys, rillet; rillet.instrument()")
    assert "opentelemetry.trace" in loaded


_GLOBAL_SDK = """
import json
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
trace.set_tracer_provider(provider)
"""
_SPAN_NAMES = "\nprint(json.dumps(sorted(s.name for s in exporter.get_finished_spans())))"


def test_the_environment_variable_turns_it_on_at_the_first_client() -> None:
    names = _last_json(_GLOBAL_SDK + _WORKLOAD + _SPAN_NAMES, **{ENABLED_ENV: "True"})
    assert names == ["chat", "chat", "chat m", "chat m", "execute_tool get_weather", "invoke_agent"]


def test_uninstrument_before_the_first_client_wins_over_the_variable() -> None:
    code = _GLOBAL_SDK + "import rillet\nrillet.uninstrument()\n" + _WORKLOAD + _SPAN_NAMES
    assert _last_json(code, **{ENABLED_ENV: "true"}) == []


_WITHOUT_OPENTELEMETRY = """
import sys
sys.modules["opentelemetry"] = None  # as if rillet[otel] were not installed
"""


def test_instrument_without_opentelemetry_says_what_to_install() -> None:
    code = (
        _WITHOUT_OPENTELEMETRY
        + """
import rillet
try:
    rillet.instrument()
except rillet.ConfigurationError as error:
    print(error)
"""
    )
    assert "pip install 'rillet[otel]'" in _run(code).stdout


def test_the_variable_without_opentelemetry_warns_and_goes_on() -> None:
    result = _run(_WITHOUT_OPENTELEMETRY + _WORKLOAD + "\nprint('done')", **{ENABLED_ENV: "true"})
    assert result.stdout.strip() == "done"
    assert f"{ENABLED_ENV}=true, but" in result.stderr
    assert "rillet[otel]" in result.stderr


async def test_uninstrument_turns_it_off(instrumented: Instrument) -> None:
    recorded = instrumented()
    async with LLMClient(MockAdapter(["one", "two", "three"]), model="m") as client:
        await client.call("Hi")
        open_stream = client.stream("Hi")
        rillet.uninstrument()
        async with client.stream("Hi") as stream:
            assert type(stream) is StreamingLLMResponse
            await stream.get_response()
        async with open_stream:  # started while on: still reported when it ends
            await open_stream.get_response()
    assert [s.name for s in recorded.spans] == ["chat m", "chat m"]
    (duration,) = recorded.points("gen_ai.client.operation.duration")
    assert duration.count == 2


def test_only_the_telemetry_package_imports_opentelemetry() -> None:
    package = _SDK / "rillet"
    importers = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(name.startswith("opentelemetry") for name in names):
                importers.append(str(path.relative_to(package)))
                break
    assert sorted(importers) == [
        "telemetry/_agent.py",
        "telemetry/_chat.py",
        "telemetry/_metrics.py",
        "telemetry/_switch.py",
    ]

"""The README's OpenTelemetry example, and the pure attribute mappers."""

from __future__ import annotations

from pathlib import Path

import pytest

import rillet
from rillet import LLMResponse, MockAdapter
from rillet.protocol import FinishReason
from rillet.telemetry._attributes import finish_reason, provider_name, server_attributes


def test_the_readme_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## OpenTelemetry\n", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    try:
        exec(compile(code, "README.md", "exec"), {"__name__": "readme"})
    finally:
        rillet.uninstrument()
    assert capsys.readouterr().out.splitlines() == [
        "chat gpt-4o                in: invoke_agent forecaster",
        "execute_tool get_weather   in: invoke_agent forecaster",
        "chat gpt-4o                in: invoke_agent forecaster",
        "invoke_agent forecaster    in: None",
        "('tool_call',)",
    ]


class _Http:
    def __init__(self, base_url: object) -> None:
        self.base_url = base_url


@pytest.mark.parametrize(
    ("adapter", "attributes"),
    [
        (
            _Http("https://api.openai.com/v1"),
            {"server.address": "api.openai.com", "server.port": 443},
        ),
        (_Http("http://localhost"), {"server.address": "localhost", "server.port": 80}),
        (_Http("http://127.0.0.1:8080/v1"), {"server.address": "127.0.0.1", "server.port": 8080}),
        (_Http("http://[::1]:99999"), {}),  # an impossible port: no attributes, no error
        (_Http("not a url"), {}),
        (_Http(None), {}),
        (MockAdapter("x"), {}),
    ],
)
def test_server_attributes(adapter: object, attributes: dict[str, object]) -> None:
    assert server_attributes(adapter) == attributes


def test_provider_names() -> None:
    assert [provider_name(p) for p in ("openai", "openai-responses", "anthropic", "gemini")] == [
        "openai",
        "openai",
        "anthropic",
        "gcp.gemini",
    ]
    assert provider_name("my-adapter") == "my-adapter"


def test_finish_reason_other_without_the_providers_reason() -> None:
    response = LLMResponse(finish_reason=FinishReason.other)
    assert finish_reason(response) == "other"
    assert finish_reason(LLMResponse()) is None

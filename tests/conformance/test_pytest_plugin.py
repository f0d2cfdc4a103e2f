"""The pytest plugin: a user's test records its rillet stream once, replays it after with the
server gone, keeps no key in the cassette, and fails on a request the cassette lacks."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from rillet.conformance.cassettes import find_secrets, load

pytest_plugins = ["pytester"]

SECRET = "sk-proj-" + "a1B2c3D4e5F6g7H8i9J0" * 2

USER_TEST = """
import os

import pytest

from rillet import LLMClient
from rillet.emulator import Emulator, Scenario

PORT = {port}
URL = "http://127.0.0.1:{port}/v1"
SCENARIO = Scenario("weather-model", text=("Sunny", " and ", "warm."))


async def ask(prompt):
    client = LLMClient(provider="openai", base_url=URL, api_key=os.environ["OPENAI_API_KEY"],
                       model="weather-model", max_retries=0)
    async with client:
        return await client.call(prompt)


@pytest.mark.rillet_cassette
async def test_weather():
    if os.environ.get("SERVE") == "1":
        async with Emulator([SCENARIO], api_key=os.environ["OPENAI_API_KEY"], port=PORT):
            response = await ask(os.environ.get("PROMPT", "Weather?"))
    else:  # nothing listens on PORT: only the cassette can answer
        response = await ask(os.environ.get("PROMPT", "Weather?"))
    assert response.text == "Sunny and warm."
    assert response.usage is not None and response.usage.output_tokens == 34


@pytest.mark.rillet_cassette("shared-name")
def test_named(rillet_cassette):
    assert str(rillet_cassette._path).endswith("shared-name.yaml")
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def user_project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
        "filterwarnings = error\n"
    )
    pytester.makepyfile(test_user=USER_TEST.format(port=_free_port()))
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    return pytester


def test_records_once_then_replays_without_the_server(
    user_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SERVE", "1")
    user_project.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)
    cassette = Path(user_project.path, "cassettes", "test_user", "test_weather.yaml")
    assert cassette.is_file()
    text = cassette.read_text()
    assert find_secrets(text, [SECRET]) == []
    request = load(cassette)["interactions"][0]["request"]
    assert "authorization" not in {name.lower() for name in request["headers"]}
    assert "weather-model" in request["body"]

    monkeypatch.setenv("SERVE", "0")
    user_project.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_a_request_the_cassette_lacks_fails_in_none_mode(
    user_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SERVE", "1")
    user_project.runpytest("-p", "no:cacheprovider", "-k", "weather").assert_outcomes(passed=1)
    monkeypatch.setenv("SERVE", "0")
    monkeypatch.setenv("PROMPT", "Another question")  # another body: no recorded match
    result = user_project.runpytest(
        "-p", "no:cacheprovider", "-k", "weather", "--rillet-record=none"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*CannotOverwriteExistingCassetteException*"])


def test_record_again_replaces_the_cassette(
    user_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SERVE", "1")
    user_project.runpytest("-p", "no:cacheprovider", "-k", "weather").assert_outcomes(passed=1)
    monkeypatch.setenv("PROMPT", "Another question")
    args = ("-p", "no:cacheprovider", "-k", "weather", "--rillet-record")
    user_project.runpytest(*args).assert_outcomes(passed=1)
    cassette = Path(user_project.path, "cassettes", "test_user", "test_weather.yaml")
    interactions = load(cassette)["interactions"]
    assert len(interactions) == 1 and "Another question" in interactions[0]["request"]["body"]

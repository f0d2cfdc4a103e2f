"""Every bad argument is a typed error naming it, raised before any request is sent.

Each case runs against a real local server that counts the requests it receives: the error
must be a ``ConfigurationError`` (``RequestValidationError`` for messages, tools and request
fields), its message must name the argument, and the server must have seen nothing.
"""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import Callable
from typing import Any

import pytest

from rillet import (
    ConfigurationError,
    LLMClient,
    LLMResponse,
    MockAdapter,
    MockResponse,
    RequestValidationError,
    Timeout,
)
from rillet.emulator.render import render
from rillet.emulator.scenario import Scenario
from rillet.testing import FaultServer
from rillet.testing.fault_server import Reply

PROVIDERS = ["openai", "openai-responses", "anthropic", "gemini"]


def _base_url(provider: str, url: str) -> str:
    return f"{url}/v1" if provider.startswith("openai") else url


def _client(provider: str, url: str, **arguments: Any) -> LLMClient:
    settings: dict[str, Any] = {"model": "m", "api_key": "test-key", **arguments}
    settings.setdefault("base_url", _base_url(provider, url))
    return LLMClient(provider=provider, **settings)


async def _call(client: LLMClient, *args: Any, **kwargs: Any) -> LLMResponse:
    async with client:
        response: LLMResponse = await client.call(*args, **kwargs)
        return response


def _host(url: str) -> str:
    return url.removeprefix("http://")


NAN_SCHEMA = {"type": "object", "properties": {"x": {"type": "number", "maximum": math.nan}}}
HI = [{"role": "user", "content": "hi"}]

# name -> (LLMClient's arguments, the call's arguments, what the message names). In a base_url,
# {host} is the server's host and port, {v1} the path the provider's base URL ends in.
CASES: dict[str, tuple[dict[str, Any], dict[str, Any], str]] = {
    "role robot": ({}, {"messages": [{"role": "robot", "content": "hi"}]}, "messages"),
    "content None": ({}, {"messages": [{"role": "user", "content": None}]}, "messages"),
    "max_tokens not a number": ({}, {"max_tokens": "lots"}, "max_tokens"),
    "tool without a name": ({}, {"tools": [{"parameters": {}}]}, "tools"),
    "model None": ({"model": None}, {}, "model"),
    "model empty": ({"model": ""}, {}, "model"),
    "base_url empty": ({"base_url": ""}, {}, "base_url"),
    "base_url without a scheme": ({"base_url": "{host}{v1}"}, {}, "base_url"),
    "base_url not http": ({"base_url": "ftp://{host}{v1}"}, {}, "base_url"),
    "base_url without a host": ({"base_url": "http:///v1"}, {}, "base_url"),
    "timeout -1": ({"timeout": -1}, {}, "timeout"),
    "timeout -1 for one call": ({}, {"timeout": -1}, "timeout"),
    "timeout 0": ({"timeout": 0}, {}, "timeout"),
    "max_retries -1": ({"max_retries": -1}, {}, "max_retries"),
    "max_retries -1 for one call": ({}, {"max_retries": -1}, "max_retries"),
    "max_retries not a whole number": ({"max_retries": 1.5}, {}, "max_retries"),
    "tool schema holding NaN": (
        {},
        {"tools": [{"name": "f", "parameters": NAN_SCHEMA}]},
        "tools[0].parameters.properties.x.maximum",
    ),
    "provider_options holding infinity": (
        {},
        {"provider_options": {"seed": math.inf}},
        "provider_options.seed",
    ),
    "unknown option": ({"options": {"regoin": "eu"}}, {}, "'regoin'"),
    "LLMClient argument given as an option": ({"options": {"model": "m"}}, {}, "'model'"),
}
VALIDATION = {"role robot", "content None", "max_tokens not a number", "tool without a name"}
"""The cases pydantic finds: a ``RequestValidationError``."""


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_bad_argument_is_a_configuration_error_and_nothing_is_sent(
    provider: str, case: str, no_leaks: None
) -> None:
    arguments, call, named = CASES[case]
    async with FaultServer() as server:
        v1 = "/v1" if provider.startswith("openai") else ""
        for name, value in arguments.items():
            if isinstance(value, str):
                arguments = {**arguments, name: value.format(host=_host(server.url), v1=v1)}
        call = {"messages": HI, **call}
        with pytest.raises(ConfigurationError) as caught:
            await _call(_client(provider, server.url, **arguments), **call)
        assert server.requests == []
    kind = RequestValidationError if case in VALIDATION else ConfigurationError
    assert isinstance(caught.value, kind)
    assert named in caught.value.message


async def test_a_validation_error_keeps_pydantics_errors_from_the_argument_on() -> None:
    async with FaultServer() as server:
        client = _client("openai", server.url)
        with pytest.raises(RequestValidationError) as caught:
            await _call(client, [{"role": "user", "content": "hi"}, {"role": "robot"}])
        assert server.requests == []
    error = caught.value
    assert error.argument == "messages"
    assert error.errors and all(item["loc"][:2] == ("messages", 1) for item in error.errors)
    assert "messages[1]" in error.message
    assert error.retryable is False


def test_build_request_names_the_first_bad_argument_and_reads_an_iterator_once() -> None:
    # Untyped callers pass what pydantic takes: a generator of messages, a string temperature.
    build: Any = LLMClient(provider="openai", api_key="sk-test", model="m").build_request
    request = build(({"role": "user", "content": text} for text in ("a", "b")), temperature=0.5)
    assert [m.content for m in request.messages] == ["a", "b"]
    assert request.temperature == 0.5
    # Every argument bad at once: messages are named first, then tools, then the fields.
    with pytest.raises(RequestValidationError) as caught:
        build(iter([{"role": "robot"}]), tools=[{"description": "x"}], temperature="hot")
    assert caught.value.argument == "messages"
    with pytest.raises(RequestValidationError) as caught:
        build("hi", tools=[{"description": "x"}], temperature="hot")
    assert caught.value.argument == "tools"
    # An iterator of good messages with a bad field: the field is named, not the messages
    # (which a second validation of a spent iterator would find empty).
    with pytest.raises(RequestValidationError) as caught:
        build(iter([{"role": "user", "content": "a"}]), temperature="hot")
    assert caught.value.argument == "temperature"


async def test_an_unknown_option_names_those_accepted() -> None:
    with pytest.raises(ConfigurationError) as caught:
        LLMClient(provider="anthropic", api_key="k", options={"regoin": "eu"})
    message = caught.value.message
    for accepted in ("anthropic_version", "anthropic_beta", "headers", "session", "transport"):
        assert accepted in message
    assert "'model'" not in message  # LLMClient's own arguments are not options


@pytest.mark.parametrize(
    "model", ["a/b", "m?alt=json", "..", ".", "../../v1beta/files", "m#x", "m%2F", "m:generate"]
)
async def test_a_gemini_model_name_that_would_leave_its_url_path_is_refused(
    model: str, no_leaks: None
) -> None:
    async with FaultServer() as server:
        client = _client("gemini", server.url, model=model)
        with pytest.raises(ConfigurationError, match="model"):
            await _call(client, "hi")
        assert server.requests == []


@pytest.mark.parametrize(
    ("arguments", "call", "named"),
    [
        ({"max_retries": -1}, {}, "max_retries"),
        ({}, {"max_retries": -1}, "max_retries"),
        ({"timeout": -1}, {}, "timeout"),
        ({}, {"timeout": "soon"}, "timeout"),
    ],
)
async def test_any_adapters_client_checks_its_own_arguments(
    arguments: dict[str, Any], call: dict[str, Any], named: str
) -> None:
    with pytest.raises(ConfigurationError, match=named):
        client = LLMClient(MockAdapter([MockResponse(text="hi")]), **arguments)
        await client.call("hi", **call)


async def test_gemini_still_takes_google_resource_names() -> None:
    async with FaultServer() as server:
        _, body = render("gemini", Scenario(name="ok", text=("Hi",)))
        server.script(Reply(body=body))
        client = _client("gemini", server.url, model="models/gemini-2.5-flash")
        response = await _call(client, "hi")
    assert response.text == "Hi"
    assert server.requests[0].path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent"


@pytest.mark.parametrize("provider", ["openai", "openai-responses"])
async def test_url_credentials_cannot_go_with_bearer_auth(provider: str, no_leaks: None) -> None:
    async with FaultServer() as server:
        url = f"http://proxy-user:proxy-password@{_host(server.url)}/v1"
        with pytest.raises(ConfigurationError, match="base_url") as caught:
            await _call(_client(provider, server.url, base_url=url), "hi")
        assert server.requests == []
    assert "proxy-password" not in str(caught.value)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_the_query_of_base_url_stays_at_the_end_of_the_url(
    provider: str, no_leaks: None
) -> None:
    async with FaultServer() as server:
        _, body = render(provider, Scenario(name="ok", text=("Hi",)))
        server.script(Reply(body=body))
        url = _base_url(provider, server.url) + "/?api-version=2024-06-01"
        await _call(_client(provider, server.url, base_url=url), "hi")
    sent = server.requests[0]
    assert sent.query["api-version"] == "2024-06-01"
    assert sent.path.endswith(("/chat/completions", "/responses", "/messages", "Content"))


def test_an_env_base_url_that_is_no_url_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "localhost:8080")
    with pytest.raises(ConfigurationError, match="ANTHROPIC_BASE_URL"):
        LLMClient(provider="anthropic", api_key="k")


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"idle": 0}, "idle"),
        ({"connect": -1}, "connect"),
        ({"total": math.nan}, "total"),
        ({"idle": math.inf}, "idle"),
        ({"idle": True}, "idle"),
    ],
)
def test_a_timeout_that_is_not_a_positive_number_is_a_configuration_error(
    arguments: dict[str, Any], named: str
) -> None:
    with pytest.raises(ConfigurationError, match=f"Timeout.{named}"):
        Timeout(**arguments)


# -- one client, two event loops ------------------------------------------------------------


def _story(server: FaultServer, count: int) -> None:
    _, body = render("openai", Scenario(name="ok", text=("Hi",)))
    server.script(*(Reply(body=body) for _ in range(count)))


def _serve_in_a_thread() -> tuple[FaultServer, Callable[[], None]]:
    """A server on a loop of its own thread, so that the test's loops come and go freely."""
    ready = threading.Event()
    stop: list[Callable[[], object]] = []
    box: list[FaultServer] = []

    async def serve() -> None:
        async with FaultServer() as server:
            box.append(server)
            done = asyncio.Event()
            loop = asyncio.get_running_loop()
            stop.append(lambda: loop.call_soon_threadsafe(done.set))
            ready.set()
            await done.wait()

    thread = threading.Thread(target=asyncio.run, args=(serve(),))
    thread.start()
    ready.wait(5)

    def shut() -> None:
        stop[0]()
        thread.join(5)

    return box[0], shut


def test_one_client_in_a_second_event_loop_is_a_configuration_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server, shut = _serve_in_a_thread()
    try:
        _story(server, 2)
        client = _client("openai", server.url)
        first = asyncio.new_event_loop()
        try:
            assert first.run_until_complete(client.call("hi")).text == "Hi"
            with pytest.raises(ConfigurationError, match="second event loop") as caught:
                asyncio.run(client.call("again"))
            assert "still running" in caught.value.message
            assert first.run_until_complete(client.call("hi")).text == "Hi"  # still works
        finally:
            first.run_until_complete(client.aclose())
            first.close()
        assert len(server.requests) == 2
    finally:
        shut()
    assert "never retrieved" not in caplog.text


def test_one_client_in_two_asyncio_runs_is_a_configuration_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server, shut = _serve_in_a_thread()
    try:
        _story(server, 1)
        client = _client("openai", server.url)
        session: list[object] = []

        async def first() -> None:
            assert (await client.call("hi")).text == "Hi"
            session.append(client.adapter._transport._session)  # type: ignore[attr-defined]
            # Closed in this loop only so that the test leaves nothing open: the second
            # loop's refusal is the same whether or not the first loop closed it.
            await session[0].close()  # type: ignore[attr-defined]

        asyncio.run(first())
        with pytest.raises(ConfigurationError, match="second event loop") as caught:
            asyncio.run(client.call("again"))
        assert "closed since" in caught.value.message
        assert len(server.requests) == 1
    finally:
        shut()
    assert "never retrieved" not in caplog.text


def test_one_client_from_two_threads_loops_at_once(caplog: pytest.LogCaptureFixture) -> None:
    server, shut = _serve_in_a_thread()
    try:
        _, body = render("openai", Scenario(name="ok", text=("Hi",)))
        server.script(Reply(body=body, chunk_delay=0.05, chunks=[10, 20, 30]))
        client = _client("openai", server.url)
        first_started, second_done = threading.Event(), threading.Event()
        outcomes: dict[str, object] = {}

        async def first() -> None:
            async with client.stream("hi") as stream:
                first_started.set()
                async for _ in stream:
                    await asyncio.to_thread(second_done.wait, 5)
            outcomes["first"] = stream.response.text
            await client.aclose()

        def second() -> None:
            first_started.wait(5)
            try:
                asyncio.run(client.call("again"))
            except Exception as error:  # what the other thread's loop got
                outcomes["second"] = error
            second_done.set()

        other = threading.Thread(target=second)
        other.start()
        asyncio.run(first())
        other.join(5)
        assert outcomes["first"] == "Hi"
        assert isinstance(outcomes["second"], ConfigurationError)
        assert "still running" in outcomes["second"].message
        assert len(server.requests) == 1
    finally:
        shut()
    assert "never retrieved" not in caplog.text

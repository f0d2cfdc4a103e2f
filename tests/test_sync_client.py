"""SyncLLMClient: blocking streams over a real local server, interrupts, threads, Jupyter."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sync_support import HeldServer, interrupt_main_after, loop_threads, no_new_threads, wait_until

from rillet import (
    CallSettings,
    ChunkAdapter,
    ConfigurationError,
    FinishReason,
    LLMRequest,
    MockAdapter,
    MockResponse,
    OverloadedError,
    RilletError,
    StreamChunk,
    StreamInterruptedError,
    SyncLLMClient,
)


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> Iterator[None]:
    with no_new_threads():
        yield


def texts(chunks: list[StreamChunk]) -> str:
    return "".join(chunk.text for chunk in chunks if chunk.type == "content")


def test_the_first_chunk_arrives_while_the_server_holds_the_rest() -> None:
    with HeldServer("Hello") as server, server.client() as client:
        seen: list[StreamChunk] = []
        with client.stream("hi") as stream:
            for chunk in stream:
                seen.append(chunk)
                if chunk.type == "content" and chunk.text == "Hel":
                    assert server.held == 1 and not server.release.is_set()
                    assert stream.response.text == "Hel"
                    server.release.set()
        assert seen[0].type == "start" and seen[-1].type == "stop"
        assert texts(seen) == "Hello"
        assert stream.response.text == "Hello"
        assert stream.response.finish_reason is FinishReason.stop
        # The client may read the last bytes before the server's write returns and counts them.
        wait_until(lambda: server.completed == 1)


def test_leaving_with_mid_stream_closes_the_connection() -> None:
    with HeldServer() as server, server.client() as client:
        with client.stream("hi") as stream:
            for chunk in stream:
                if chunk.type == "content":
                    break
        wait_until(lambda: server.disconnects == 1)  # the client is still open
        assert next(stream, None) is None
        assert stream.response.text == "Hel"


def test_closing_the_client_closes_its_open_streams() -> None:
    with HeldServer() as server:
        client = server.client()
        stream = client.stream("hi")
        assert next(stream).type == "start"
        client.close()
        wait_until(lambda: server.disconnects == 1)
        assert not loop_threads()
        with pytest.raises(RuntimeError, match="closed"):
            next(stream)
        stream.close()  # nothing left to close: no error


def test_an_interrupt_while_waiting_for_a_chunk_closes_the_connection() -> None:
    with HeldServer() as server, server.client() as client:
        stream = client.stream("hi")  # no ``with``: the interrupt alone must close it
        seen: list[StreamChunk] = []
        with interrupt_main_after(0.2), pytest.raises(KeyboardInterrupt):
            for chunk in stream:  # the next chunk never comes: the server holds it
                seen.append(chunk)
        assert texts(seen) == "Hel"
        wait_until(lambda: server.disconnects == 1)
        assert next(stream, None) is None
        server.release.set()
        assert client.call("again").text == "Hello"  # the client goes on after the interrupt


def test_an_interrupt_raised_in_the_loop_body_closes_the_connection() -> None:
    with HeldServer() as server, server.client() as client:
        with pytest.raises(KeyboardInterrupt), client.stream("hi") as stream:
            for chunk in stream:
                if chunk.type == "content":
                    raise KeyboardInterrupt
        wait_until(lambda: server.disconnects == 1)


def test_an_interrupt_during_call_closes_the_connection() -> None:
    with HeldServer() as server, server.client() as client:
        with interrupt_main_after(0.2), pytest.raises(KeyboardInterrupt):
            client.call("hi")
        wait_until(lambda: server.disconnects == 1)


def test_a_broken_stream_raises_the_typed_error_with_partial() -> None:
    with HeldServer("Hello", drop=True, release_at=1) as server, server.client() as client:
        seen: list[StreamChunk] = []
        with pytest.raises(StreamInterruptedError) as raised, client.stream("hi") as stream:
            seen.extend(stream)
        assert [chunk.type for chunk in seen][-1] == "error"
        assert raised.value.partial is not None and raised.value.partial.text == "Hel"
        assert stream.response.text == "Hel"

        with pytest.raises(StreamInterruptedError) as raised:
            client.call("hi")
        assert raised.value.partial is not None and raised.value.partial.text == "Hel"
        assert server.requests == 2


def test_errors_pass_through_unchanged() -> None:
    error = OverloadedError("busy", status_code=529)
    script = MockResponse(text="Hello world", chunk_size=2, error=error, error_after=3)
    with SyncLLMClient(MockAdapter([script, script])) as client:
        with pytest.raises(OverloadedError) as raised:
            client.call("hi")
        assert raised.value is error
        assert raised.value.partial is not None and raised.value.partial.text == "Hell"
        with pytest.raises(OverloadedError), client.stream("hi") as stream:
            stream.get_response()
        assert stream.response.text == "Hell"


def test_usable_inside_a_running_event_loop() -> None:
    """A notebook cell runs inside a loop: the blocking client must work there as elsewhere."""

    async def cell(url: str) -> tuple[str, str]:
        asyncio.get_running_loop()  # the situation: this thread's loop is running
        with SyncLLMClient(provider="openai", base_url=url, api_key="sk-t", model="m") as client:
            with client.stream("hi") as stream:
                streamed = texts(list(stream))
            return streamed, client.call("hi").text

    with HeldServer("Hello", release_at=1) as server:
        assert asyncio.run(cell(server.url)) == ("Hello", "Hello")


def test_threads_share_one_client() -> None:
    """Every reply is held until all eight requests are in: the streams must run at once."""
    with HeldServer("Hello", release_at=8) as server, server.client() as client:

        def consume(_: int) -> str:
            with client.stream("hi") as stream:
                return texts(list(stream))

        with ThreadPoolExecutor(8) as pool:
            assert list(pool.map(consume, range(8), timeout=10)) == ["Hello"] * 8
        wait_until(lambda: server.completed == 8)  # counted once each write has returned


def test_close_ends_the_loop_thread_and_the_client() -> None:
    client = SyncLLMClient(MockAdapter("hi"))
    assert len(loop_threads()) == 1
    assert client.call("hi").text == "hi"
    client.close()
    assert not loop_threads() and client.closed
    with pytest.raises(RuntimeError, match="closed"):
        client.call("hi")
    with pytest.raises(RuntimeError, match="closed"):
        client.stream("hi")
    client.close()


def test_a_forgotten_client_is_closed_when_collected() -> None:
    stream = SyncLLMClient(MockAdapter("abc")).stream("hi")  # the stream keeps it alive
    assert texts(list(stream)) == "abc"
    assert len(loop_threads()) == 1
    del stream
    gc.collect()
    assert not loop_threads()


def test_a_bad_constructor_raises_and_leaves_no_thread() -> None:
    with pytest.raises(ConfigurationError):
        SyncLLMClient()
    with pytest.raises(ConfigurationError):
        SyncLLMClient(MockAdapter(), provider="openai")
    assert not loop_threads()


def test_request_fields_and_settings_reach_the_adapter() -> None:
    adapter = MockAdapter(["a", "b"])
    with SyncLLMClient(adapter, model="m-1") as client:
        request = client.build_request("hi", max_tokens=5)
        assert isinstance(request, LLMRequest) and request.max_tokens == 5
        with client.stream("hi", max_tokens=7, temperature=0.5, keep_text=False) as stream:
            assert stream.get_response().text == ""  # keep_text=False: no text kept
        assert client.call(request).text == "b"
    assert [(r.model, r.max_tokens) for r in adapter.requests] == [("m-1", 7), ("m-1", 5)]
    assert adapter.requests[0].temperature == 0.5


def test_repr_shows_no_secret() -> None:
    with SyncLLMClient(provider="openai", api_key="sk-secret-42", model="gpt-x") as client:
        assert repr(client) == "SyncLLMClient(provider='openai', model='gpt-x')"
        assert client.provider == "openai"


class _CallsBack(ChunkAdapter):
    """An adapter that calls the blocking client from inside the client's own event loop."""

    provider = "mock"

    def __init__(self) -> None:
        self.client: SyncLLMClient | None = None

    async def stream(
        self, request: LLMRequest, settings: CallSettings
    ) -> AsyncIterator[StreamChunk]:
        assert self.client is not None
        self.client.call("again")
        for chunk in MockResponse("never").chunks("mock", "m"):
            yield chunk


def test_a_call_from_the_clients_own_loop_fails_instead_of_hanging() -> None:
    adapter = _CallsBack()
    with SyncLLMClient(adapter) as client:
        adapter.client = client
        with pytest.raises(RilletError) as raised:
            client.call("hi")
        assert isinstance(raised.value.__cause__, RuntimeError)
        assert "own event loop thread" in str(raised.value.__cause__)


def test_the_readme_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Synchronous use\n", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(code, "README.md", "exec"), {})
    greeting = "Hello from a plain script!"
    assert capsys.readouterr().out == f"{greeting}\nFinishReason.stop\n{greeting}\n"

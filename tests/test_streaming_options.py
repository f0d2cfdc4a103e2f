"""The streaming options and the fast paths of the hot path: ``keep_frames`` / ``keep_text``
(memory that does not grow with the stream), batched reading (the first chunk is not held back,
errors mid-read keep their order), text compaction, the fast chunk constructors, the JSON-array
layout scanner, environment proxies without ``trust_env``, and connection reuse."""

from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import AsyncIterator, Sequence

import pytest

from rillet import (
    ContentChunk,
    LLMClient,
    LLMRequest,
    MalformedStreamError,
    ReasoningChunk,
    StreamChunk,
    ToolCallChunk,
)
from rillet.accumulator import ResponseAccumulator
from rillet.adapter import CallSettings
from rillet.protocol import (
    StartChunk,
    StopChunk,
    content_chunk,
    reasoning_text_chunk,
    tool_call_chunk,
)
from rillet.providers.openai_chat import OpenAIChatAdapter
from rillet.testing import FaultServer, Reply
from rillet.transport import FRAME_WINDOW, Frame, HTTPTransport, JSONArrayDecoder

KEY = "sk-test-0000000000"


def _chat(delta: dict[str, object], finish: str | None = None) -> str:
    return json.dumps(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "gpt-test",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
    )


def chat_body(words: list[str], *, bad_at: int | None = None) -> bytes:
    frames = [_chat({"role": "assistant", "content": ""})]
    for i, word in enumerate(words):
        frames.append("{not json" if i == bad_at else _chat({"content": word}))
    frames.append(_chat({}, "stop"))
    usage = {"prompt_tokens": 3, "completion_tokens": len(words), "total_tokens": 3 + len(words)}
    frames.append(json.dumps({"id": "chatcmpl-1", "choices": [], "usage": usage}))
    frames.append("[DONE]")
    return "".join(f"data: {f}\n\n" for f in frames).encode()


def tool_body() -> bytes:
    call = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "f"}}
    frames = [
        _chat({"role": "assistant", "content": "thinking aloud"}),
        _chat({"tool_calls": [{**call, "function": {"name": "f", "arguments": '{"a": '}}]}),
        _chat({"tool_calls": [{"index": 0, "function": {"arguments": "1}"}}]}),
        _chat({}, "tool_calls"),
        "[DONE]",
    ]
    return "".join(f"data: {f}\n\n" for f in frames).encode()


@pytest.fixture
async def server() -> AsyncIterator[FaultServer]:
    async with FaultServer() as fault_server:
        yield fault_server


def client(server: FaultServer, **kwargs: object) -> LLMClient:
    return LLMClient(
        provider="openai",
        model="gpt-test",
        api_key=KEY,
        base_url=server.url + "/v1",
        max_retries=0,
        **kwargs,  # type: ignore[arg-type]
    )


# -- keep_frames / keep_text -------------------------------------------------------------------


async def test_defaults_keep_frames_and_text(server: FaultServer) -> None:
    words = [f" w{i}" for i in range(50)]
    server.script(Reply(body=chat_body(words, bad_at=30)))
    async with client(server) as llm:
        with pytest.raises(MalformedStreamError) as caught:
            async with llm.stream("hi") as stream:
                async for _ in stream:
                    pass
    # The body came in one read: the window still ends with the bad frame (those after it in
    # the read are not kept), and the text that arrived before it is kept whole.
    frames = caught.value.frames
    assert len(frames) == FRAME_WINDOW
    assert frames[-1] == Frame(data="{not json")
    assert frames[0] == Frame(data=_chat({"content": words[30 - FRAME_WINDOW + 1]}))
    assert caught.value.partial is not None
    assert caught.value.partial.text == "".join(words[:30])


async def test_keep_frames_false_keeps_no_frames(server: FaultServer) -> None:
    words = [f" w{i}" for i in range(50)]
    server.script(Reply(body=chat_body(words)), Reply(body=chat_body(words, bad_at=30)))
    async with client(server, keep_frames=False) as llm:
        async with llm.stream("hi") as stream:
            chunks = [chunk async for chunk in stream]
        assert stream.response.text == "".join(words)  # the text is still kept
        assert sum(isinstance(c, ContentChunk) for c in chunks) == 50
        with pytest.raises(MalformedStreamError) as caught:
            await llm.call("hi")
    assert caught.value.frames == []
    assert caught.value.partial is not None
    assert caught.value.partial.text == "".join(words[:30])


async def test_keep_frames_false_at_the_transport(server: FaultServer) -> None:
    server.script(Reply(body=b"data: a\n\ndata: b\n\n"), Reply(body=b"data: a\n\ndata: b\n\n"))
    async with HTTPTransport(max_retries=0) as transport:
        for keep in (False, True):
            async with transport.stream(
                "POST", server.url, headers={}, body=b"{}", keep_frames=keep
            ) as frames:
                seen = [frame.data async for frame in frames]
            assert seen == ["a", "b"]
            assert [f.data for f in frames.frames] == (["a", "b"] if keep else [])


async def test_default_keeps_a_window_of_the_last_frames(server: FaultServer) -> None:
    # A long stream that breaks: by default the error carries the last FRAME_WINDOW frames,
    # ending with the bad one, however long the stream was; "all" carries every frame.
    words = [f" w{i}" for i in range(FRAME_WINDOW * 3)]
    bad = FRAME_WINDOW * 2 + 7
    body = chat_body(words, bad_at=bad)
    # One event a read, as a live model sends them.
    ends = [i + 2 for i in range(len(body)) if body[i : i + 2] == b"\n\n"][:-1]
    server.script(Reply(body=body, chunks=ends), Reply(body=body))
    received: dict[object, list[object]] = {}
    for keep in (True, "all"):
        async with client(server, keep_frames=keep) as llm:
            with pytest.raises(MalformedStreamError) as caught:
                await llm.call("hi")
        received[keep] = caught.value.frames
    window, everything = received[True], received["all"]
    assert len(everything) == 1 + bad + 1
    assert everything[-1] == Frame(data="{not json")
    assert window == everything[-FRAME_WINDOW:]


async def test_the_window_is_flat_as_a_stream_grows(server: FaultServer) -> None:
    # What the transport keeps per stream by default stops growing at FRAME_WINDOW frames.
    body = b"".join(f"data: {i}\n\n".encode() for i in range(FRAME_WINDOW * 4))
    server.script(Reply(body=body, chunks=range(997, len(body), 997)))
    async with (
        HTTPTransport(max_retries=0) as transport,
        transport.stream("POST", server.url, headers={}, body=b"{}") as frames,
    ):
        seen = 0
        async for _ in frames:
            seen += 1
            assert len(frames.frames) == min(seen, FRAME_WINDOW)
    assert [f.data for f in frames.frames] == [
        str(i) for i in range(FRAME_WINDOW * 3, FRAME_WINDOW * 4)
    ]


@pytest.mark.parametrize("one_per_read", [True, False], ids=["live", "burst"])
async def test_the_window_keeps_every_field_of_its_frames(
    server: FaultServer, one_per_read: bool
) -> None:
    # Event names, ids (which persist across events) and retry fields come back as sent,
    # whether each frame had a read of its own or a read held many.
    blocks = []
    for i in range(FRAME_WINDOW * 2 + 5):
        lines = [f"event: e{i % 3}"] if i % 2 else []
        if i % 5 == 3:  # from the fourth frame on, each has an id
            lines.append(f"id: {i}")
        if i % 7 == 0:
            lines.append(f"retry: {1000 + i}")
        blocks.append("\n".join([*lines, f"data: {i}"]) + "\n\n")
    body = "".join(blocks).encode()
    ends = [i + 2 for i in range(len(body)) if body[i : i + 2] == b"\n\n"][:-1]
    chunks = ends if one_per_read else range(331, len(body), 331)
    server.script(Reply(body=body, chunks=chunks), Reply(body=body, chunks=chunks))
    async with HTTPTransport(max_retries=0) as transport:
        async with transport.stream(
            "POST", server.url, headers={}, body=b"{}", keep_frames="all"
        ) as everything:
            seen = [frame async for frame in everything]
        assert seen == everything.frames
        ids, retries = {f.id for f in seen}, {f.retry for f in seen}
        assert None in ids and len(ids) > 3 and None in retries and len(retries) > 3
        async with transport.stream("POST", server.url, headers={}, body=b"{}") as window:
            count = 0
            async for frame in window:
                assert frame == seen[count]
                count += 1
                assert window.frames == seen[max(0, count - FRAME_WINDOW) : count]


async def test_a_filling_window_gives_the_collector_nothing_to_count(server: FaultServer) -> None:
    # A stream keeps its last frames as strings, which the garbage collector never tracks: a
    # thousand live streams filling their windows would otherwise bring on young collections
    # (and promotions towards full ones) by the tens. Net tracked allocations are counted over
    # live reads of a window still filling, with the collector off.
    body = b"".join(f"data: {i}\n\n".encode() for i in range(FRAME_WINDOW * 2))
    ends = [i + 2 for i in range(len(body)) if body[i : i + 2] == b"\n\n"][:-1]
    server.script(Reply(body=body, chunks=ends, chunk_delay=0.002))
    counts: list[int] = []
    async with (
        HTTPTransport(max_retries=0) as transport,
        transport.stream("POST", server.url, headers={}, body=b"{}") as frames,
    ):
        gc.collect()
        gc.disable()
        try:
            async for _ in frames:
                counts.append(gc.get_count()[0])
        finally:
            gc.enable()
    growth = counts[FRAME_WINDOW - 1] - counts[1]  # while the window fills
    assert growth < FRAME_WINDOW // 2, counts


async def test_no_request_is_kept_while_the_response_is_awaited(server: FaultServer) -> None:
    # Thousands of streams opened at once each wait for their response: what built the
    # request (the LLMRequest, its messages) is let go before that wait, not after it.
    marker = "remember-me-7734"
    server.script(Reply(body=chat_body(["a"]), headers_delay=0.3))

    def requests_alive() -> int:
        gc.collect()
        return sum(
            1 for o in gc.get_objects() if isinstance(o, LLMRequest) and marker in repr(o.messages)
        )

    async with client(server) as llm:

        async def consume() -> str:
            async with llm.stream(marker) as stream:
                return "".join([c.text async for c in stream if isinstance(c, ContentChunk)])

        task = asyncio.ensure_future(consume())
        try:
            await asyncio.sleep(0.15)  # sent; the headers are 0.15 s away
            assert server.requests and not task.done()
            assert requests_alive() == 0
        finally:
            text = await task
        assert text == "a"


async def test_keep_text_false_keeps_calls_and_usage_not_text(server: FaultServer) -> None:
    words = [f" w{i}" for i in range(20)]
    server.script(
        Reply(body=chat_body(words)), Reply(body=tool_body()), Reply(body=chat_body(words))
    )
    async with client(server, keep_text=False) as llm:
        async with llm.stream("hi") as stream:
            texts = [c.text async for c in stream if isinstance(c, ContentChunk)]
        assert texts == words  # every chunk still reaches the consumer
        response = stream.response
        assert response.text == "" and response.reasoning == ""
        assert response.usage is not None and response.usage.output_tokens == 20
        assert response.provider_finish_reason == "stop"

        answer = await llm.call("hi")
        assert answer.text == ""
        assert [(c.name, c.arguments) for c in answer.tool_calls] == [("f", {"a": 1})]

        # A call may turn it back on.
        async with llm.stream("hi", keep_text=True) as stream:
            async for _ in stream:
                pass
        assert stream.response.text == "".join(words)


def test_keep_text_false_drops_reasoning_text_but_not_signatures() -> None:
    accumulator = ResponseAccumulator(keep_text=False)
    accumulator.add(StartChunk(provider="p"))
    accumulator.add(ReasoningChunk(text="hmm", index=0))
    accumulator.add(ReasoningChunk(signature="sig", index=0))
    accumulator.add(ContentChunk(text="answer"))
    accumulator.add(ContentChunk(text="no", refusal=True))
    accumulator.add(StopChunk(finish_reason="stop"))  # type: ignore[arg-type]
    response = accumulator.result()
    assert response.text == "" and response.reasoning == "" and response.refusal is None
    assert [(b.text, b.signature) for b in response.reasoning_details] == [("", "sig")]


def test_compact_joins_text_without_changing_it() -> None:
    accumulator = ResponseAccumulator()
    accumulator.add(StartChunk(provider="p"))
    pieces = [f"t{i} " for i in range(5000)]
    for i, piece in enumerate(pieces):
        accumulator.add(ContentChunk(text=piece))
        accumulator.add(ReasoningChunk(text=piece, index=0))
        if i % 700 == 0:
            accumulator.compact()
            if i == 2100:
                assert accumulator.snapshot().text == "".join(pieces[: i + 1])  # mid-way
    accumulator.compact()
    assert len(accumulator._text) < 200  # joined runs of 1024, not 5000 small strings
    assert accumulator.snapshot().text == "".join(pieces)
    assert accumulator.snapshot().reasoning == "".join(pieces)
    assert accumulator.snapshot().reasoning_details[0].text == "".join(pieces)


# -- batched reading -------------------------------------------------------------------------


async def test_first_chunk_is_not_held_back_by_its_read(server: FaultServer) -> None:
    words = [f" w{i}" for i in range(40)]
    server.script(Reply(body=chat_body(words)))  # the whole body in one write
    adapter = OpenAIChatAdapter(api_key=KEY, base_url=server.url + "/v1", max_retries=0)
    request = LLMClient(adapter).build_request("hi", model="gpt-test")
    batches: list[Sequence[StreamChunk]] = []
    async for batch in adapter.stream_batches(request, CallSettings()):
        batches.append(batch)
    await adapter.aclose()
    assert [type(c).__name__ for c in batches[0]] == ["StartChunk"]
    assert len(batches) < 10  # the rest came a read at a time, not a chunk at a time
    texts = [c.text for b in batches for c in b if isinstance(c, ContentChunk)]
    assert texts == words


async def test_bad_frame_mid_read_keeps_order(server: FaultServer) -> None:
    words = [f" w{i}" for i in range(10)]
    server.script(Reply(body=chat_body(words, bad_at=5)))  # one read holds it all
    async with client(server) as llm:
        seen: list[StreamChunk] = []
        with pytest.raises(MalformedStreamError) as caught:
            async with llm.stream("hi") as stream:
                async for chunk in stream:
                    seen.append(chunk)
    assert [c.text for c in seen if isinstance(c, ContentChunk)] == words[:5]
    assert seen[-1].type == "error"
    assert json.loads(_frame_data(caught.value.frames[-2]))["choices"][0]["delta"] == {
        "content": " w4"
    }
    assert _frame_data(caught.value.frames[-1]) == "{not json"


def _frame_data(frame: object) -> str:
    assert isinstance(frame, Frame)
    return frame.data


async def test_connection_is_reused_after_a_complete_stream(server: FaultServer) -> None:
    server.script(*(Reply(body=chat_body([" a", " b"])) for _ in range(5)))
    async with client(server) as llm:
        for _ in range(5):
            assert (await llm.call("hi")).text == " a b"
    ports = {request.client_port for request in server.requests}
    assert len(ports) == 1, ports


# -- proxies from the environment ---------------------------------------------------------------


async def test_environment_proxy_is_honoured(
    server: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", server.url)
    monkeypatch.setenv("NO_PROXY", "")
    monkeypatch.delenv("http_proxy", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    server.script(Reply(body=b"data: via proxy\n\n"), Reply(body=b"data: again\n\n"))
    async with HTTPTransport(max_retries=0) as transport:
        for _ in range(2):
            async with transport.stream(
                "POST", "http://llm.invalid/v1/x", headers={}, body=b"{}"
            ) as frames:
                assert [f.data async for f in frames]
    assert len(server.requests) == 2  # both went through the proxy (llm.invalid resolves nowhere)


async def test_no_proxy_is_honoured(server: FaultServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.delenv("http_proxy", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    server.script(Reply(body=b"data: direct\n\n"))
    async with (
        HTTPTransport(max_retries=0) as transport,
        transport.stream("POST", server.url, headers={}, body=b"{}") as frames,
    ):
        assert [f.data async for f in frames] == ["direct"]


# -- fast chunk constructors -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fast", "slow"),
    [
        (content_chunk("héllo 🙂"), ContentChunk(text="héllo 🙂")),
        (reasoning_text_chunk("t", 2), ReasoningChunk(text="t", index=2)),
        (reasoning_text_chunk("t", 2, "rs_1"), ReasoningChunk(text="t", index=2, id="rs_1")),
        (tool_call_chunk(1, '{"a"'), ToolCallChunk(index=1, arguments_delta='{"a"')),
    ],
)
def test_fast_constructors_build_what_validation_builds(
    fast: StreamChunk, slow: StreamChunk
) -> None:
    assert type(fast) is type(slow)
    assert fast == slow
    assert fast.__dict__ == slow.__dict__ and list(fast.__dict__) == list(slow.__dict__)
    assert fast.model_fields_set == slow.model_fields_set
    assert fast.model_dump_json() == slow.model_dump_json()
    assert repr(fast) == repr(slow)
    fast.model_fields_set.add("type")  # each chunk owns its own set
    assert "type" not in content_chunk("x").model_fields_set


def test_fast_constructors_still_validate_other_types() -> None:
    with pytest.raises(ValueError):
        content_chunk(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        tool_call_chunk("x", "{")  # type: ignore[arg-type]


# -- the JSON-array layout scanner ---------------------------------------------------------------


def _elements(body: bytes, step: int | None = None) -> tuple[list[str], JSONArrayDecoder]:
    decoder = JSONArrayDecoder()
    events: list[Frame] = []
    step = step or len(body)
    for start in range(0, len(body), step):
        events += decoder.feed(body[start : start + step])
    events += decoder.flush()
    return [e.data for e in events], decoder


def test_gemini_layout_is_taken_by_the_layout_scanner() -> None:
    items = [{"candidates": [{"content": {"parts": [{"text": f"w{i} }}\n"}]}}]} for i in range(50)]
    texts = [json.dumps(item, indent=2) for item in items]
    body = ("[" + "\n,\r\n".join(texts) + "]").encode()
    for step in (None, 1, 7, 100):
        elements, decoder = _elements(body, step)
        assert elements == texts
    assert decoder._misses == 0


def test_a_line_opening_brace_that_is_not_the_end_is_never_taken_for_it() -> None:
    # "\n}" closes an inner object here: the proof fails, the general scanners take over.
    texts = ['{"a": {\n"b": [1,\n{"c": 2\n}]\n}, "d": 3\n}', '{"e": {\n}\n}', '{"f": "x"}']
    body = ("[" + ",\n".join(texts) + "]").encode()
    for step in (None, 1, 3):
        elements, decoder = _elements(body, step)
        assert elements == texts
        assert [json.loads(e) for e in elements] == json.loads(body)
    many = ("[" + ",".join([texts[0]] * 20) + "]").encode()
    elements, decoder = _elements(many)
    assert elements == [texts[0]] * 20 and decoder._misses >= 1


async def test_compaction_keeps_the_stream_response_exact(server: FaultServer) -> None:
    words = [f" w{i}" for i in range(3000)]
    body = chat_body(words)
    server.script(Reply(body=body, chunks=list(range(1000, len(body), 1000))))
    async with client(server, keep_frames=False) as llm, llm.stream("hi") as stream:
        async for _ in stream:
            await asyncio.sleep(0)
    assert stream.response.text == "".join(words)

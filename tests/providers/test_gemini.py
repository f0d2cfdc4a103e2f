"""The Gemini adapter: real recorded streams, hand-written frames, request bodies, HTTP."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
import real_streams

from rillet import (
    ConfigurationError,
    ContentBlockedError,
    ContentChunk,
    FinishReason,
    LLMClient,
    LLMRequest,
    LLMResponse,
    MalformedStreamError,
    MissingAPIKeyError,
    RateLimitError,
    StartChunk,
    StopChunk,
    StreamChunk,
    StreamingLLMResponse,
    StreamInterruptedError,
    ToolCallChunk,
    ToolCallEndChunk,
    ToolCallStartChunk,
)
from rillet.providers.gemini import GeminiAdapter
from rillet.providers.gemini._mapper import GeminiMapper, parse_frame
from rillet.providers.gemini._request import build_body
from rillet.testing.fault_server import FaultServer, Reply
from rillet.transport import Frame


def _as_sse(frames: list[Frame]) -> bytes:
    """The same elements as Gemini sends them with ``alt=sse``: one line each, CRLF CRLF."""
    lines = (json.dumps(json.loads(f.data)) for f in frames)
    return "".join(f"data: {line}\r\n\r\n" for line in lines).encode()


def _map(frames: list[Frame]) -> list[StreamChunk]:
    mapper = GeminiMapper("gemini")
    chunks = [chunk for frame in frames for chunk in mapper.feed(frame)]
    return chunks + list(mapper.finish())


def _assert_contract(chunks: list[StreamChunk]) -> None:
    types = [c.type for c in chunks]
    assert types[0] == "start"
    assert types[-1] in ("stop", "error") and types.count("stop") + types.count("error") == 1
    starts = [c.index for c in chunks if isinstance(c, ToolCallStartChunk)]
    deltas = {c.index for c in chunks if isinstance(c, ToolCallChunk)}
    assert starts == [c.index for c in chunks if isinstance(c, ToolCallEndChunk)]
    assert deltas <= set(starts)


def _assert_expected(response: LLMResponse, expected: dict[str, Any]) -> None:
    assert response.text == expected["text"]
    assert response.reasoning == expected["reasoning"]
    calls = [{"name": c.name, "arguments": c.arguments} for c in response.tool_calls]
    assert calls == expected["tool_calls"]
    assert response.provider_finish_reason == expected["finish_reason"]
    assert response.usage is not None
    assert response.usage.model_dump(include={"input_tokens", "output_tokens"}) == expected["usage"]


def _without_made_up_ids(response: LLMResponse) -> LLMResponse:
    """Calls sent without an id get a fresh ``call_...`` id on every read."""
    calls = [
        c.model_copy(update={"id": ""}) if c.id.startswith("call_") else c
        for c in response.tool_calls
    ]
    return response.model_copy(update={"tool_calls": calls})


@pytest.mark.parametrize("entry", real_streams.params("gemini_json"))
def test_real_stream_json_array_and_sse_forms(entry: dict[str, Any] | None) -> None:
    frames = real_streams.frames(real_streams.body(entry), json_array=True)
    assert entry is not None
    chunks = _map(frames)
    _assert_contract(chunks)
    response = StreamingLLMResponse.from_chunks(chunks)
    _assert_expected(response, entry["expected"])
    again = StreamingLLMResponse.from_chunks(_map(real_streams.frames(_as_sse(frames))))
    assert _without_made_up_ids(again) == _without_made_up_ids(response)


# -- hand-written frames ---------------------------------------------------------------------


def _frame(*parts: dict[str, Any], finish: str | None = None, **top: Any) -> Frame:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": list(parts)}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    return Frame(data=json.dumps({"candidates": [candidate], **top}))


def _raw(element: object) -> Frame:
    return Frame(data=json.dumps(element))


def test_start_text_thoughts_and_a_held_stop() -> None:
    mapper = GeminiMapper("gemini")
    early = {"promptTokenCount": 1, "candidatesTokenCount": 1}  # running totals: the last wins
    ids: dict[str, Any] = {"responseId": "r", "modelVersion": "g-x", "usageMetadata": early}
    first = mapper.feed(_frame({"text": "hm", "thought": True}, **ids))
    assert [c.model_dump(exclude_none=True) for c in first] == [
        {"type": "start", "id": "r", "model": "g-x", "provider": "gemini"},
        {"type": "reasoning", "text": "hm", "index": 0},
    ]
    second = mapper.feed(_frame({"text": "Hi"}, {"text": ""}, finish="STOP"))
    assert [c.type for c in second] == ["content"]  # the stop waits for EOF
    counts = [5, 2, 9, 3, 16]
    names = ["prompt", "candidates", "thoughts", "cachedContent", "total"]
    usage = {f"{name}TokenCount": count for name, count in zip(names, counts, strict=True)}
    assert not mapper.feed(_raw({"usageMetadata": usage}))  # usage after the finishReason
    (stop,) = mapper.finish()
    assert stop.type == "stop" and stop.usage is not None
    assert (stop.finish_reason, stop.provider_finish_reason) == (FinishReason.stop, "STOP")
    got = stop.usage
    assert (got.input_tokens, got.output_tokens, got.reasoning_tokens) == (5, 2, 9)
    assert (got.cached_input_tokens, got.total_tokens) == (3, 16)
    assert not mapper.feed(_frame({"text": "late"}))
    assert not mapper.finish()


def test_signatures_never_concatenate() -> None:
    chunks = _map(
        [
            _frame({"text": "p", "thought": True}),
            _frame({"text": "a", "thoughtSignature": "S1"}),
            _frame({"text": "", "thoughtSignature": "S2"}),
            _frame({"text": "m", "thought": True, "thoughtSignature": "S3"}, finish="STOP"),
        ]
    )
    reasoning = [(c.index, c.text, c.signature) for c in chunks if c.type == "reasoning"]
    assert reasoning == [
        (0, "p", None),
        (0, "", "S1"),
        (1, "", "S2"),
        (2, "m", None),
        (2, "", "S3"),
    ]
    response = StreamingLLMResponse.from_chunks(chunks)
    blocks = [(b.text, b.signature, b.provider) for b in response.reasoning_details]
    assert blocks == [("p", "S1", "gemini"), ("", "S2", "gemini"), ("m", "S3", "gemini")]
    assert (response.text, response.reasoning) == ("a", "pm")


def test_function_calls_arrive_whole() -> None:
    args = {"a": 1, "b": [2, "é"]}
    call = {"functionCall": {"name": "add", "args": args, "id": "c-1"}, "thoughtSignature": "SIG"}
    chunks = _map([_frame(call), _frame({"functionCall": {"name": "noop"}}, finish="STOP")])
    _assert_contract(chunks)
    calls = [c.model_dump(exclude_none=True) for c in chunks if c.type.startswith("tool_call")]
    made_up = calls[3]["id"]
    assert made_up.startswith("call_")
    assert calls == [
        {"type": "tool_call_start", "index": 0, "id": "c-1", "name": "add", "signature": "SIG"},
        {"type": "tool_call_chunk", "index": 0, "arguments_delta": '{"a":1,"b":[2,"é"]}'},
        {"type": "tool_call_end", "index": 0, "id": "c-1", "arguments": args},
        {"type": "tool_call_start", "index": 1, "id": made_up, "name": "noop"},
        {"type": "tool_call_chunk", "index": 1, "arguments_delta": "{}"},
        {"type": "tool_call_end", "index": 1, "id": made_up, "arguments": {}},
    ]
    response = StreamingLLMResponse.from_chunks(chunks)
    assert response.finish_reason is FinishReason.tool_calls
    assert [(c.id, c.signature) for c in response.tool_calls] == [("c-1", "SIG"), (made_up, None)]


def test_other_candidates_unknown_fields_and_parts_are_skipped() -> None:
    parts = [{"text": "first", "newField": 1}, {"executableCode": {"code": "1+1"}}, {}]
    element = {
        "candidates": [
            {"index": 1, "content": {"parts": [{"text": "second"}]}, "finishReason": "SAFETY"},
            {"index": 0, "content": {"parts": parts}, "finishReason": "STOP", "futureThing": {}},
        ],
        "brandNewTopLevel": [1, 2],
    }
    response = StreamingLLMResponse.from_chunks(_map([_raw(element)]))
    assert (response.text, response.provider_finish_reason) == ("first", "STOP")


_FILTERS = ["SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"]
_OTHERS = ["LANGUAGE", "OTHER", "FINISH_REASON_UNSPECIFIED", "SOMETHING_NEW"]


@pytest.mark.parametrize(
    ("raw", "unified"),
    [
        ("STOP", FinishReason.stop),
        ("MAX_TOKENS", FinishReason.length),
        *[(raw, FinishReason.content_filter) for raw in _FILTERS],
        ("MALFORMED_FUNCTION_CALL", FinishReason.error),
        ("UNEXPECTED_TOOL_CALL", FinishReason.error),
        *[(raw, FinishReason.other) for raw in _OTHERS],
    ],
)
def test_finish_reasons(raw: str, unified: FinishReason) -> None:
    response = StreamingLLMResponse.from_chunks(_map([_frame({"text": "t"}, finish=raw)]))
    assert (response.finish_reason, response.provider_finish_reason) == (unified, raw)


def test_blocked_prompt_is_a_content_filter_error() -> None:
    element = {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}, "responseId": "r"}
    chunks = _map([_raw(element), _frame({"text": "ignored"}, finish="STOP")])
    assert [c.type for c in chunks] == ["start", "error"]
    with pytest.raises(ContentBlockedError) as caught:
        StreamingLLMResponse.from_chunks(chunks)
    error = caught.value
    assert (error.error_type, error.retryable, error.body) == ("PROHIBITED_CONTENT", False, element)


@pytest.mark.parametrize(
    ("error", "code", "retryable"),
    [
        ({"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "quota"}, "rate_limit", True),
        ({"code": 503, "status": "UNAVAILABLE", "message": "overloaded"}, "overloaded", True),
        ({"code": 500, "status": "INTERNAL"}, "server", True),
        ({"code": 504}, "server", True),
        ({"code": 400, "status": "INVALID_ARGUMENT"}, "invalid_request", False),
        ({"status": "SOMETHING_ELSE"}, "provider", False),
        ("not an object", "provider", False),
    ],
)
def test_in_stream_errors(error: Any, code: str, retryable: bool) -> None:
    chunks = _map([_frame({"text": "par"}), _raw({"error": error}), _frame({"text": "x"})])
    _assert_contract(chunks)
    last = chunks[-1]
    assert last.type == "error"
    assert (last.code.value, last.retryable) == (code, retryable)
    assert last.provider_error == {"error": error}
    if isinstance(error, dict):
        assert (last.status_code, last.error_type) == (error.get("code"), error.get("status"))


@pytest.mark.parametrize("data", ['{"candidates": [', '{"candidates": "nope"}', "[1, 2]"])
def test_malformed_frames(data: str) -> None:
    with pytest.raises(MalformedStreamError):
        GeminiMapper("gemini").feed(Frame(data=data))


@pytest.mark.parametrize("frames", [[], [_frame({"text": "cut"})]], ids=["empty", "no-finish"])
def test_eof_before_a_finish_reason(frames: list[Frame]) -> None:
    mapper = GeminiMapper("gemini")
    for frame in frames:
        mapper.feed(frame)
    with pytest.raises(StreamInterruptedError) as caught:
        mapper.finish()
    assert caught.value.body_started


# -- request bodies --------------------------------------------------------------------------


def _body(messages: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    request = {"model": "gemini-2.5-flash", "messages": messages, **fields}
    return dict(build_body(LLMRequest.model_validate(request)))


_HI: list[dict[str, Any]] = [{"role": "user", "content": "hi"}]
_WEATHER = {"type": "object", "properties": {"city": {"type": "string"}}}


def test_request_body_for_a_whole_conversation() -> None:
    # signatures are base64, as real ones are (the API refuses any other thoughtSignature)
    images = [
        {"type": "image", "data": "QUJD", "media_type": "image/jpeg"},
        {"type": "image", "url": "data:image/webp;base64,WFla"},
        {"type": "image", "url": "gs://bucket/cat.png", "media_type": "image/png"},
    ]
    calls = [
        {"id": "c1", "name": "weather", "arguments": {"city": "Paris"}, "signature": "U0lHLUMx"},
        {"id": "c2", "name": "time", "raw_arguments": '{"tz": "CET"}'},
    ]
    signed = [
        {"signature": "ANT", "provider": "anthropic"},
        {"signature": "VA=="},
        {"signature": "Mg=="},
    ]
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "Look:"}, *images]},
        {"role": "assistant", "content": "Checking.", "tool_calls": calls, "reasoning": signed},
        {"role": "tool", "tool_call_id": "c1", "content": '{"temp": 21}'},
        {"role": "tool", "tool_call_id": "c2", "name": "time", "content": "boom", "is_error": True},
        {"role": "assistant", "content": "Done.", "reasoning": signed},
        {"role": "user", "content": "Thanks"},
    ]
    tools = [
        {"name": "weather", "description": "Weather now", "parameters": _WEATHER},
        {"name": "time"},
    ]
    options = {"max_tokens": 100, "temperature": 0.2, "top_p": 0.9, "stop": ["END"]}
    body = _body(
        messages, tools=tools, tool_choice="auto", reasoning={"budget_tokens": 64}, **options
    )
    assert body["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    user, assistant, results, answer, thanks = body["contents"]
    assert user == {
        "role": "user",
        "parts": [
            {"text": "Look:"},
            {"inlineData": {"mimeType": "image/jpeg", "data": "QUJD"}},
            {"inlineData": {"mimeType": "image/webp", "data": "WFla"}},
            {"fileData": {"fileUri": "gs://bucket/cat.png", "mimeType": "image/png"}},
        ],
    }
    weather = {"name": "weather", "args": {"city": "Paris"}, "id": "c1"}
    assert assistant == {
        "role": "model",
        "parts": [
            {"text": "Checking."},
            {"functionCall": weather, "thoughtSignature": "U0lHLUMx"},
            {"functionCall": {"name": "time", "args": {"tz": "CET"}, "id": "c2"}},
        ],
    }
    assert results["role"] == "user"
    assert [part["functionResponse"] for part in results["parts"]] == [
        {"name": "weather", "id": "c1", "response": {"result": {"temp": 21}}},
        {"name": "time", "id": "c2", "response": {"error": "boom"}},
    ]
    assert answer == {"role": "model", "parts": [{"text": "Done.", "thoughtSignature": "VA=="}]}
    assert thanks == {"role": "user", "parts": [{"text": "Thanks"}]}
    (declarations,) = body["tools"]
    assert declarations["functionDeclarations"] == [
        {"name": "weather", "description": "Weather now", "parameters": _WEATHER},
        {"name": "time", "parameters": {"type": "object", "properties": {}}},
    ]
    assert body["toolConfig"] == {"functionCallingConfig": {"mode": "AUTO"}}
    assert body["generationConfig"] == {
        "maxOutputTokens": 100,
        "temperature": 0.2,
        "topP": 0.9,
        "stopSequences": ["END"],
        "thinkingConfig": {"includeThoughts": True, "thinkingBudget": 64},
    }


@pytest.mark.parametrize(
    ("choice", "config"),
    [
        ("none", {"mode": "NONE"}),
        ("required", {"mode": "ANY"}),
        ("weather", {"mode": "ANY", "allowedFunctionNames": ["weather"]}),
    ],
)
def test_tool_choice(choice: str, config: dict[str, Any]) -> None:
    assert _body(_HI, tool_choice=choice)["toolConfig"] == {"functionCallingConfig": config}


def test_effort_and_hidden_thoughts() -> None:
    body = _body(_HI, reasoning={"effort": "low", "include_thoughts": False})
    assert body == {
        "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
        "generationConfig": {"thinkingConfig": {"includeThoughts": False, "thinkingLevel": "low"}},
    }


def test_a_tool_result_without_a_known_name_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="nowhere"):
        _body([*_HI, {"role": "tool", "tool_call_id": "nowhere", "content": "1"}])


# -- over HTTP -------------------------------------------------------------------------------


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return next((value for key, value in headers.items() if key.lower() == name), None)


async def test_json_array_and_sse_bodies_through_the_client() -> None:
    wanted = "llm-gemini/test_tools_with_nested_pydantic_models#0"
    entry = real_streams.by_id(wanted)
    data = real_streams.body(entry)
    responses = []
    async with FaultServer() as server:
        server.script(
            Reply(body=data, content_type="application/json; charset=UTF-8", chunks="drip"),
            Reply(body=_as_sse(real_streams.frames(data, json_array=True)), chunks=[7, 100, 1001]),
        )
        for sse in (False, True):
            async with LLMClient(
                provider="gemini",
                api_key="k-secret",
                base_url=server.url,
                model="models/gemini-flash-latest",
                max_retries=0,
                options={"sse": sse},
            ) as client:
                responses.append(await client.call("Add Alice"))
    # The same response whatever the framing; only the headers differ (content type, date).
    framed = [response.model_dump(exclude={"headers"}) for response in responses]
    assert framed[0] == framed[1]
    _assert_expected(responses[0], entry["expected"])
    for seen, sse in zip(server.requests, (False, True), strict=True):
        assert seen.path == "/v1beta/models/gemini-flash-latest:streamGenerateContent"
        assert seen.query == ({"alt": "sse"} if sse else {})
        assert _header(seen.headers, "x-goog-api-key") == "k-secret"
        assert _header(seen.headers, "accept") == (
            "text/event-stream" if sse else "application/json"
        )
        assert json.loads(seen.body)["contents"] == [
            {"role": "user", "parts": [{"text": "Add Alice"}]}
        ]


async def test_in_stream_error_over_http_raises_with_the_partial_response() -> None:
    error = {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED"}}
    async with FaultServer() as server:
        server.script(Reply(body=_as_sse([_frame({"text": "par"}), _raw(error)])))
        async with LLMClient(
            provider="gemini", model="m", api_key="k", base_url=server.url
        ) as client:
            with pytest.raises(RateLimitError) as caught:
                await client.call("hi")
    assert caught.value.retryable and caught.value.partial is not None
    assert caught.value.partial.text == "par"


def test_keys_urls_and_models(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    with pytest.raises(MissingAPIKeyError, match="GEMINI_API_KEY or GOOGLE_API_KEY"):
        LLMClient(provider="gemini")
    monkeypatch.setenv("GOOGLE_API_KEY", "g-key")
    monkeypatch.setenv("GEMINI_BASE_URL", "http://proxy.test/")
    adapter = GeminiAdapter()
    assert adapter.headers("g-key") == {"x-goog-api-key": "g-key"}
    assert "g-key" not in repr(adapter)
    request = LLMRequest.model_validate({"model": "gemini-2.5-flash", "messages": _HI})
    assert adapter.url(request) == (
        "http://proxy.test/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    )
    with pytest.raises(ConfigurationError, match="model"):
        adapter.url(request.model_copy(update={"model": None}))


def _proved(element: str) -> Frame:
    """A frame as the JSON array's decoder hands it out: proved, with its reading."""
    return Frame(data=element, parsed=parse_frame(element.encode()))


def test_the_mapper_reads_what_the_decoder_parsed_and_parses_only_the_rest() -> None:
    first = _proved(json.dumps({"modelVersion": "gemini-x", "responseId": "r1"}))
    element = json.dumps(
        {"candidates": [{"content": {"parts": [{"text": "parsed once"}]}, "finishReason": "STOP"}]}
    )
    # A later frame the decoder proved carries the adapter's own reading of it, used as is.
    proved = _proved(element)
    stale = Frame(data=element.replace("parsed once", "read again"), parsed=proved.parsed)
    chunks = _map([first, stale])
    assert [c.text for c in chunks if isinstance(c, ContentChunk)] == ["parsed once"]
    # The first frame is read whole again: the decoder's reading leaves out the response's
    # id and model, which later frames repeat and nothing reads after the first.
    assert isinstance(chunks[0], StartChunk)
    assert (chunks[0].model, chunks[0].id) == ("gemini-x", "r1")
    # A frame without it (SSE, or redacted) is parsed from its data.
    chunks = _map([first, Frame(data=stale.data)])
    assert [c.text for c in chunks if isinstance(c, ContentChunk)] == ["read again"]
    assert GeminiAdapter.parse_element is parse_frame


def test_later_frames_skip_the_fields_nothing_reads_and_check_the_rest() -> None:
    def frame(**fields: object) -> Frame:
        parts = [{"text": "hi"}]
        return Frame(data=json.dumps({"candidates": [{"content": {"parts": parts}}], **fields}))

    start = frame(modelVersion="gemini-x", responseId="r1")
    usage = {"promptTokenCount": 3, "candidatesTokenCount": 2, "promptTokensDetails": "bad"}
    # Wrongly typed, in a later frame: the id and model again, the usage breakdown, a safety
    # rating; none of them read, so none of them checked (as with an unknown field).
    unread = frame(modelVersion=5, responseId=[], usageMetadata=usage)
    unread_candidate = Frame(
        data=json.dumps(
            {
                "candidates": [
                    {
                        "content": {"parts": [{"text": "!"}], "role": 7},
                        "safetyRatings": "x",
                        "finishReason": "STOP",
                    }
                ]
            }
        )
    )
    chunks = _map([start, unread, unread_candidate])
    assert "".join(c.text for c in chunks if isinstance(c, ContentChunk)) == "hihi!"
    stop = chunks[-1]
    assert isinstance(stop, StopChunk) and stop.usage is not None
    assert (stop.usage.input_tokens, stop.usage.output_tokens) == (3, 2)
    # The same fields are checked in the first frame, and what is read is checked in any.
    with pytest.raises(MalformedStreamError):
        _map([frame(modelVersion=5)])
    with pytest.raises(MalformedStreamError):
        _map([start, frame(usageMetadata={"promptTokenCount": "three"})])


async def test_a_burst_of_json_array_elements_before_a_reset_all_reach_the_partial() -> None:
    # The decoder hands a read's elements out a few at a time (JSONArrayDecoder.pending): the
    # ones it still holds when the connection breaks come out before the error, whose partial
    # response has them all.
    elements = [
        json.dumps({"candidates": [{"content": {"parts": [{"text": f"w{i} "}]}}]}, indent=2)
        for i in range(100)
    ]
    body = ("[" + "\n,\r\n".join(elements) + "\n,\r\n{").encode()
    async with FaultServer() as server:
        server.script(Reply(body=body, content_type="application/json", reset_after=len(body)))
        async with LLMClient(
            provider="gemini",
            model="m",
            api_key="k",
            base_url=server.url,
            options={"sse": False},
        ) as client:
            with pytest.raises(StreamInterruptedError) as caught:
                await client.call("hi")
    assert caught.value.partial is not None
    assert caught.value.partial.text == "".join(f"w{i} " for i in range(100))

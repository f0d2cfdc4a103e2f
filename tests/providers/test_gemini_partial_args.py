"""Gemini 3 streamed call arguments (``partialArgs``): one call, argument text that is the JSON
of its arguments however it was cut, read by the mapper alone, over HTTP and from the emulator."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rillet import (
    LLMClient,
    MalformedStreamError,
    StreamChunk,
    StreamingLLMResponse,
    ToolCallChunk,
    ToolCallEndChunk,
    ToolCallStartChunk,
)
from rillet.emulator import Emulator
from rillet.emulator.scenarios import PARALLEL
from rillet.providers.gemini._mapper import GeminiMapper
from rillet.providers.gemini._partial_args import parse_json_path
from rillet.transport import Frame

_STREAM_ARGUMENTS = {"toolConfig": {"functionCallingConfig": {"streamFunctionCallArguments": True}}}


def _frame(*parts: dict[str, Any], finish: str | None = None) -> Frame:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": list(parts)}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    return Frame(data=json.dumps({"candidates": [candidate]}, ensure_ascii=False))


def _call(*partial: dict[str, Any], more: bool = True, **fields: Any) -> dict[str, Any]:
    call: dict[str, Any] = dict(fields)
    if partial:
        call["partialArgs"] = list(partial)
    if more:
        call["willContinue"] = True
    return {"functionCall": call}


def _map(frames: list[Frame]) -> list[StreamChunk]:
    mapper = GeminiMapper("gemini")
    chunks = [chunk for frame in frames for chunk in mapper.feed(frame)]
    return chunks + list(mapper.finish())


def _texts(chunks: list[StreamChunk]) -> dict[int | None, str]:
    out: dict[int | None, str] = {}
    for chunk in chunks:
        if isinstance(chunk, ToolCallChunk):
            out[chunk.index] = out.get(chunk.index, "") + chunk.arguments_delta
    return out


_ARGS = {
    "city": 'Zürich "old" town\n',
    "stops": [{"name": "a", "minutes": 3}, {"name": "b", "minutes": 2.5}],
    "flags": {"fast": True, "scenic": False, "note": None},
}
_STREAMED = [
    _frame({**_call(name="route", id="c-1"), "thoughtSignature": "SIG"}),
    _frame(_call({"jsonPath": "$.city", "stringValue": 'Zürich "ol', "willContinue": True})),
    _frame(_call({"jsonPath": "$.city", "stringValue": 'd" town\n'})),
    _frame(
        _call(
            {"jsonPath": "$.stops[0].name", "stringValue": "a"},
            {"jsonPath": "$.stops[0].minutes", "numberValue": 3},
            {"jsonPath": "$.stops[1]['name']", "stringValue": "b"},
        )
    ),
    _frame(_call({"jsonPath": '$.stops[1]["minutes"]', "numberValue": 2.5})),
    _frame(
        _call(
            {"jsonPath": "$.flags.fast", "boolValue": True},
            {"jsonPath": "$.flags.scenic", "boolValue": False},
            {"jsonPath": "$.flags.note", "nullValue": "NULL_VALUE"},
        )
    ),
    _frame({"functionCall": {}}, finish="STOP"),
]


def test_a_streamed_call_is_one_call_whose_text_is_its_arguments() -> None:
    chunks = _map(_STREAMED)
    calls = [c for c in chunks if c.type.startswith("tool_call")]
    assert [c.type for c in calls].count("tool_call_start") == 1
    assert [c.type for c in calls].count("tool_call_end") == 1
    start, end = calls[0], calls[-1]
    assert isinstance(start, ToolCallStartChunk) and isinstance(end, ToolCallEndChunk)
    assert (start.index, start.id, start.name, start.signature) == (0, "c-1", "route", "SIG")
    assert (end.index, end.id) == (0, "c-1")
    # The very text a whole ``args`` would give: compact, in path order, 3.0 written as 3.
    compact = json.dumps(_ARGS, ensure_ascii=False, separators=(",", ":"))
    assert _texts(chunks) == {0: compact}
    response = StreamingLLMResponse.from_chunks(chunks)
    assert [(c.id, c.name, c.arguments) for c in response.tool_calls] == [("c-1", "route", _ARGS)]
    assert response.tool_calls[0].raw_arguments == compact
    assert response.finish_reason == "tool_calls"


def test_the_same_as_the_whole_args_form() -> None:
    whole = _frame({"functionCall": {"name": "route", "id": "c-1", "args": _ARGS}}, finish="STOP")
    streamed = StreamingLLMResponse.from_chunks(_map(_STREAMED))
    assert StreamingLLMResponse.from_chunks(_map([whole])).tool_calls[0].model_dump(
        exclude={"signature"}
    ) == streamed.tool_calls[0].model_dump(exclude={"signature"})


def test_an_open_string_is_sent_before_its_end_arrives() -> None:
    mapper = GeminiMapper("gemini")
    mapper.feed(_STREAMED[0])
    first = mapper.feed(_STREAMED[1])
    assert [(c.type, getattr(c, "arguments_delta", None)) for c in first] == [
        ("tool_call_chunk", '{"city":"Zürich \\"ol')
    ]
    second = mapper.feed(_STREAMED[2])
    assert [getattr(c, "arguments_delta", None) for c in second] == ['d\\" town\\n"']


@pytest.mark.parametrize(
    ("ending", "expected"),
    [
        ([_frame(_call({"jsonPath": "$.q", "stringValue": "z"}, more=False))], {"q": "yz"}),
        # no end part: a new call, or the end of the stream, ends it (the open string too)
        ([_frame({"functionCall": {"name": "next", "args": {"n": 1}}})], {"q": "y"}),
        ([], {"q": "y"}),
    ],
    ids=["last-part-without-willContinue", "a-new-call", "the-stream-ends"],
)
def test_what_ends_a_streamed_call(ending: list[Frame], expected: dict[str, Any]) -> None:
    frames = [
        _frame(_call(name="find")),
        _frame(_call({"jsonPath": "$.q", "stringValue": "y", "willContinue": True})),
        *ending,
        _frame({"text": ""}, finish="STOP"),
    ]
    chunks = _map(frames)
    starts = [c.index for c in chunks if isinstance(c, ToolCallStartChunk)]
    assert starts == [c.index for c in chunks if isinstance(c, ToolCallEndChunk)]
    response = StreamingLLMResponse.from_chunks(chunks)
    assert response.tool_calls[0].name == "find"
    assert response.tool_calls[0].arguments == expected
    assert [c.name for c in response.tool_calls[1:]] == (["next"] if len(starts) == 2 else [])
    assert chunks[-1].type == "stop"


def test_calls_in_a_row_and_a_stray_end_part() -> None:
    frames = [
        _frame({"functionCall": {}}),  # nothing open: skipped, not a nameless call
        _frame(_call(name="a")),
        _frame({"functionCall": {"willContinue": False}}),  # no arguments at all
        _frame(_call(name="b"), _call({"jsonPath": "$.x[0]", "numberValue": -1e300})),
        _frame(_call({"jsonPath": "$.x[1]", "numberValue": 0.1}), {"functionCall": {}}),
        _frame({"functionCall": {"name": "c", "args": {"k": "v"}}}, finish="STOP"),
    ]
    response = StreamingLLMResponse.from_chunks(_map(frames))
    assert [(c.name, c.arguments) for c in response.tool_calls] == [
        ("a", {}),
        ("b", {"x": [-1e300, 0.1]}),
        ("c", {"k": "v"}),
    ]
    assert len({c.id for c in response.tool_calls}) == 3


@pytest.mark.parametrize(
    "path", ["a.b", "$", "$.", "$[x]", "$['a]", "$.a[-1]", '$["\\q"]', "$..a", "$.a*"]
)
def test_an_unreadable_json_path_is_a_malformed_stream(path: str) -> None:
    frames = [_frame(_call(name="f")), _frame(_call({"jsonPath": path, "boolValue": True}))]
    with pytest.raises(MalformedStreamError, match="jsonPath"):
        _map(frames)


@pytest.mark.parametrize(
    ("first", "then"), [("$.a[0]", "$.a.b"), ("$.a.b", "$.a[0]")], ids=["name-in-array", "index"]
)
def test_a_path_that_contradicts_the_open_container_is_malformed(first: str, then: str) -> None:
    frames = [
        _frame(_call(name="f")),
        _frame(_call({"jsonPath": first, "boolValue": True}, {"jsonPath": then, "nullValue": "N"})),
    ]
    with pytest.raises(MalformedStreamError, match="partialArgs path"):
        _map(frames)


def test_json_path_forms() -> None:
    assert parse_json_path("$.a.b[0].c") == ("a", "b", 0, "c")
    assert parse_json_path("$['a b'][12]['it\\'s \"q\"']") == ("a b", 12, 'it\'s "q"')
    assert parse_json_path('$["x\\"y\\u00e9"].z_1') == ('x"yé', "z_1")


# -- any arguments, cut anywhere ---------------------------------------------------------------

_SCALARS = (
    st.text(max_size=12)
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.booleans()
    | st.none()
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, min_size=1, max_size=4)
        | st.dictionaries(st.text(max_size=6), inner, min_size=1, max_size=4)
    ),
    max_leaves=20,
)
_ARGUMENTS = st.dictionaries(st.text(max_size=6), _VALUES, max_size=5)


def _entries(path: str, value: Any, cut: int) -> list[dict[str, Any]]:
    """``value``'s ``partialArgs`` entries, member names as ``["name"]``, strings cut at ``cut``."""
    if isinstance(value, dict):
        return [e for k, v in value.items() for e in _entries(f"{path}[{json.dumps(k)}]", v, cut)]
    if isinstance(value, list):
        return [e for n, v in enumerate(value) for e in _entries(f"{path}[{n}]", v, cut)]
    if isinstance(value, str):
        pieces = [value[i : i + cut] for i in range(0, len(value), cut)] or [""]
        return [
            {"jsonPath": path, "stringValue": piece, "willContinue": n < len(pieces) - 1}
            for n, piece in enumerate(pieces)
        ]
    if isinstance(value, bool):
        return [{"jsonPath": path, "boolValue": value}]
    if value is None:
        return [{"jsonPath": path, "nullValue": "NULL_VALUE"}]
    return [{"jsonPath": path, "numberValue": value}]


@settings(max_examples=150, deadline=None)
@given(arguments=_ARGUMENTS, cut=st.integers(1, 5), per_part=st.integers(1, 4))
def test_any_arguments_cut_anywhere_read_back_equal(
    arguments: dict[str, Any], cut: int, per_part: int
) -> None:
    entries = _entries("$", arguments, cut)
    groups = [entries[i : i + per_part] for i in range(0, len(entries), per_part)]
    frames = [
        _frame(_call(name="f")),
        *(_frame(_call(*group)) for group in groups),
        _frame({"functionCall": {}}, finish="STOP"),
    ]
    chunks = _map(frames)
    assert json.loads(_texts(chunks)[0]) == arguments
    (call,) = StreamingLLMResponse.from_chunks(chunks).tool_calls
    assert call.arguments == arguments


# -- from the emulator, through the client -----------------------------------------------------


async def test_the_emulator_streams_partial_args_when_asked(no_leaks: None) -> None:
    responses, deltas = [], []
    async with Emulator() as emulator:
        url, key = emulator.base_url("gemini"), emulator.api_key
        client = LLMClient(provider="gemini", base_url=url, api_key=key, max_retries=0)
        async with client:
            for options in (_STREAM_ARGUMENTS, {}):
                stream = client.stream("Go", model="tool-calls-parallel", provider_options=options)
                async with stream:
                    chunks = [chunk async for chunk in stream]
                    responses.append(await stream.get_response())
                deltas.append(sum(isinstance(c, ToolCallChunk) and c.index == 0 for c in chunks))
        sent = [json.loads(request.body) for request in emulator.requests]
    assert sent[0]["toolConfig"] == _STREAM_ARGUMENTS["toolConfig"]
    assert "toolConfig" not in sent[1]
    streamed, whole = responses
    assert deltas == [4, 1]  # '{"query":"say \"hi\"', ' to café"', ',"limit":10', '}' / whole
    assert [(c.name, c.arguments) for c in streamed.tool_calls] == [
        (spec.name, spec.arguments) for spec in PARALLEL
    ]
    assert [c.arguments for c in streamed.tool_calls] == [c.arguments for c in whole.tool_calls]
    assert streamed.finish_reason == whole.finish_reason == "tool_calls"

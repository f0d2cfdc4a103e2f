"""The JSON-array splitter alone: strings, escapes, nesting, and every way to split."""

from __future__ import annotations

import json
import re
from collections import Counter
from itertools import combinations, pairwise

import pytest

from rillet import EventTooLargeError, MalformedStreamError
from rillet.transport import Frame, JSONArrayDecoder, _json_array
from rillet.transport._sse import DEFAULT_MAX_EVENT_BYTES


def elements(
    body: bytes, cuts: tuple[int, ...] = (), max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES
) -> list[str]:
    decoder = JSONArrayDecoder(max_event_bytes)
    events: list[Frame] = []
    bounds = [0, *cuts, len(body)]
    for start, end in pairwise(bounds):
        events += decoder.feed(body[start:end])
    events += decoder.flush()
    assert all(event.event == "message" for event in events)
    return [event.data for event in events]


def assert_every_split(body: bytes, expected: list[str], pairs: bool = True) -> None:
    positions = range(1, len(body))
    assert elements(body) == expected
    for cut in positions:
        assert elements(body, (cut,)) == expected, f"cut at {cut}"
    if pairs:
        for cut_pair in combinations(positions, 2):
            assert elements(body, cut_pair) == expected, f"cuts at {cut_pair}"
    assert elements(body, tuple(positions)) == expected


def test_tricky_strings_and_nesting() -> None:
    body = rb'[{"a": "x\"]}[,", "b": [1, {"c": "\\"}]}, "s\\\"", 3, [], {}, null]'
    expected = [
        r'{"a": "x\"]}[,", "b": [1, {"c": "\\"}]}',
        r'"s\\\""',
        "3",
        "[]",
        "{}",
        "null",
    ]
    assert_every_split(body, expected, pairs=False)
    assert [json.loads(e) for e in expected] == json.loads(body)


def test_pretty_printed_gemini_shape_with_crlf() -> None:
    body = b'[{\n  "candidates": [\n    {"text": "a, b]"}\n  ]\n}\n,\r\n{\n  "x": 1\n}\n]'
    expected = ['{\n  "candidates": [\n    {"text": "a, b]"}\n  ]\n}', '{\n  "x": 1\n}']
    assert_every_split(body, expected)


@pytest.mark.parametrize("text", ["é", "𝄞", "日本", "\\u00e9 and 🙂"])
def test_multibyte_split_everywhere(text: str) -> None:
    body = f'[{{"t": "{text}"}}, "{text}"]'.encode()
    assert_every_split(body, [f'{{"t": "{text}"}}', f'"{text}"'])


def test_element_is_yielded_as_soon_as_complete() -> None:
    decoder = JSONArrayDecoder()
    # Gemini sends the comma with the next element: the first must not wait for it.
    assert decoder.feed(b'[{"a": 1}') == [Frame(data='{"a": 1}')]
    assert decoder.feed(b',\r\n{"b": ') == []
    assert decoder.feed(b"2}") == [Frame(data='{"b": 2}')]
    assert decoder.feed(b'\n, "s') == []
    assert decoder.feed(b'"') == [Frame(data='"s"')]
    assert decoder.feed(b", 12") == []  # a number may go on
    assert decoder.feed(b"3\n") == []
    assert decoder.feed(b"]") == [Frame(data="123")]
    assert decoder.flush() == []


def test_invalid_json_elements_pass_through_as_text() -> None:
    # Validation is the adapter's job; the splitter only needs the structure.
    body = b'[{"a": x}, {"b": 1}, tru, 1 2, {"c": "\xff"}]'
    expected = ['{"a": x}', '{"b": 1}', "tru", "1 2", '{"c": "\ufffd"}']
    assert_every_split(body, expected, pairs=False)


@pytest.mark.parametrize("body", [b"[{}{}]", b'[{} "a"]', b"[{} 1]", b'["a" {}]', b'["a" x]'])
def test_elements_without_a_comma_are_malformed(body: bytes) -> None:
    for cut in range(1, len(body)):
        with pytest.raises(MalformedStreamError):
            elements(body, (cut,))


def test_empty_array_and_empty_body() -> None:
    assert elements(b"[]") == []
    assert elements(b"  [ \n ]  \n") == []
    assert elements(b"") == []
    assert elements(b"  \n") == []


def test_single_object_body_is_one_element() -> None:
    body = b'{"error": {"code": 400, "message": "bad [request]"}}\n'
    assert_every_split(body, [body.strip().decode()], pairs=False)


def test_bom_before_the_array() -> None:
    assert elements(b'\xef\xbb\xbf[{"a": 1}]') == ['{"a": 1}']
    # Found by the fuzzer: a BOM waiting alone for the "[" is not an element, whatever the limit.
    body = b"\xef\xbb\xbf[{}]"
    assert elements(body, tuple(range(1, len(body))), max_event_bytes=2) == ["{}"]


def test_missing_closing_bracket_keeps_the_last_complete_element() -> None:
    assert elements(b'[{"a": 1}, {"b": 2}') == ['{"a": 1}', '{"b": 2}']


def test_eof_inside_an_element_is_malformed() -> None:
    decoder = JSONArrayDecoder()
    assert decoder.feed(b'[{"a": 1}, {"b": "tru') == [Frame(data='{"a": 1}')]
    with pytest.raises(MalformedStreamError):
        decoder.flush()


@pytest.mark.parametrize("body", [b"[,1]", b"[1,,2]", b"[1,]", b"[1]x", b"[1}"])
def test_malformed_arrays(body: bytes) -> None:
    with pytest.raises(MalformedStreamError):
        elements(body)


def test_bytes_after_the_array_in_a_later_chunk() -> None:
    decoder = JSONArrayDecoder()
    decoder.feed(b"[1]\n")
    assert decoder.feed(b"  \r\n") == []
    with pytest.raises(MalformedStreamError):
        decoder.feed(b"[2]")


def test_max_event_bytes() -> None:
    with pytest.raises(EventTooLargeError):
        elements(b'[{"a": "' + b"x" * 200 + b'"}]', max_event_bytes=100)
    with pytest.raises(EventTooLargeError):
        elements(b'[{"a": "' + b"x" * 200 + b'"}]', tuple(range(1, 100)), max_event_bytes=100)
    with pytest.raises(EventTooLargeError):
        elements(b'{"a": "' + b"x" * 200 + b'"}', max_event_bytes=100)
    assert len(elements(b"[" + b"1," * 500 + b"1]", max_event_bytes=10)) == 501


def test_long_string_in_many_chunks() -> None:
    decoder = JSONArrayDecoder()
    assert decoder.feed(b'[{"t": "') == []
    for _ in range(64):
        assert decoder.feed(b'ab\\\\cd\\"' * 8192) == []
    out = decoder.feed(b'"}]')
    assert len(out) == 1
    assert len(json.loads(out[0].data)["t"]) == 64 * 8192 * 6


def test_backslash_at_chunk_end() -> None:
    # Pairs of cuts too: a read holding only the backslash of an escape inside a string.
    body = b'["a\\"b", "c\\\\", "d"]'
    assert_every_split(body, ['"a\\"b"', '"c\\\\"', '"d"'])


def test_max_event_bytes_must_be_positive_and_is_an_inclusive_limit() -> None:
    with pytest.raises(ValueError, match=r"^max_event_bytes must be positive$"):
        JSONArrayDecoder(max_event_bytes=0)
    assert elements(b"[1]", max_event_bytes=1) == ["1"]
    assert elements(b'{"a":"xx"}', max_event_bytes=10) == ['{"a":"xx"}']  # exactly the limit
    with pytest.raises(EventTooLargeError, match=r"max_event_bytes=10 \(11 bytes so far\)$"):
        elements(b'{"a":"xxx"}', max_event_bytes=10)


def test_a_last_bare_scalar_without_its_closing_bracket() -> None:
    assert_every_split(b"[1, true, 2.5", ["1", "true", "2.5"])
    assert elements(b"[1, 2\xff") == ["1", "2\ufffd"]
    assert elements(b"[1, 2\xff, 3]") == ["1", "2\ufffd", "3"]


def test_eof_inside_an_object_outside_any_string_is_malformed() -> None:
    decoder = JSONArrayDecoder()
    decoder.feed(b'[{"a": 1')
    with pytest.raises(MalformedStreamError, match=r"^the JSON array ended inside an element$"):
        decoder.flush()


def test_only_json_whitespace_may_follow_the_array() -> None:
    decoder = JSONArrayDecoder()
    decoder.feed(b"[1]")
    with pytest.raises(MalformedStreamError, match=r"^bytes after the end of the JSON array$"):
        decoder.feed(b"\x0c")


def test_eof_inside_a_top_level_string_is_malformed() -> None:
    for body in (b'["abc', b'["abc\\"', b'[1, "de'):
        for cut in range(1, len(body) + 1):
            decoder = JSONArrayDecoder()
            decoder.feed(body[:cut])
            decoder.feed(body[cut:])
            with pytest.raises(MalformedStreamError):
                decoder.flush()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'[1,{\n"a": 1\n}]', ["1", '{\n"a": 1\n}']),
        (b'["s",{\n"a": 1\n}\n,\r\n{\n"b": 2\n}]', ['"s"', '{\n"a": 1\n}', '{\n"b": 2\n}']),
        (b'[true, {"a": 1}]', ["true", '{"a": 1}']),
    ],
)
def test_no_element_before_an_object_is_skipped(body: bytes, expected: list[str]) -> None:
    assert_every_split(body, expected)


@pytest.mark.parametrize("body", [b'[x{"a": 1}]', b'[x{\n"a": 1\n}]', b'[1, x{"a": 1}]', b"[x[1]]"])
def test_bytes_before_an_element_are_malformed(body: bytes) -> None:
    for cut in range(1, len(body)):
        with pytest.raises(MalformedStreamError):
            elements(body, (cut,))
    with pytest.raises(MalformedStreamError):
        elements(body)


ONE_OF_EACH = {
    "pretty object (the layout scanner)": '{\n  "t": "xxxxxxxxxxxxxxxxxxxx"\n}',
    "compact object (the C scanner)": '{"t": "xxxxxxxxxxxxxxxxxxxx"}',
    "string": '"xxxxxxxxxxxxxxxxxxxx"',
    "number": "12345678901234567890",
    "array": '["xxxxxxxxxxxxxxxxxxxx"]',
    "compact object, non-ASCII": '{"t": "ééééééééé€"}',
    "string, non-ASCII": '"ééééééééé€"',
}


@pytest.mark.parametrize("kind", list(ONE_OF_EACH))
def test_an_element_of_exactly_max_event_bytes_passes_one_more_byte_does_not(kind: str) -> None:
    element = ONE_OF_EACH[kind]
    body = f"[{element},\n{element}]".encode()
    limit = len(element.encode())  # bytes, not characters
    for cuts in [(), (1,), (len(body) // 2,), tuple(range(1, len(body)))]:  # whole, split, drip
        assert elements(body, cuts, max_event_bytes=limit) == [element] * 2, f"cuts {cuts}"
        with pytest.raises(EventTooLargeError):
            elements(body, cuts, max_event_bytes=limit - 1)


def test_elements_the_layout_scanner_finds_are_size_checked() -> None:
    small, big = '{\n  "t": "y"\n}', '{\n  "t": "' + "x" * 100 + '"\n}'
    body = f"[{small}\n,\r\n{big}\n,\r\n{small}]".encode()
    decoder = JSONArrayDecoder(max_event_bytes=50)
    with pytest.raises(EventTooLargeError):
        decoder.feed(body)  # one read holds all three: each is checked, not only what is left
    assert elements(body, max_event_bytes=200) == [small, big, small]


def test_bytes_before_an_element_give_the_same_error_whatever_the_split() -> None:
    # Found by the JSON-array fuzzer: the gap was judged malformed whole, too large when dripped.
    body = b"[\x00\x00["
    for cuts in [(), (1,), (1, 2, 3)]:
        with pytest.raises(EventTooLargeError):
            elements(body, cuts, max_event_bytes=1)
        with pytest.raises(MalformedStreamError, match="unexpected bytes before"):
            elements(body, cuts, max_event_bytes=10)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[1}", "unbalanced '}' in a JSON array"),
        (b'[{"a": 1}}]', "unbalanced '}' in a JSON array"),
        (b"[,1]", "empty element in a JSON array"),
        (b"[1,,2]", "empty element in a JSON array"),
        (b"[1,]", "empty element in a JSON array"),
        (b'[{"a": 1} x]', "unexpected bytes after a JSON array element"),
        (b'[{"a": 1} x{"b": 2}]', "unexpected bytes after a JSON array element"),
        (b'[{"a": 1} x', "unexpected bytes after a JSON array element"),
        (b'[x{"a": 1}]', "unexpected bytes before a JSON array element"),
        (b'[X{"a": 1}]', "unexpected bytes before a JSON array element"),
        (b'[\x0c{"a": 1}]', "unexpected bytes before a JSON array element"),  # not JSON blank
        (b'[{\n"a": 1\n}\n,\x0c{\n"b": 2\n}]', "unexpected bytes before a JSON array element"),
        (b"[{}{}]", "two JSON array elements without a comma between them"),
        (b'[{\n"a": 1\n}{\n"b": 2\n}]', "two JSON array elements without a comma between them"),
        (b'[{"a": 1}]x', "bytes after the end of the JSON array"),
        (b"[1]x", "bytes after the end of the JSON array"),
    ],
)
def test_a_malformed_array_says_what_is_wrong_whatever_the_split(body: bytes, message: str) -> None:
    for cuts in [(), *((cut,) for cut in range(1, len(body)))]:
        with pytest.raises(MalformedStreamError, match=f"^{re.escape(message)}$"):
            elements(body, cuts)


def test_an_element_is_handed_out_before_the_junk_after_it_is_reported() -> None:
    decoder = JSONArrayDecoder()
    assert decoder.feed(b'[{"a": 1} x') == [Frame(data='{"a": 1}')]
    with pytest.raises(
        MalformedStreamError, match=r"^unexpected bytes after a JSON array element$"
    ):
        decoder.feed(b"]")


def test_a_read_hands_out_every_element_it_completes_after_a_bare_scalar() -> None:
    body = b'[1, "a", {"b": 2}, [3], "c", 4]'
    expected = ["1", '"a"', '{"b": 2}', "[3]", '"c"', "4"]
    decoder = JSONArrayDecoder()
    assert decoder.feed(body[:-1]) == [Frame(data=data) for data in expected[:-1]]
    assert decoder.feed(b"]") == [Frame(data="4")]
    assert_every_split(body, expected, pairs=False)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"[1\x0c, 2\x0c]", ["1\x0c", "2\x0c"]),
        (b"[1, 2\x0c", ["1", "2\x0c"]),
        (b'\x0c{"a": 1}\x0c', ['\x0c{"a": 1}\x0c']),
    ],
)
def test_only_json_blanks_are_trimmed_around_an_element(body: bytes, expected: list[str]) -> None:
    # A form feed is not JSON whitespace: it stays, so the adapter reports the element invalid.
    assert_every_split(body, expected, pairs=False)


@pytest.mark.parametrize("body", [b"X[1]", b"x[1]", b"\x0c[1]", b'"[1]"', b"null"])
def test_a_body_not_opening_with_a_bracket_is_one_element(body: bytes) -> None:
    assert_every_split(body, [body.decode()], pairs=False)


def test_a_single_body_loses_its_bom_and_blanks_and_replaces_invalid_utf8() -> None:
    body = b'\xef\xbb\xbf {"error": "\xff"}\r\n'
    assert_every_split(body, ['{"error": "\ufffd"}'], pairs=False)


@pytest.fixture
def scans(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often each scanner runs: layout proofs (pydantic-core), C scans (``raw_decode``, which
    builds Python objects), tokenizer passes (a Python loop per token)."""
    counts: Counter[str] = Counter()
    prove, scan_once, tokenize = (
        _json_array._ONE_OBJECT.validate_json,
        _json_array._SCAN_ONCE,
        JSONArrayDecoder._tokenize,
    )

    class CountingProver:
        def validate_json(self, data: bytes | bytearray) -> object:
            counts["proofs"] += 1
            return prove(data)

    def counting_scan(text: str, at: int) -> tuple[object, int]:
        counts["raw_decode"] += 1
        return scan_once(text, at)

    def counting_tokenize(self: JSONArrayDecoder, out: list[Frame]) -> bool:
        counts["tokenize"] += 1
        return tokenize(self, out)

    monkeypatch.setattr(_json_array, "_ONE_OBJECT", CountingProver())
    monkeypatch.setattr(_json_array, "_SCAN_ONCE", counting_scan)
    monkeypatch.setattr(JSONArrayDecoder, "_tokenize", counting_tokenize)
    return counts


GEMINI = [
    json.dumps({"candidates": [{"content": {"parts": [{"text": f"part {i}"}]}}]}, indent=2)
    for i in range(3)
]
NESTED = [json.dumps({"a": {"b": i}}, indent=0) for i in range(3)]  # "}" opens inner lines too


@pytest.mark.parametrize(
    ("chunks", "expected", "work"),
    [
        # Gemini's layout, as the API sends it (each element in its own read), or all at once.
        (
            ["[" + GEMINI[0], "\n,\r\n" + GEMINI[1], "\n,\r\n" + GEMINI[2], "\n]"],
            GEMINI,
            {"proofs": 3},
        ),
        (["[", GEMINI[0], "\n,\r\n" + "\n,\r\n".join(GEMINI[1:]) + "\n]"], GEMINI, {"proofs": 3}),
        (["[" + "\n,\r\n".join(GEMINI) + "\n]"], GEMINI, {"proofs": 3}),
        # A CR after an element: the brace just before it ends the element, not an inner one.
        (
            ["[" + "\n,\r\n".join(NESTED) + "\n,\r\n", '"s"]'],
            [*NESTED, '"s"'],
            {"proofs": 3, "raw_decode": 1},
        ),
        # Compact elements: the C scanner alone.
        (['[{"a": 1}, ["b"], "c"]'], ['{"a": 1}', '["b"]', '"c"'], {"raw_decode": 3}),
        # Where the proofs stop, the C scanner starts: no element is parsed twice.
        (
            ["[" + GEMINI[0] + "\n,\r\n" + GEMINI[1] + '\n, "s", {"b": 2}]'],
            [*GEMINI[:2], '"s"', '{"b": 2}'],
            {"proofs": 2, "raw_decode": 2},
        ),
        (
            ["[" + GEMINI[0] + '\n,\r\n{"b": 2}]'],
            [GEMINI[0], '{"b": 2}'],
            {"proofs": 1, "raw_decode": 1},
        ),
        (
            ["[" + GEMINI[0] + "\n,\r\n" + NESTED[0] + "]"],
            [GEMINI[0], NESTED[0]],
            {"proofs": 2, "raw_decode": 1},
        ),
    ],
)
def test_each_element_is_scanned_once_by_the_cheapest_scanner(
    scans: Counter[str], chunks: list[str], expected: list[str], work: dict[str, int]
) -> None:
    # Speed (the module doc): the scanners split the work, none redoes another's.
    decoder = JSONArrayDecoder()
    out = [frame for chunk in chunks for frame in decoder.feed(chunk.encode())]
    assert [frame.data for frame in out + decoder.flush()] == expected
    assert scans == Counter(work)


def test_a_stream_of_another_layout_stops_trying_the_layout_scanner(scans: Counter[str]) -> None:
    decoder = JSONArrayDecoder()
    decoder.feed(b"[")
    for i, element in enumerate(NESTED * 4):  # each read ends where no proof can succeed
        assert decoder.feed(((",\n" if i else "") + element).encode()) == [Frame(data=element)]
    assert scans["proofs"] == 4  # four misses, then no more proofs


def _frames_with(parse: _json_array.ElementParser, chunks: list[str]) -> list[Frame]:
    decoder = JSONArrayDecoder(parse_element=parse)
    frames = [frame for chunk in chunks for frame in decoder.feed(chunk.encode())]
    return frames + decoder.flush()


@pytest.mark.parametrize(
    "chunks",
    [
        ["[" + GEMINI[0], "\n,\r\n" + GEMINI[1], "\n,\r\n" + GEMINI[2], "\n]"],  # live reads
        ["[" + "\n,\r\n".join(GEMINI) + "\n]"],  # one read
    ],
)
def test_an_element_proved_by_the_adapters_parser_carries_what_it_parsed(
    chunks: list[str],
) -> None:
    calls: list[bytes] = []

    def parse(data: bytes | bytearray) -> object:
        calls.append(bytes(data))
        return {"parsed": json.loads(data)}

    frames = _frames_with(parse, chunks)
    assert [f.data for f in frames] == GEMINI
    assert [f.parsed for f in frames] == [{"parsed": json.loads(e)} for e in GEMINI]
    assert len(calls) == 3  # each element parsed once, by the adapter's parser
    # What was parsed is no part of the frame's value: equal to the frame without it.
    assert frames == [Frame("message", e) for e in GEMINI]


def _counting_parser(calls: list[bytes]) -> _json_array.ElementParser:
    def parse(data: bytes | bytearray) -> object:
        calls.append(bytes(data))
        return {"parsed": json.loads(data)}

    return parse


def test_a_burst_read_comes_out_a_few_parsed_elements_at_a_time() -> None:
    # What the parser built is held until the adapter reads it: a read of many elements comes
    # out at most _PARSED_PER_READ at a time (``pending``, then ``feed(b"")``), each parsed once.
    calls: list[bytes] = []
    elements = GEMINI * 20  # a 64 KiB read of Gemini's holds about 130
    first = _json_array._PARSED_PER_READ
    assert 0 < first < len(elements)
    decoder = JSONArrayDecoder(parse_element=_counting_parser(calls))
    batches = [decoder.feed(("[" + "\n,\r\n".join(elements)).encode())]
    while decoder.pending:
        batches.append(decoder.feed(b""))
    frames = [frame for batch in batches for frame in batch]
    assert [f.data for f in frames] == elements
    assert [f.parsed for f in frames] == [{"parsed": json.loads(e)} for e in elements]
    assert len(calls) == len(elements)  # each once
    assert [len(batch) for batch in batches if batch] == [
        min(first, len(elements) - start) for start in range(0, len(elements), first)
    ]
    assert decoder.feed(b"") == []  # nothing more until more bytes
    # The next read starts a new count: a live read's one element is parsed once, at once.
    (live,) = decoder.feed(("\n,\r\n" + GEMINI[0]).encode())
    assert live.parsed == {"parsed": json.loads(GEMINI[0])}


def test_elements_waiting_in_the_decoder_are_not_an_oversized_event_and_flush_hands_them_out() -> (
    None
):
    calls: list[bytes] = []
    elements = GEMINI * 20
    limit = max(len(e.encode()) for e in elements) + 8  # each fits; all of them do not
    decoder = JSONArrayDecoder(limit, parse_element=_counting_parser(calls))
    out = decoder.feed(("[" + "\n,\r\n".join(elements) + "\n]").encode())
    assert decoder.pending and len(out) < len(elements)
    out += decoder.flush()  # the end of the body: every element still waiting, then the end
    assert [f.data for f in out] == elements
    assert len(calls) == len(elements) and not decoder.pending


def test_an_element_the_adapters_parser_refuses_still_comes_out_whole_unparsed() -> None:
    def refuse(data: bytes | bytearray) -> object:
        return _json_array._ONE_OBJECT.validate_json(b"[]")  # a ValidationError: not an object

    chunks = ["[" + GEMINI[0], "\n,\r\n" + GEMINI[1], "\n]"]
    frames = _frames_with(refuse, chunks)
    assert [(f.data, f.parsed) for f in frames] == [(GEMINI[0], None), (GEMINI[1], None)]
    # Without a parser, frames carry nothing parsed (the pydantic-core proof builds nothing).
    plain = JSONArrayDecoder()
    assert [f.parsed for c in chunks for f in plain.feed(c.encode())] == [None, None]

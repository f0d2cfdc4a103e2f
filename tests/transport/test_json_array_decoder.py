"""The JSON-array splitter alone: strings, escapes, nesting, and every way to split."""

from __future__ import annotations

import json
from itertools import combinations, pairwise

import pytest

from rillet import EventTooLargeError, MalformedStreamError
from rillet.transport import Frame, JSONArrayDecoder


def elements(body: bytes, cuts: tuple[int, ...] = (), **kwargs: int) -> list[str]:
    decoder = JSONArrayDecoder(**kwargs)
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
    body = b'["a\\"b", "c\\\\", "d"]'
    for cut in range(1, len(body)):
        assert elements(body, (cut,)) == ['"a\\"b"', '"c\\\\"', '"d"']


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
}


@pytest.mark.parametrize("kind", list(ONE_OF_EACH))
def test_an_element_of_exactly_max_event_bytes_passes_one_more_byte_does_not(kind: str) -> None:
    element = ONE_OF_EACH[kind]
    body = f"[{element},\n{element}]".encode()
    limit = len(element)
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

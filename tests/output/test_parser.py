"""What a consumer of streamed JSON sees: events as the text arrives, a partial value that only
grows, values held back until whole, and typed errors that say where."""

from __future__ import annotations

import itertools

import pytest

from rillet.output._parser import IncompleteJSON, InvalidJSON, JSONStreamParser, OutputEvent


def _feed_all(parts: list[str]) -> tuple[JSONStreamParser, list[list[OutputEvent]]]:
    parser = JSONStreamParser()
    return parser, [parser.feed(part) for part in parts]


def test_string_fragments_arrive_as_they_come_and_end_done() -> None:
    parser, events = _feed_all(['{"name": "Ad', "a Love", 'lace"}'])
    assert events[1] == [OutputEvent(("name",), "a Love", False)]
    assert events[2][0] == OutputEvent(("name",), "lace", True)
    assert events[2][1].path == () and events[2][1].done
    assert parser.value == {"name": "Ada Lovelace"}
    assert parser.complete


def test_a_number_at_the_cut_is_held_back_until_whole() -> None:
    parser = JSONStreamParser()
    assert parser.feed('{"t": -3.5e')[1:] == []
    assert parser.value == {}  # the field shows only once its value is whole
    assert parser.feed("1") == []  # more digits may follow
    assert parser.feed(", ") == [OutputEvent(("t",), -35.0, True)]
    assert parser.value == {"t": -35.0}


def test_the_partial_value_only_grows() -> None:
    text = '{"items": [{"id": 1, "tags": ["a", "bc"]}, {"id": 22, "note": "x\\ny"}], "ok": true}'
    parser = JSONStreamParser()
    seen: list[str] = []
    for char in text:
        parser.feed(char)
        seen.append(repr(parser.value))
    parser.close()
    assert parser.value == {
        "items": [{"id": 1, "tags": ["a", "bc"]}, {"id": 22, "note": "x\ny"}],
        "ok": True,
    }
    # Every key, once present, stays, and a string's text only extends.
    for before, after in itertools.pairwise(seen):
        assert _keys(before) <= _keys(after)


def _keys(shown: str) -> set[str]:
    return {part.split("'")[1] for part in shown.split(": ")[:-1] if "'" in part}


def test_an_escape_and_a_surrogate_pair_cut_anywhere() -> None:
    text = '"a\\u00e9\\ud83d\\ude00\\n"'
    for cut in range(1, len(text)):
        parser, _ = _feed_all([text[:cut], text[cut:]])
        parser.close()
        assert parser.value == "a\u00e9\U0001f600\n", cut


def test_a_literal_cut_in_two() -> None:
    _parser, events = _feed_all(["[tr", "ue, nu", "ll]"])
    assert events[0] == [OutputEvent((), [True, None], False)]
    assert events[1] == [OutputEvent((0,), True, True)]
    assert events[2] == [OutputEvent((1,), None, True), OutputEvent((), [True, None], True)]


def test_a_container_event_carries_the_whole_value_when_done() -> None:
    _, events = _feed_all(['{"p": {"x": 1, "y": [2]}}'])
    done = {event.path: event.value for event in events[0] if event.done}
    assert done[("p",)] == {"x": 1, "y": [2]}
    assert done[("p", "y")] == [2]


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ('{"a" 1}', 5),
        ("[1,]", 3),
        ("[01]", 1),
        ('"\\x"', 1),
        ('"a\tb"', 2),
        ("NaN", 0),
        ("[1] 2", 4),
        ("{,}", 1),
        ("1e999", 0),
    ],
)
def test_invalid_json_says_where(text: str, position: int) -> None:
    parser = JSONStreamParser()
    with pytest.raises(InvalidJSON) as caught:
        parser.feed(text)
        parser.close()
    assert caught.value.position == position
    assert not isinstance(caught.value, IncompleteJSON)


@pytest.mark.parametrize("text", ["", '{"a": [1, 2', '"abc', '{"a": tr', '"\\u00', "-"])
def test_text_that_ends_too_soon_is_incomplete(text: str) -> None:
    parser = JSONStreamParser()
    parser.feed(text)
    with pytest.raises(IncompleteJSON):
        parser.close()


def test_positions_count_across_deltas() -> None:
    parser = JSONStreamParser()
    parser.feed('{"a": ')
    parser.feed("1")
    with pytest.raises(InvalidJSON) as caught:
        parser.feed(" x")
    assert caught.value.position == 8

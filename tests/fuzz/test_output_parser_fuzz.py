"""The streamed JSON parser against ``json.loads``: any JSON text, cut anywhere, reads the same,
and its events rebuild the value."""

from __future__ import annotations

import itertools
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from rillet.output._parser import InvalidJSON, JSONStreamParser, OutputEvent

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from('"\\\n\t\x00\x1f'))
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=20,
)


@st.composite
def _texts_and_cuts(draw: st.DrawFn) -> tuple[str, list[str]]:
    value = draw(_VALUES)
    text = json.dumps(
        value, ensure_ascii=draw(st.booleans()), indent=draw(st.sampled_from([None, 1]))
    )
    cuts = sorted(draw(st.sets(st.integers(0, len(text)), max_size=12)))
    bounds = [0, *cuts, len(text)]
    return text, [text[a:b] for a, b in itertools.pairwise(bounds)]


def _parse(parts: list[str]) -> tuple[Any, list[OutputEvent]]:
    parser = JSONStreamParser()
    events: list[OutputEvent] = []
    for part in parts:
        events += parser.feed(part)
    events += parser.close()
    return parser.value, events


def _rebuild(events: list[OutputEvent]) -> Any:
    """The value the events alone describe: string fragments joined, scalars set, containers
    opened empty."""
    root: list[Any] = [None]
    strings: dict[tuple[Any, ...], list[str]] = {}
    for event in events:
        if isinstance(event.value, str):
            strings.setdefault(event.path, []).append(event.value)
            value: Any = "".join(strings[event.path])
        elif isinstance(event.value, dict | list):
            if event.done:
                continue
            value = {} if isinstance(event.value, dict) else []
        else:
            value = event.value
        holder: Any = root
        key: Any = 0
        for step in event.path:
            holder = holder[key]
            key = step
        if isinstance(holder, list) and key == len(holder):
            holder.append(value)
        else:
            holder[key] = value
    return root[0]


@given(_texts_and_cuts())
def test_any_cut_reads_as_json_loads(case: tuple[str, list[str]]) -> None:
    text, parts = case
    value, events = _parse(parts)
    assert value == json.loads(text)
    assert _rebuild(events) == json.loads(text)
    done = [event.path for event in events if event.done]
    assert len(done) == len(set(done))  # each value is complete exactly once
    assert events[-1].done and events[-1].path == ()


@given(_texts_and_cuts())
def test_one_character_at_a_time(case: tuple[str, list[str]]) -> None:
    text, _ = case
    value, _ = _parse(list(text))
    assert value == json.loads(text)


@given(st.text(max_size=30))
def test_arbitrary_text_is_json_or_a_typed_error(text: str) -> None:
    try:
        expected: Any = json.loads(text, parse_constant=_refuse, parse_float=_finite)
    except ValueError:
        expected = InvalidJSON
    try:
        got, _ = _parse([text])
    except InvalidJSON:
        got = InvalidJSON
    if expected is InvalidJSON or got is InvalidJSON:
        # json.loads reads what strict JSON refuses: NaN and friends (refused above), and
        # nothing else; so both must say the same.
        assert got is expected
    else:
        assert got == expected


def _refuse(name: str) -> Any:
    raise ValueError(name)


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(text)
    return value

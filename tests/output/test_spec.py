"""``output=X`` as the request carries it and as the answer is read back."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel
from typing_extensions import TypedDict

from rillet import ConfigurationError, OutputValidationError
from rillet.output._parser import JSONStreamParser
from rillet.output._spec import WRAPPER_KEY, OutputSpec


class Item(BaseModel):
    """One thing."""

    name: str
    qty: int = 1


class Row(TypedDict):
    name: str


def test_a_model_is_sent_as_its_schema_and_read_back_validated() -> None:
    spec = OutputSpec(Item)
    assert spec.format.name == "Item" and not spec.format.wrapped
    assert spec.format.json_schema == Item.model_json_schema()
    assert spec.format.description == "One thing."
    assert spec.parse('{"name": "a", "qty": null}') == Item(name="a")


@pytest.mark.parametrize(
    ("output", "text", "value"),
    [
        (list[Item], '{"value": [{"name": "a"}]}', [Item(name="a")]),
        (int, '{"value": 3}', 3),
        (Row, '{"name": "r"}', {"name": "r"}),
    ],
)
def test_any_type_pydantic_takes(output: Any, text: str, value: Any) -> None:
    spec = OutputSpec(output)
    assert spec.format.wrapped == (output is not Row)
    assert spec.format.json_schema["type"] == "object"
    assert spec.parse(text) == value


def test_a_wrapped_output_s_events_are_at_the_caller_s_paths() -> None:
    spec = OutputSpec(list[Item])
    parser = JSONStreamParser()
    events = spec.unwrap(parser.feed('{"value": [{"name": "a"}]}'))
    assert [e.path for e in events] == [(), (0,), (0, "name"), (0,), ()]
    assert all(e.path[:1] != (WRAPPER_KEY,) for e in events)


def test_a_json_schema_is_sent_as_given_and_read_as_json() -> None:
    schema = {"type": "object", "title": "My thing!", "properties": {"a": {"type": "integer"}}}
    spec = OutputSpec(schema)
    assert spec.name == "My_thing_"
    assert spec.format.json_schema == schema
    assert spec.parse('{"a": 1}') == {"a": 1}
    with pytest.raises(OutputValidationError, match="not a JSON object"):
        spec.parse("[1]")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"name": 3', "not JSON"),
        ("", "empty"),
        ('{"name": NaN}', "not JSON"),
        ('{"qty": 2}', r"does not fit Item \(1 error\(s\); name: Field required\)"),
    ],
)
def test_output_that_does_not_fit_keeps_the_raw_text(text: str, message: str) -> None:
    with pytest.raises(OutputValidationError, match=message) as caught:
        OutputSpec(Item).parse(text)
    assert caught.value.raw_text == text
    assert caught.value.errors and not caught.value.retryable


def test_what_pydantic_cannot_validate_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="output="):
        OutputSpec(object())  # type: ignore[call-overload]
    with pytest.raises(ConfigurationError, match="output_mode"):
        OutputSpec(Item, mode="fast")  # type: ignore[call-overload]


def test_an_adapter_that_does_not_map_output_refuses_it() -> None:
    from rillet.protocol import LLMRequest
    from rillet.providers.openai_chat import OpenAIChatAdapter

    class NoNativeOutput(OpenAIChatAdapter):
        native_output = False

    adapter = NoNativeOutput(api_key="sk-test", model="m")
    request = LLMRequest(messages=[], output=OutputSpec(Item).format)
    with pytest.raises(ConfigurationError, match="structured output"):
        adapter.encode(request)

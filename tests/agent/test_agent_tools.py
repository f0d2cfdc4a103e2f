"""Tools: schemas derived from type hints and pydantic models, validation, how they are called."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, Field

from rillet import InvalidToolArgumentsError, LLMClient, MockAdapter, MockResponse, ToolCall
from rillet.agent import AgentTool, RuntimeBuilder, Tool, tool
from rillet.agent.tools import as_tool, tool_output_text


def search(
    query: str,
    limit: int = 5,
    sort: Literal["relevance", "date"] = "relevance",
    tags: list[str] | None = None,
    min_score: Annotated[float, Field(ge=0, le=1, description="Lowest score kept.")] = 0.5,
) -> list[str]:
    """Search the documents.

    Args:
        query: What to look for,
            in plain words.
        limit (int): How many results at most.

    Returns:
        The matching titles.
    """
    return [query] * limit


def test_schema_from_type_hints_and_docstring() -> None:
    t = Tool(search)
    assert t.name == "search"
    assert t.description == "Search the documents.\n\nReturns:\n    The matching titles."
    assert t.parameters == {
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "What to look for, in plain words."},
            "limit": {"type": "integer", "default": 5, "description": "How many results at most."},
            "sort": {"type": "string", "enum": ["relevance", "date"], "default": "relevance"},
            "tags": {
                "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}],
                "default": None,
            },
            "min_score": {
                "type": "number",
                "minimum": 0,
                "maximum": 1,
                "default": 0.5,
                "description": "Lowest score kept.",
            },
        },
        "required": ["query"],
        "additionalProperties": False,
    }
    definition = t.definition
    assert definition.name == "search" and definition.parameters == t.parameters


class Address(BaseModel):
    """A postal address."""

    street: str
    city: str = Field(description="The city.")


class Shipment(BaseModel):
    """What to ship where."""

    item: str
    to: Address
    express: bool = False


def test_a_pydantic_model_parameter_gives_its_schema_and_an_instance() -> None:
    received: list[Shipment] = []

    def ship(order: Shipment) -> str:
        """Ship an order."""
        received.append(order)
        return "shipped"

    t = Tool(ship)
    assert t.parameters["title"] == "Shipment"
    assert t.parameters["description"] == "What to ship where."
    assert set(t.parameters["properties"]) == {"item", "to", "express"}
    assert t.parameters["required"] == ["item", "to"]
    assert t.parameters["$defs"]["Address"]["properties"]["city"]["description"] == "The city."
    args, kwargs = t.bind({"item": "book", "to": {"street": "1 Main St", "city": "Oslo"}})
    assert args == [] and isinstance(kwargs["order"], Shipment)
    assert kwargs["order"].to.city == "Oslo"


def test_nested_models_and_names_that_clash_with_pydantic() -> None:
    def configure(schema: str, json: dict[str, int], model_config: Address) -> None:
        """Names a pydantic model could not use as fields."""

    t = Tool(configure)  # no warning (pytest turns warnings into errors)
    assert set(t.parameters["properties"]) == {"schema", "json", "model_config"}
    _, kwargs = t.bind(
        {"schema": "s", "json": {"a": 1}, "model_config": {"street": "x", "city": "y"}}
    )
    assert kwargs["schema"] == "s" and kwargs["json"] == {"a": 1}
    assert isinstance(kwargs["model_config"], Address)


def test_validation_is_lax_but_refuses_unknown_and_missing_arguments() -> None:
    t = Tool(search)
    _, kwargs = t.bind({"query": "q", "limit": "3"})
    assert kwargs == {"query": "q", "limit": 3}  # defaults left to the function
    with pytest.raises(InvalidToolArgumentsError) as caught:
        t.bind({"limit": "many", "colour": "red"})
    message = str(caught.value)
    assert "query: Field required" in message
    assert "limit: Input should be a valid integer" in message
    assert "colour: Extra inputs are not permitted" in message
    assert caught.value.tool_name == "search"
    with pytest.raises(InvalidToolArgumentsError, match="min_score"):
        t.bind({"query": "q", "min_score": 3})


async def test_sync_tools_run_in_a_thread_async_ones_on_the_loop() -> None:
    loop_thread = threading.get_ident()
    threads: dict[str, int] = {}

    def sync_tool() -> str:
        """Sync."""
        threads["sync"] = threading.get_ident()
        return "s"

    async def async_tool() -> str:
        """Async."""
        threads["async"] = threading.get_ident()
        return "a"

    def inline_tool() -> str:
        """Sync, on the loop."""
        threads["inline"] = threading.get_ident()
        return "i"

    assert await Tool(sync_tool).run({}) == "s"
    assert await Tool(async_tool).run({}) == "a"
    assert await Tool(inline_tool, run_in_thread=False).run({}) == "i"
    assert threads["sync"] != loop_thread
    assert threads["async"] == threads["inline"] == loop_thread


async def test_decorator_callable_objects_and_positional_only_parameters() -> None:
    @tool
    def double(x: int) -> int:
        """Double a number."""
        return 2 * x

    @tool(name="triple_it", description="Times three.")
    async def triple(x: int, /) -> int:
        return 3 * x

    class Scale:
        """Scale a number."""

        def __init__(self, factor: int) -> None:
            self.factor = factor

        async def __call__(self, x: int) -> int:
            return self.factor * x

    assert isinstance(double, Tool) and double(4) == 8  # still the function
    assert await double.run({"x": "5"}) == 10
    assert (triple.name, triple.description) == ("triple_it", "Times three.")
    assert await triple.run({"x": 2}) == 6
    scale = Tool(Scale(10), name="scale")
    assert scale.description == "Scale a number."
    assert scale.parameters["required"] == ["x"]
    assert await scale.run({"x": 3}) == 30
    with pytest.raises(TypeError, match="kwargs"):
        Tool(lambda **kwargs: None, name="anything")
    with pytest.raises(ValueError, match="pass name="):
        Tool(lambda x: x)  # "<lambda>" is no tool name
    assert Tool(lambda x: x, name="identity").name == "identity"


def test_tool_output_text() -> None:
    @dataclass
    class Point:
        x: int
        y: int

    assert tool_output_text("plain") == "plain"
    assert tool_output_text({"a": [1, 2]}) == '{"a":[1,2]}'
    assert tool_output_text(Address(street="s", city="c")) == '{"street":"s","city":"c"}'
    assert tool_output_text(Point(1, 2)) == '{"x":1,"y":2}'
    assert tool_output_text(None) == "null"
    assert tool_output_text(object()).startswith('"<object object')


class Counter:
    """A tool object: its own schema, its own validation."""

    name = "count"
    description = "Count to n."
    parameters: dict[str, Any] = {
        "type": "object",
        "properties": {"n": {"type": "integer"}},
        "required": ["n"],
    }

    async def run(self, arguments: dict[str, Any]) -> object:
        n = arguments.get("n")
        if not isinstance(n, int):
            raise InvalidToolArgumentsError("n must be an integer", raw_arguments=str(arguments))
        await asyncio.sleep(0)
        return list(range(1, n + 1))


async def test_a_tool_object_is_used_as_it_is() -> None:
    counter = Counter()
    assert isinstance(counter, AgentTool) and as_tool(counter) is counter
    adapter = MockAdapter(
        [
            MockResponse(
                tool_calls=[
                    ToolCall(id="good", name="count", arguments={"n": 3}),
                    ToolCall(id="bad", name="count", arguments={"n": "three"}),
                ]
            ),
            "1, 2, 3.",
        ]
    )
    runtime = RuntimeBuilder().with_client(LLMClient(adapter)).with_tools(counter).build()
    await runtime.run("count")
    sent = adapter.requests[0].tools[0]
    assert (sent.name, sent.description, sent.parameters) == (
        "count",
        "Count to n.",
        Counter.parameters,
    )
    results = [m for m in adapter.requests[1].messages if m.role == "tool"]
    assert [(m.content, m.is_error) for m in results] == [
        ("[1,2,3]", False),
        ("n must be an integer", True),
    ]

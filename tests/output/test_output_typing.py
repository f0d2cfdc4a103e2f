"""The ``output=`` overloads are typed: mypy (``mypy --strict tests``, as CI runs it) checks each
``assert_type`` below, so an overload that loses its type argument fails CI; at run time the
same calls give the classes named."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from typing_extensions import assert_type

from rillet import LLMClient, LLMResponse, SyncLLMClient
from rillet.agent import AgentResult, AgentRuntime, RuntimeBuilder, SyncRuntime
from rillet.mock import MockAdapter, MockResponse
from rillet.output._spec import OutputSpec
from rillet.output._stream import StructuredResponse, StructuredStream
from rillet.streaming import StreamingLLMResponse
from rillet.sync import SyncStream, SyncStructuredStream


class Point(BaseModel):
    x: int


SCHEMA: dict[str, Any] = Point.model_json_schema()


def _adapter(turns: int) -> MockAdapter:
    call = {"id": "c", "name": "Point", "arguments": {"x": 1}}
    return MockAdapter([MockResponse(tool_calls=[call]) for _ in range(turns)])


async def test_the_async_client_types_each_form_of_output() -> None:
    async with LLMClient(_adapter(3)) as client:
        by_type = await client.call("p", output=Point)
        assert_type(by_type, StructuredResponse[Point])
        assert_type(by_type.output, Point)
        by_spec = await client.call("p", output=OutputSpec(Point))
        assert_type(by_spec, StructuredResponse[Point])
        by_schema = await client.call("p", output=SCHEMA, output_name="Point")
        assert_type(by_schema, StructuredResponse[dict[str, Any]])
        assert (by_type.output, by_spec.output.x, by_schema.output) == (Point(x=1), 1, {"x": 1})
        stream = client.stream("p", output=Point)
        assert_type(stream, StructuredStream[Point])
        await stream.aclose()
        plain = client.stream("p")
        assert_type(plain, StreamingLLMResponse)
        await plain.aclose()


def test_the_sync_client_types_each_form_of_output() -> None:
    with SyncLLMClient(_adapter(8)) as client:
        by_type = client.call("p", output=Point)
        assert_type(by_type, StructuredResponse[Point])
        by_spec = client.call("p", output=OutputSpec(Point))
        assert_type(by_spec.output, Point)
        by_schema = client.call("p", output=SCHEMA, output_name="Point")
        assert_type(by_schema, StructuredResponse[dict[str, Any]])
        assert (by_type.output.x, by_spec.output.x, by_schema.output) == (1, 1, {"x": 1})
        with client.stream("p", output=Point) as stream:
            assert_type(stream, SyncStructuredStream[Point])
            assert_type(stream.partial_output, Point | None)
            assert_type(stream.get_output(), Point)
        with client.stream("p", output=SCHEMA) as schema_stream:
            assert_type(schema_stream, SyncStructuredStream[dict[str, Any]])
        with client.stream("p") as plain:
            assert_type(plain, SyncStream)
            assert not isinstance(plain, SyncStructuredStream)
        assert_type(client.call("p"), LLMResponse)


async def test_an_agents_result_is_typed_by_with_output() -> None:
    builder = RuntimeBuilder().with_output(Point)
    assert_type(builder, RuntimeBuilder[Point])
    runtime = builder.with_max_steps(2).with_client(LLMClient(_adapter(1))).build()
    assert_type(runtime, AgentRuntime[Point])
    result = await runtime.run("p")
    assert_type(result, AgentResult[Point])
    assert_type(result.output, Point)
    assert result.output == Point(x=1)
    by_schema = RuntimeBuilder().with_output(SCHEMA, name="Point")
    assert_type(by_schema, RuntimeBuilder[dict[str, Any]])
    plain = RuntimeBuilder().with_client(LLMClient(MockAdapter("hi"))).build()
    assert_type(plain, AgentRuntime[None])
    plain_result = await plain.run("hi")
    assert_type(plain_result.output, None)
    assert plain_result.output is None


def test_a_sync_agents_result_is_typed_too() -> None:
    with SyncLLMClient(_adapter(1)) as client:
        runtime = RuntimeBuilder().with_client(client).with_output(OutputSpec(Point)).build_sync()
        assert_type(runtime, SyncRuntime[Point])
        result = runtime.run("p")
        assert_type(result.output, Point)
    assert result.output.x == 1

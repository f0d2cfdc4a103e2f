"""Stream a scripted response from MockAdapter and print it as it arrives (no key, no network)."""

from __future__ import annotations

import asyncio

from rillet import LLMClient, MockAdapter, MockResponse, ToolCall


async def main() -> None:
    script = MockResponse(
        reasoning="The user wants the weather; I should call the tool.",
        text="Let me check the weather in Paris.",
        tool_calls=[ToolCall(id="call_1", name="get_weather", arguments={"city": "Paris"})],
        chunk_size=5,
    )
    async with LLMClient(MockAdapter(script, delay=0.01)) as client:
        async with client.stream("What's the weather in Paris?") as stream:
            async for chunk in stream:
                if chunk.type == "content":
                    print(chunk.text, end="", flush=True)
                elif chunk.type == "tool_call_end":
                    print(f"\n[tool call] {chunk.name}({chunk.arguments})")
        print(stream.response.model_dump_json(indent=2))


if __name__ == "__main__":
    asyncio.run(main())

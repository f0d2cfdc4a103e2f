"""Every recorded real stream, served from a local server, through the whole client.

Transport, adapter and accumulator together must give what the official SDKs read from the
same bytes, whether the body arrives whole, a byte at a time, or cut at random places.
"""

from __future__ import annotations

from typing import Any

import pytest
from real_streams import PROVIDER_FOR_API, assert_agrees, body, params, random_cuts

from rillet import LLMClient, RilletError
from rillet.testing.fault_server import FaultServer, Reply


def _model(entry: dict[str, Any]) -> str | None:
    if entry["api"] == "gemini_json":  # .../models/{model}:streamGenerateContent
        return str(entry["uri"].rsplit("/models/", 1)[1].split(":", 1)[0])
    model = entry["request"].get("model")
    return str(model) if model else None


def _base_url(entry: dict[str, Any], server_url: str) -> str:
    # the official SDKs' convention: OpenAI base URLs include /v1, the others do not
    return f"{server_url}/v1" if entry["api"].startswith("openai") else server_url


@pytest.mark.parametrize("entry", params())
async def test_real_stream_through_the_whole_client(entry: dict[str, Any] | None) -> None:
    data = body(entry)
    assert entry is not None
    modes: list[Any] = ["whole", "drip", random_cuts(data, entry["id"])]
    responses = []
    async with FaultServer() as server:
        server.script(
            *[Reply(body=data, content_type=entry["content_type"], chunks=mode) for mode in modes]
        )
        async with LLMClient(
            provider=PROVIDER_FOR_API[entry["api"]],
            model=_model(entry),
            api_key="test-key",
            base_url=_base_url(entry, server.url),
            max_retries=0,
        ) as client:
            for _ in modes:
                if entry.get("expected_error"):
                    with pytest.raises(RilletError) as caught:
                        await client.call("replay")
                    assert caught.value.partial is not None
                    continue
                responses.append(await client.call("replay"))
    for response in responses:
        assert_agrees(response, entry["expected"])
    # identical however the bytes were cut (ids that rillet generates and headers aside)
    without_ids: Any = {"tool_calls": {"__all__": {"id"}}, "headers": True}
    dumps = [r.model_dump(exclude=without_ids) for r in responses]
    assert all(d == dumps[0] for d in dumps[1:])

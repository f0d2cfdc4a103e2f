"""Cassettes: one per recordable case and wire, nothing key-shaped in any of them, scrubbing
before writing, and replays that must agree at every split."""

from __future__ import annotations

import random
from pathlib import Path
from types import SimpleNamespace

import pytest
from vcr.request import Request  # type: ignore[import-untyped]

from rillet import LLMClient
from rillet._redact import REDACTED, is_credential_header
from rillet.conformance.cassettes import (
    find_secrets,
    interactions,
    json_body,
    load,
    recording,
    scrub_request,
    scrub_text,
)
from rillet.conformance.catalogue import CASES
from rillet.conformance.observation import Observation
from rillet.conformance.replay import fingerprint, splits
from rillet.conformance.runner import BUILTIN_TARGETS
from rillet.emulator import Emulator, Scenario
from rillet.protocol import ContentChunk, StartChunk, StreamChunk, ToolCallStartChunk

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"
ALL = sorted(CASSETTES.rglob("*.yaml"))

KEYS = {
    "openai": "sk-proj-" + "Ab3dEf6hIj9kLm2nOp5q" * 3,
    "openai-legacy": "sk-" + "0123456789abcdefABCDEF" * 2,
    "anthropic": "sk-ant-api03-" + "xY7_zW-9" * 8,
    "google": "AIzaSy" + "D4k8Lm2Nq6Rt0Vx3Zb5" * 2,
    "bearer": "Bearer eyJhbGciOiJIUzI1NiJ9.payload.signature",
    "emulator": "emulator-key",
}


def test_every_recordable_case_has_a_cassette_for_every_wire() -> None:
    expected = {
        CASSETTES / t.wire / f"{c.name}.yaml"
        for t in BUILTIN_TARGETS
        for c in CASES
        if c.cassette and c.applies_to(t.wire)
    }
    assert set(ALL) == expected


@pytest.mark.parametrize("path", ALL, ids=[f"{p.parent.name}/{p.stem}" for p in ALL])
def test_no_cassette_holds_anything_key_shaped(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert find_secrets(text, ["wrong-key"]) == []
    for item in load(path)["interactions"]:
        for part in ("request", "response"):
            names = {name.lower() for name in item[part]["headers"]}
            assert not any(is_credential_header(name) for name in names), (part, names)
        assert "key=" not in item["request"]["uri"]


@pytest.mark.parametrize("kind", KEYS)
def test_key_shapes_are_found_and_scrubbed(kind: str) -> None:
    text = f'{{"note": "the key is {KEYS[kind]} here"}}'
    assert find_secrets(text) != []
    scrubbed = scrub_text(text)
    assert find_secrets(scrubbed) == [] and REDACTED in scrubbed


def test_ordinary_text_is_not_key_shaped() -> None:
    text = "sk-learn, task-based, bearer of news, AIza, a risk-free 'Bearer' header name"
    assert find_secrets(text) == []


async def test_recording_scrubs_every_credential(tmp_path: Path) -> None:
    """Keys in headers, the query and the body, cookies and organization ids never reach disk."""
    key = KEYS["google"]
    scenario = Scenario("scrub-me", text=("Hi",))
    path = tmp_path / "scrub.yaml"
    async with Emulator([scenario], api_key=key) as emulator:
        client = LLMClient(
            provider="openai",
            base_url=f"{emulator.url}/v1",
            api_key=key,
            model="scrub-me",
            options={
                "headers": {
                    "OpenAI-Organization": "org-" + "q" * 24,
                    "OpenAI-Project": "proj_" + "r" * 24,
                    "Cookie": "session=abcdefghijkl",
                    "x-goog-api-key": key,
                }
            },
        )
        with recording(path, secrets=[key]):
            async with client:
                response = await client.call(f"my key is {key}", provider_options={"user": key})
    assert response.text == "Hi"
    text = path.read_text(encoding="utf-8")
    assert find_secrets(text, [key]) == []
    assert "org-qqqq" not in text and "proj_rrrr" not in text and "session=" not in text
    [exchange] = interactions(path)
    assert exchange.status == 200 and b"Hi" in exchange.body


def test_a_request_loses_credential_headers_and_their_values_everywhere() -> None:
    token = "opaque-session-token-1"
    request = Request(
        "POST",
        "https://ann:pw@api.example/v1/x?alt=sse&key=k1&access_token=t1",
        f'{{"echo": "{token}"}}'.encode(),
        {"X-Session-Token": token, "Content-Type": "application/json"},
    )
    scrubbed = scrub_request(request, origin="http://emulator.invalid")
    assert scrubbed.headers == {"Content-Type": "application/json"}
    assert scrubbed.uri == "http://emulator.invalid/v1/x?alt=sse"
    assert scrubbed.body == f'{{"echo": "{REDACTED}"}}'.encode()


def test_bodies_scrubbed_by_rillet_0_1_still_match() -> None:
    live = SimpleNamespace(body=f'{{"q": "my key {REDACTED}"}}'.encode())
    json_body(live, SimpleNamespace(body='{"q":"my key REDACTED"}'))  # the 0.1 marker
    with pytest.raises(AssertionError):
        json_body(live, SimpleNamespace(body='{"q": "my key"}'))


def test_splits_are_seeded_and_bounded() -> None:
    assert splits(5, "1-byte", random.Random(0)) == (1, 2, 3, 4)
    big = splits(100_000, "1-byte", random.Random(0))
    assert 4000 < len(big) < 4200 and big == tuple(sorted(big))
    first = splits(5000, "random splits", random.Random("seed"))
    assert first == splits(5000, "random splits", random.Random("seed"))
    assert len(first) == 5000 // 16 and all(0 < cut < 5000 for cut in first)


def test_fingerprint_masks_the_ids_rillet_makes_up() -> None:
    def seen(call_id: str) -> Observation:
        chunks: list[StreamChunk] = [
            StartChunk(provider="gemini"),
            ContentChunk(text="x"),
            ToolCallStartChunk(index=0, id=call_id, name="f"),
        ]
        return Observation(chunks=list(chunks))

    assert fingerprint(seen("call_" + "a" * 24)) == fingerprint(seen("call_" + "b" * 24))
    assert fingerprint(seen("call_given_1")) != fingerprint(seen("call_given_2"))


def test_the_catalogue_page_lists_every_case() -> None:
    page = (CASSETTES.parent / "conformance" / "README.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(" `") for line in page.splitlines() if line.startswith("| `")}
    assert {case.name for case in CASES} <= rows

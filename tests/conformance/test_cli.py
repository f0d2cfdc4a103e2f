"""``rillet conformance``: the table, JSON and JUnit reports, the exit code, a failure shown as
expected beside got, recording, the live guard, and the example third-party adapter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

import rillet
from rillet import registry
from rillet.cli import main
from rillet.conformance.cassettes import find_secrets
from rillet.conformance.catalogue import CASES, select
from rillet.conformance.live import live_refusal, record
from rillet.conformance.replay import replayer
from rillet.conformance.runner import BUILTIN_TARGETS
from rillet.emulator import AWS_TEST_CREDENTIALS, Emulator, Scenario
from rillet.registry import ENTRY_POINT_GROUP

from .broken_adapters import TextMismatch

ROOT = Path(__file__).resolve().parents[2]
BROKEN = f"{TextMismatch.__module__}:TextMismatch"


def test_list_shows_every_case_and_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["conformance", "--list"]) == 0
    out = capsys.readouterr().out
    assert all(case.name in out for case in CASES)
    assert "tool_calls_balanced" in out and "idle_timeout" in out


def test_json_and_junit_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report, junit = tmp_path / "report.json", tmp_path / "junit.xml"
    args = ["conformance", "--provider", "anthropic", "--provider", "gemini", "--case", "text"]
    args += ["--cassettes", str(ROOT / "cassettes"), "--json", str(report), "--junit", str(junit)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "anthropic" in out and "gemini-json" in out and "text · cassette" in out
    document = json.loads(report.read_text())
    assert document["failed"] == 0 and document["passed"] == len(document["results"]) == 6
    first = document["results"][0]
    assert first["target"] == "anthropic" and first["case"] == "text" and first["status"] == "pass"
    suites = ET.parse(junit).getroot().findall("testsuite")
    assert [s.get("name") for s in suites] == ["anthropic", "gemini", "gemini-json"]
    assert all(s.get("failures") == "0" and s.get("tests") == "2" for s in suites)


def test_a_failure_exits_1_and_shows_expected_beside_got(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junit = tmp_path / "junit.xml"
    args = ["conformance", "--adapter", BROKEN, "--case", "text", "--no-cassettes", "--json"]
    assert main([*args, "--junit", str(junit)]) == 1
    captured = capsys.readouterr()
    document = json.loads(captured.out)  # --json alone: the report on stdout ...
    assert document["failed"] == 1
    [violation] = document["results"][0]["violations"]
    assert violation["rule"] == "text" and violation["chunk"] == 3  # the stop chunk
    assert violation["expected"].startswith("'ld! Grüße") and '"type": "stop"' in violation["got"]
    table = captured.err  # ... the table and the failure on stderr
    assert "FAIL" in table and "broke: text" in table and "expected" in table
    assert "chunk #3" in table and "ld! Grüße" in table
    failure = ET.parse(junit).getroot().find("testsuite/testcase/failure")
    assert failure is not None and failure.get("type") == "text"


def test_unknown_provider_and_case_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["conformance", "--provider", "no-such-provider"]) == 2
    assert main(["conformance", "--case", "no-such-case"]) == 2
    err = capsys.readouterr().out
    assert "unknown provider 'no-such-provider'" in err and "no case matches" in err


def test_an_adapter_without_a_wire_must_name_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["conformance", "--adapter", "rillet.mock:MockAdapter", "--case", "text"]) == 2
    assert "--wire" in capsys.readouterr().out


def test_record_writes_cassettes_that_replay(tmp_path: Path) -> None:
    args = ["conformance", "--provider", "openai", "--case", "tool-call", "--case", "cancel"]
    assert main([*args, "--record", "--cassettes", str(tmp_path)]) == 0
    assert [p.name for p in tmp_path.rglob("*.yaml")] == ["tool-call.yaml"]
    recorded = (tmp_path / "openai" / "tool-call.yaml").read_text()
    assert recorded == (ROOT / "cassettes" / "openai" / "tool-call.yaml").read_text()
    assert main([*args, "--cassettes", str(tmp_path)]) == 0


def test_live_recording_is_guarded(monkeypatch: pytest.MonkeyPatch) -> None:
    assert live_refusal({"CI": "true", "RILLET_LIVE": "1"}) is not None
    assert live_refusal({}) is not None
    assert live_refusal({"RILLET_LIVE": "1"}) is None
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("RILLET_LIVE", "1")
    args = ["conformance", "--provider", "openai", "--record", "--live", "--model", "gpt-x"]
    assert main(args) == 2
    assert main(["conformance", "--live"]) == 2


def test_the_example_third_party_adapter_passes() -> None:
    """Exactly the command the README gives, in a fresh process, from the repository root."""
    command = [
        str(Path(sys.executable).with_name("rillet")),
        "conformance",
        "--adapter",
        "examples.third_party_adapter.echo_adapter:EchoAdapter",
        "--wire",
        "openai",
    ]
    # Only the code under test on the path (not the folder the command runs from, which the
    # CLI must add itself to import ``examples``), whichever rillet the environment installed.
    env = {**os.environ, "PYTHONPATH": str(Path(rillet.__file__).resolve().parents[1])}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 failed" in done.stdout and "EchoAdapter" in done.stdout


def test_a_provider_registered_by_entry_point_is_found(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """As after ``pip install`` of the example: ``--provider echo`` and its conformance_wire."""
    echo = EntryPoint(
        "echo", "examples.third_party_adapter.echo_adapter:EchoAdapter", ENTRY_POINT_GROUP
    )
    monkeypatch.syspath_prepend(str(ROOT))
    monkeypatch.setattr(
        registry, "entry_points", lambda group: [echo] if group == echo.group else []
    )
    assert (
        main(["conformance", "--provider", "echo", "--case", "*tool-call*", "--no-cassettes"]) == 0
    )
    out = capsys.readouterr().out
    assert "echo" in out and "parallel-tool-calls" in out and "3 passed" in out


async def test_live_cassettes_are_recorded_scrubbed_and_replayed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The live path end to end, with the emulator standing in for the real API."""
    key = "sk-proj-" + "L1vEk3y" * 6
    monkeypatch.setenv("OPENAI_API_KEY", key)
    target = BUILTIN_TARGETS[0]
    cases = select(["text", "tool-call", "auth-error", "unknown-model", "stall"])
    scenario = Scenario("real-model", text=("Hello", " from", " the API."))
    async with Emulator([scenario], api_key=key) as emulator:
        base_url = emulator.base_url(target.wire)
        results = await record([target], cases, tmp_path, model="real-model", base_url=base_url)
    assert [(r.case, r.status) for r in results] == [
        ("text", "pass"),
        ("tool-call", "pass"),
        ("auth-error", "pass"),
        ("unknown-model", "pass"),
    ]
    recorded = sorted(p.name for p in (tmp_path / "openai").iterdir())
    assert recorded == ["auth-error.yaml", "text.yaml", "tool-call.yaml", "unknown-model.yaml"]
    for path in (tmp_path / "openai").iterdir():
        assert find_secrets(path.read_text(), [key, "wrong-key"]) == []
    [text] = select(["text"])
    live_root = tmp_path.parent / "with-live"
    (live_root / "live").mkdir(parents=True)
    (tmp_path / "openai").rename(live_root / "live" / "openai")
    skipped, live = await replayer(live_root)(text, target)
    assert skipped.status == "skip" and (live.source, live.status) == ("live", "pass")


async def test_bedrock_live_cassettes_sign_with_the_environment_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bedrock's live path signs with the AWS credentials of the environment (the emulator's
    test pair standing in for real ones), and its cassettes hold none of them."""
    key_id, secret = AWS_TEST_CREDENTIALS
    monkeypatch.delenv("AWS_BEARER_TOKEN_BEDROCK", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    [target] = [t for t in BUILTIN_TARGETS if t.label == "bedrock"]
    cases = select(["text", "auth-error", "unknown-model-id", "invalid-model-id"])
    scenario = Scenario("real.model-v1", text=("Hello", " from", " the API."))
    async with Emulator([scenario]) as emulator:
        base_url = emulator.base_url(target.wire)
        results = await record([target], cases, tmp_path, model="real.model-v1", base_url=base_url)
        signed = [r.headers.get("Authorization", "") for r in emulator.requests]
    assert [(r.case, r.status) for r in results] == [
        ("text", "pass"),
        ("auth-error", "pass"),
        ("unknown-model-id", "pass"),
        ("invalid-model-id", "pass"),
    ]
    assert all(s.startswith(f"AWS4-HMAC-SHA256 Credential={key_id}/") for s in signed)
    for path in (tmp_path / "bedrock").iterdir():
        text = path.read_text()
        assert find_secrets(text, ["wrong-key"]) == []
        assert key_id not in text and "x-amz-date" not in text.lower()

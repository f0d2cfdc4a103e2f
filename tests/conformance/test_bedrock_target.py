"""The bedrock conformance target signs with SigV4 (its main path), and its cassettes hold no
credential and nothing of the signing time."""

from __future__ import annotations

from pathlib import Path

from rillet.conformance.catalogue import CASES
from rillet.conformance.runner import BUILTIN_TARGETS, run_case
from rillet.conformance.signing import EMULATOR_KEY, adapter_auth
from rillet.emulator import AWS_TEST_CREDENTIALS, Emulator
from rillet.providers.bedrock import AWSCredentials

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes" / "bedrock"
_BEDROCK = next(t for t in BUILTIN_TARGETS if t.label == "bedrock")


def test_a_sigv4_wire_signs_with_the_emulator_credentials_instead_of_the_key() -> None:
    key_id, secret = AWS_TEST_CREDENTIALS
    options = {"region": "us-east-1"}
    assert adapter_auth("bedrock", options, EMULATOR_KEY) == (
        None,
        {"region": "us-east-1", "credentials": AWSCredentials(key_id, secret)},
    )
    # a case's wrong key is a wrong secret: the signature fails as a wrong key does
    assert adapter_auth("bedrock", options, "wrong-key")[1]["credentials"] == AWSCredentials(
        key_id, "wrong-key"
    )
    own = {"credentials": AWSCredentials("AKIAOWN", "own")}
    assert adapter_auth("bedrock", own, EMULATOR_KEY) == (EMULATOR_KEY, own)
    assert adapter_auth("bedrock", options, None) == (None, options)  # live: the environment's
    assert adapter_auth("anthropic", options, EMULATOR_KEY) == (EMULATOR_KEY, options)


async def test_the_bedrock_target_sends_sigv4() -> None:
    case = next(c for c in CASES if c.name == "text")
    async with Emulator(api_key=EMULATOR_KEY, builtins=False) as emulator:
        result = await run_case(case, _BEDROCK, emulator)
        authorization = emulator.requests[-1].headers["Authorization"]
    assert result.status == "pass", result.violations
    assert authorization.startswith(f"AWS4-HMAC-SHA256 Credential={AWS_TEST_CREDENTIALS[0]}/")
    assert EMULATOR_KEY not in authorization


async def test_the_auth_error_case_is_a_refused_signature() -> None:
    case = next(c for c in CASES if c.name == "auth-error")
    async with Emulator(api_key=EMULATOR_KEY, builtins=False) as emulator:
        result = await run_case(case, _BEDROCK, emulator)
        reply = emulator.requests[-1].reply
    assert result.status == "pass", result.violations
    assert reply.status == 403
    assert reply.headers["x-amzn-ErrorType"].startswith("InvalidSignatureException:")


def test_bedrock_cassettes_hold_no_credential_nor_signing_time() -> None:
    paths = sorted(CASSETTES.glob("*.yaml"))
    assert len(paths) >= 20
    for path in paths:
        text = path.read_text(encoding="utf-8").lower()
        for banned in ("authorization", "x-amz-date", "x-amz-security-token", "aws4-hmac"):
            assert banned not in text, (path.name, banned)
        assert AWS_TEST_CREDENTIALS[0].lower() not in text
        assert AWS_TEST_CREDENTIALS[1].lower() not in text

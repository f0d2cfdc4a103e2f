"""How a conformance run authenticates an adapter whose wire signs its requests (Bedrock).

Bedrock's main path is SigV4, not a key: on the ``bedrock`` wire a run signs with the
emulator's AWS credentials (``rillet.emulator.AWS_TEST_CREDENTIALS``) instead of sending the
emulator's key, and a case's wrong key (``auth-error``) becomes a wrong secret access key, so
the emulator refuses the signature (403 ``InvalidSignatureException``) as AWS refuses a bad
one. Every other wire, and a run without a key (a live recording, with the environment's
credentials), keeps its key as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rillet.emulator import AWS_TEST_CREDENTIALS
from rillet.providers.bedrock import AWSCredentials

__all__ = ["EMULATOR_KEY", "SIGV4_WIRES", "adapter_auth"]

EMULATOR_KEY = "emulator-key"
"""The key every conformance emulator takes (its ``api_key``)."""
SIGV4_WIRES = frozenset({"bedrock"})
"""Wires whose adapters sign each request with AWS credentials (``options['credentials']``)."""


def adapter_auth(
    wire: str, options: Mapping[str, Any], api_key: str | None
) -> tuple[str | None, dict[str, Any]]:
    """The ``api_key`` and ``options`` an adapter for ``wire`` is made with: on a SigV4 wire,
    no key and the emulator's credentials (a wrong secret when ``api_key`` is another key)
    unless ``options`` give credentials of their own."""
    if wire not in SIGV4_WIRES or api_key is None or "credentials" in options:
        return api_key, dict(options)
    key_id, secret = AWS_TEST_CREDENTIALS
    credentials = AWSCredentials(key_id, secret if api_key == EMULATOR_KEY else api_key)
    return None, {**options, "credentials": credentials}

"""botocore's own SigV4 signer, the oracle of rillet's (botocore is a dev dependency; it has
no type hints, so it is reached through ``importlib`` and kept behind typed functions)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rillet.providers.bedrock._sigv4 import TIME_FORMAT


def _module(name: str) -> Any:
    return importlib.import_module(name)


def botocore_signed(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    key_id: str,
    secret: str,
    token: str | None,
    region: str,
    now: datetime,
) -> dict[str, str]:
    """The headers botocore's ``SigV4Auth`` leaves on the request (names lower case): the
    steps of its ``add_auth``, with the time fixed instead of read from the clock."""
    request = _module("botocore.awsrequest").AWSRequest(
        method=method, url=url, headers=dict(headers), data=body
    )
    credentials = _module("botocore.credentials").Credentials(key_id, secret, token)
    signer = _module("botocore.auth").SigV4Auth(credentials, "bedrock", region)
    request.context["timestamp"] = now.strftime(TIME_FORMAT)
    signer._modify_request_before_signing(request)
    canonical = signer.canonical_request(request)
    signature = signer.signature(signer.string_to_sign(request, canonical), request)
    signer._inject_signature_to_request(request, signature)
    return {str(name).lower(): str(value) for name, value in request.headers.items()}


def botocore_converse_stream_request(model_id: str, *, token: str | None) -> dict[str, Any]:
    """What botocore's own bedrock-runtime client sends for ``converse_stream``, caught just
    before it leaves: ``url``, ``headers`` (lower-case names, text values) and ``body``."""
    session = _module("botocore.session").get_session()
    client = session.create_client(
        "bedrock-runtime",
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        aws_session_token=token,
    )
    caught: dict[str, Any] = {}

    class _Caught(Exception):
        pass

    def before_send(request: Any, **_: Any) -> None:
        caught["url"] = request.url
        caught["headers"] = {
            str(k).lower(): v.decode() if isinstance(v, bytes) else str(v)
            for k, v in request.headers.items()
        }
        caught["body"] = request.body if isinstance(request.body, bytes) else b""
        raise _Caught

    client.meta.events.register("before-send", before_send)
    try:
        client.converse_stream(
            modelId=model_id, messages=[{"role": "user", "content": [{"text": "héllo"}]}]
        )
    except _Caught:
        pass
    finally:
        client.close()
    return caught

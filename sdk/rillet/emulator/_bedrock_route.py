"""The emulator's Bedrock Runtime: ``POST /model/{modelId}/converse-stream``, as AWS answers it.

The model id, percent-decoded from the path (``amazon.nova-micro-v1%3A0``, an ARN with ``%2F``),
picks the scenario. Auth is checked first, as the service does: a Bedrock API key
(``Authorization: Bearer``, the emulator's ``api_key``) or SigV4 (``AWS4-HMAC-SHA256
Credential=...``) over the exact request, checked against the emulator's AWS credentials. Then
the body is parsed and checked against the ``bedrock`` rules. Errors come in Bedrock's own form:
a JSON ``{"message": ...}`` with ``x-amzn-ErrorType: <Type>:http://internal.amazon.com/coral/
com.amazon.bedrock/`` and ``x-amzn-RequestId`` (the messages are the service's, as its users
report them). A bare model id with no provider prefix is refused as the service refuses it
(400 ``The provided model identifier is invalid.``, in the recorded real bytes); an unknown id
that has one is a 404 ``ResourceNotFoundException``. The stream itself is
``application/vnd.amazon.eventstream`` (``rillet.emulator.render``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import unquote

from aiohttp import web

from rillet.emulator._sigv4_check import check_signature, error_type
from rillet.emulator.render import content_offset, render
from rillet.emulator.render._events import ident
from rillet.emulator.reply_server import Reply
from rillet.emulator.rules import first_refusal
from rillet.emulator.scenario import Scenario

if TYPE_CHECKING:
    from rillet.emulator.server import Emulator

__all__ = [
    "AWS_TEST_CREDENTIALS",
    "ERROR_TYPES",
    "PATH_PREFIX",
    "bedrock_reply",
    "error_reply",
    "request_id",
]

PATH_PREFIX = "/model/"
_METHOD = "converse-stream"
_WIRE = "bedrock"
_JSON = "application/json"
_ERROR_TYPE_SUFFIX = ":http://internal.amazon.com/coral/com.amazon.bedrock/"

AWS_TEST_CREDENTIALS = ("AKIAEMULATOR0EXAMPLE", "emulator/secret/K7MDENG/bPxRfiCYEXAMPLEKEY")
"""The access key id and secret the emulator accepts by default (fixed test values)."""

ERROR_TYPES: Mapping[int, tuple[str, str]] = {
    400: ("ValidationException", "The provided request is not valid"),
    403: (
        "AccessDeniedException",
        "You don't have access to the model with the specified model ID.",
    ),
    404: (
        "ResourceNotFoundException",
        "Could not resolve the foundation model from the provided model identifier.",
    ),
    408: (
        "ModelTimeoutException",
        "Model has timed out in processing the request. Try your request again.",
    ),
    424: ("ModelErrorException", "The model returned an error. Try your request again."),
    429: ("ThrottlingException", "Too many requests, please wait before trying again."),
    500: (
        "InternalServerException",
        "The system encountered an unexpected error during processing. Try your request again.",
    ),
    503: ("ServiceUnavailableException", "Bedrock is unable to process your request."),
}
"""Status -> (``x-amzn-ErrorType`` name, the service's message) of Bedrock's HTTP errors."""

_INVALID_MODEL = "The provided model identifier is invalid."
# A wrong API key: 403 with this body, "Message" capitalized (opencode#47073, open-science#53)
_BAD_API_KEY = "Authentication failed: Please make sure your API Key is valid."
_MALFORMED_BODY = "Malformed input request, please reformat your input and try again."


def bedrock_reply(emulator: Emulator, request: web.Request, body: bytes) -> Reply:
    """The reply to a request under ``/model/``."""
    served = len(emulator.requests)
    model = _model_id(request)
    if request.method != "POST" or model is None:
        text = f"the emulator has no endpoint {request.method} {request.path}"
        return Reply(404, json.dumps({"error": text}).encode(), _JSON, content_length=True)
    denied = _auth_error(emulator, request, body)
    if denied is not None:
        error_type, message = denied
        field = "Message" if message == _BAD_API_KEY else "message"
        return error_reply(403, served, error_type, message, field=field)
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        return error_reply(400, served, "ValidationException", _MALFORMED_BODY)
    scenario = emulator.scenarios.get(model)
    if scenario is None:
        if "." not in model:
            return error_reply(400, served, "ValidationException", _INVALID_MODEL)
        return error_reply(404, served)
    refusal = first_refusal(emulator.rules.get(_WIRE, ()), payload, model)
    if refusal is not None:
        return error_reply(400, served, "ValidationException", refusal.message)
    status = emulator._next_status(_WIRE, scenario)
    if status is not None:
        return _status_reply(status, served, scenario)
    return _stream_reply(scenario, served)


def request_id(served: int) -> str:
    """A deterministic ``x-amzn-RequestId`` (a UUID's shape) for request number ``served``."""
    hexa = "".join(f"{ord(c) % 16:x}" for c in ident(f"request:{served}", 32))
    return f"{hexa[:8]}-{hexa[8:12]}-{hexa[12:16]}-{hexa[16:20]}-{hexa[20:]}"


def error_reply(
    status: int,
    served: int,
    error_type: str | None = None,
    message: str | None = None,
    headers: Mapping[str, str] | None = None,
    *,
    field: str = "message",
) -> Reply:
    """Bedrock's HTTP error: ``{"message": ...}`` (``field``: the key, when not that) with its
    ``x-amzn-ErrorType``; the type and message default to the status's own (``ERROR_TYPES``)."""
    default_type = "InternalServerException" if status >= 500 else "ValidationException"
    known_type, known_message = ERROR_TYPES.get(status, (default_type, f"HTTP {status}"))
    sent = {
        "x-amzn-RequestId": request_id(served),
        "x-amzn-ErrorType": (error_type or known_type) + _ERROR_TYPE_SUFFIX,
        **(headers or {}),
    }
    data = json.dumps({field: message or known_message}).encode()
    return Reply(status, data, _JSON, headers=sent, content_length=True)


def _model_id(request: web.Request) -> str | None:
    """The percent-decoded model id of ``/model/{modelId}/converse-stream``; None elsewhere."""
    raw = request.raw_path.partition("?")[0]
    if not raw.startswith(PATH_PREFIX):
        return None
    encoded, _, method = raw[len(PATH_PREFIX) :].rpartition("/")
    if method != _METHOD or not encoded:
        return None
    return unquote(encoded)


def _auth_error(emulator: Emulator, request: web.Request, body: bytes) -> tuple[str, str] | None:
    """(error type, message) of the 403 this request gets, or None when its auth holds."""
    scheme, _, credentials = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer":
        key = credentials.strip()
        if key and (emulator.api_key is None or key == emulator.api_key):
            return None
        return "AccessDeniedException", _BAD_API_KEY
    access_key_id, secret = emulator.aws_credentials
    problem = check_signature(
        request.method,
        request.raw_path,
        list(request.headers.items()),
        body,
        secrets={access_key_id: secret},
    )
    return None if problem is None else (error_type(problem), problem)


def _status_reply(status: int, served: int, scenario: Scenario) -> Reply:
    faults = scenario.faults
    headers: dict[str, str] = {}
    if faults.retry_after is not None:
        headers["Retry-After"] = faults.retry_after
    if faults.retry_after_ms is not None:
        headers["retry-after-ms"] = str(faults.retry_after_ms)
    return error_reply(status, served, headers=headers)


def _stream_reply(scenario: Scenario, served: int) -> Reply:
    content_type, data = render(_WIRE, scenario)
    faults = scenario.faults
    return Reply(
        body=data,
        content_type=content_type,
        headers={"x-amzn-RequestId": request_id(served)},
        chunks=faults.chunks,
        chunk_delay=faults.chunk_delay,
        stall_after=_offset(scenario, faults.stall_after, faults.stall_after_events),
        stall_for=faults.stall_for,
        reset_after=_offset(scenario, faults.reset_after, faults.reset_after_events),
        truncate_after=_offset(scenario, faults.truncate_after, faults.truncate_after_events),
    )


def _offset(scenario: Scenario, after: int | None, events: int | None) -> int | None:
    """A fault's byte offset: given in bytes, or after this many content events."""
    if after is not None or events is None:
        return after
    return content_offset(_WIRE, scenario, events)

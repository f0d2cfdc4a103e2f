"""Each provider's own error bodies: HTTP errors (auth, unknown model, 429/5xx) and the errors
they send inside a 200 stream.

The texts are the providers' own, as their APIs return them and as users of the official SDKs
report them (OpenAI ``invalid_api_key`` and the missing-key message; Anthropic
``authentication_error`` ``invalid x-api-key`` / ``x-api-key header is required``; Gemini 400
``INVALID_ARGUMENT`` ``API key not valid`` with its ``API_KEY_INVALID`` detail, and 403
``PERMISSION_DENIED`` for a request with no key at all). Gemini's JSON-array endpoint (no
``alt=sse``) wraps its error body in an array, as the real one does.
"""

from __future__ import annotations

import json
from typing import Any

from rillet.emulator.render._events import compact, ident
from rillet.emulator.rules import Refusal
from rillet.emulator.scenario import ErrorKind

__all__ = [
    "auth_error",
    "family",
    "http_error",
    "not_found",
    "refusal_body",
    "responses_failure",
    "stream_error",
    "version_missing",
]

_OPENAI_KEYS_URL = "https://platform.openai.com/account/api-keys"
_OPENAI_NO_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header "
    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with "
    "blank username) if you're accessing the API from your browser and are prompted for a "
    f"username and password. You can obtain an API key from {_OPENAI_KEYS_URL}."
)
_GEMINI_NO_KEY = (
    "Method doesn't allow unregistered callers (callers without established identity). "
    "Please use API Key or other form of API consumer identity to call this API."
)
_GEMINI_BAD_KEY = "API key not valid. Please pass a valid API key."

# status -> (type, code, message) of OpenAI's {"error": {...}} bodies
_OPENAI: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "We could not parse the JSON body of your request."),
    403: (
        "request_forbidden",
        "unsupported_country_region_territory",
        "Country, region, or territory not supported",
    ),
    429: (
        "requests",
        "rate_limit_exceeded",
        "Rate limit reached for requests per min (RPM): Limit 3, Used 3, Requested 1. "
        "Please try again in 20s. Visit https://platform.openai.com/account/rate-limits "
        "to learn more.",
    ),
    500: (
        "server_error",
        None,
        "The server had an error while processing your request. Sorry about that!",
    ),
    503: ("server_error", None, "The server is overloaded or not ready yet."),
    529: ("server_error", None, "The server is overloaded or not ready yet."),
}
# status -> (error type, message) of Anthropic's {"type": "error", "error": {...}} bodies
_ANTHROPIC: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "messages: Field required"),
    403: (
        "permission_error",
        "Your API key does not have permission to use the specified resource.",
    ),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: (
        "rate_limit_error",
        "This request would exceed the rate limit for your organization of 50 requests per "
        "minute. For details, refer to: https://docs.claude.com/en/api/rate-limits.",
    ),
    500: ("api_error", "Internal server error"),
    504: ("timeout_error", "Request timed out"),
    529: ("overloaded_error", "Overloaded"),
}
# status -> (RPC status, message) of Gemini's {"error": {code, message, status}} bodies
_GEMINI: dict[int, tuple[str, str]] = {
    400: ("INVALID_ARGUMENT", "Invalid JSON payload received."),
    403: ("PERMISSION_DENIED", "The caller does not have permission"),
    429: (
        "RESOURCE_EXHAUSTED",
        "You exceeded your current quota, please check your plan and billing details. For more "
        "information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.",
    ),
    500: (
        "INTERNAL",
        "An internal error has occurred. Please retry or report in "
        "https://developers.generativeai.google/guide/troubleshooting",
    ),
    503: ("UNAVAILABLE", "The model is overloaded. Please try again later."),
    504: ("DEADLINE_EXCEEDED", "Deadline expired before operation could complete."),
    529: ("UNAVAILABLE", "The model is overloaded. Please try again later."),
}
# what an in-stream error of each kind stands for, as an HTTP status, per provider family
_KIND_STATUS: dict[str, dict[ErrorKind, int]] = {
    "openai": {"overloaded": 503, "rate_limit": 429, "server": 500, "invalid_request": 400},
    "anthropic": {"overloaded": 529, "rate_limit": 429, "server": 500, "invalid_request": 400},
    "gemini": {"overloaded": 503, "rate_limit": 429, "server": 500, "invalid_request": 400},
}
_INVALID_IN_STREAM = "The request could not be processed: the prompt is too long."
# the Responses API's error codes for each kind (its ``error`` event and ``response.failed``)
_RESPONSES_CODES: dict[ErrorKind, tuple[str, str]] = {
    "overloaded": ("server_is_overloaded", "The server is overloaded or not ready yet."),
    "rate_limit": ("rate_limit_exceeded", "Rate limit reached for requests per min (RPM)."),
    "server": (
        "server_error",
        "An error occurred while processing your request. Please retry your request.",
    ),
    "invalid_request": ("invalid_prompt", "Invalid prompt: the input could not be processed."),
}


def family(wire: str) -> str:
    """``openai`` (Chat and Responses, on Azure too), ``anthropic`` (on Vertex too) or
    ``gemini`` (SSE and JSON array, on Vertex too)."""
    if wire.startswith(("openai", "azure")):
        return "openai"
    if wire.startswith("gemini") or wire == "vertex":
        return "gemini"
    return "anthropic"


def http_error(wire: str, status: int, message: str | None = None) -> bytes:
    """The body of an HTTP error ``status`` as ``wire``'s provider sends it."""
    kind = family(wire)
    if kind == "openai":
        default_type = "server_error" if status >= 500 else "invalid_request_error"
        error_type, code, text = _OPENAI.get(status, (default_type, None, f"HTTP {status}"))
        return _openai_body(message or text, error_type, code)
    if kind == "anthropic":
        default_type = "api_error" if status >= 500 else "invalid_request_error"
        error_type, text = _ANTHROPIC.get(status, (default_type, f"HTTP {status}"))
        return _anthropic_body(error_type, message or text)
    rpc = "INTERNAL" if status >= 500 else "INVALID_ARGUMENT"
    rpc_status, text = _GEMINI.get(status, (rpc, f"HTTP {status}"))
    return _gemini_body(wire, {"code": status, "message": message or text, "status": rpc_status})


def auth_error(wire: str, key: str | None) -> tuple[int, bytes]:
    """The status and body for a missing (``key`` None) or wrong key."""
    kind = family(wire)
    if kind == "openai":
        if key is None:
            return 401, _openai_body(_OPENAI_NO_KEY, "invalid_request_error", None)
        text = (
            f"Incorrect API key provided: {_mask(key)}. You can find your API key at "
            f"{_OPENAI_KEYS_URL}."
        )
        return 401, _openai_body(text, "invalid_request_error", "invalid_api_key")
    if kind == "anthropic":
        text = "x-api-key header is required" if key is None else "invalid x-api-key"
        return 401, _anthropic_body("authentication_error", text)
    if key is None:
        error = {"code": 403, "message": _GEMINI_NO_KEY, "status": "PERMISSION_DENIED"}
        return 403, _gemini_body(wire, error)
    error = {
        "code": 400,
        "message": _GEMINI_BAD_KEY,
        "status": "INVALID_ARGUMENT",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": {"service": "generativelanguage.googleapis.com"},
            },
            {
                "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
                "locale": "en-US",
                "message": _GEMINI_BAD_KEY,
            },
        ],
    }
    return 400, _gemini_body(wire, error)


def not_found(wire: str, model: str) -> bytes:
    """The 404 body for a model the emulator has no scenario for."""
    kind = family(wire)
    if kind == "openai":
        text = f"The model `{model}` does not exist or you do not have access to it."
        return _openai_body(text, "invalid_request_error", "model_not_found")
    if kind == "anthropic":
        return _anthropic_body("not_found_error", f"model: {model}")
    text = (
        f"models/{model} is not found for API version v1beta, or is not supported for "
        "generateContent. Call ListModels to see the list of available models and their "
        "supported methods."
    )
    return _gemini_body(wire, {"code": 404, "message": text, "status": "NOT_FOUND"})


def refusal_body(wire: str, refusal: Refusal) -> bytes:
    """The 400 body for a request a provider rule refuses (``rillet.emulator.rules``)."""
    kind = family(wire)
    if kind == "openai":
        return _openai_body(refusal.message, "invalid_request_error", refusal.code, refusal.param)
    if kind == "anthropic":
        return _anthropic_body("invalid_request_error", refusal.message)
    error = {"code": 400, "message": refusal.message, "status": "INVALID_ARGUMENT"}
    return _gemini_body(wire, error)


def version_missing() -> bytes:
    """Anthropic's 400 for a request without the ``anthropic-version`` header."""
    return _anthropic_body("invalid_request_error", "anthropic-version: header is required")


def stream_error(wire: str, kind: ErrorKind, message: str = "") -> dict[str, Any]:
    """The data of an error sent inside a 200 stream (the event framing is the wire's)."""
    provider = family(wire)
    if wire == "openai-responses":
        code, text = _RESPONSES_CODES[kind]
        return {"type": "error", "code": code, "message": message or text, "param": None}
    status = _KIND_STATUS[provider][kind]
    if kind == "invalid_request":
        message = message or _INVALID_IN_STREAM
    if provider == "anthropic":
        error_type, text = _ANTHROPIC[status]
        return {"type": "error", "error": {"type": error_type, "message": message or text}}
    if provider == "gemini":
        rpc_status, text = _GEMINI[status]
        return {"error": {"code": status, "message": message or text, "status": rpc_status}}
    # OpenAI Chat (and the servers that speak it): the status as a numeric ``code``, as
    # OpenRouter sends it mid-stream, beside OpenAI's own ``type``.
    error_type, _, text = _OPENAI[status]
    error = {"message": message or text, "type": error_type, "param": None, "code": status}
    return {"error": error}


def responses_failure(kind: ErrorKind, message: str = "") -> dict[str, str]:
    """The ``error`` object of a ``response.failed`` response."""
    code, text = _RESPONSES_CODES[kind]
    return {"code": code, "message": message or text}


def _mask(key: str) -> str:
    """OpenAI shows a wrong key's first 8 and last 4 characters; short keys not at all."""
    if len(key) <= 12:
        return "*" * len(key)
    return key[:8] + "*" * (len(key) - 12) + key[-4:]


def _openai_body(
    message: str, error_type: str, code: str | None, param: str | None = None
) -> bytes:
    error = {"message": message, "type": error_type, "param": param, "code": code}
    return json.dumps({"error": error}, indent=4).encode() + b"\n"


def _anthropic_body(error_type: str, message: str) -> bytes:
    body = {
        "type": "error",
        "error": {"type": error_type, "message": message},
        "request_id": "req_011C" + ident(f"{error_type}:{message}", 20),
    }
    return compact(body).encode()


def _gemini_body(wire: str, error: dict[str, Any]) -> bytes:
    body: Any = {"error": error}
    if wire == "gemini-json":
        body = [body]
    return json.dumps(body, ensure_ascii=False, indent=2).encode() + b"\n"

"""The response headers the bench server sends: each provider's usual set, not just a
content type.

A real response carries some 10 to 25 headers: the request id, the rate limits (OpenAI's
``x-ratelimit-*``, Anthropic's ``anthropic-ratelimit-*``), cookies, and its CDN's own. Every
consumer's HTTP client parses them all, and rillet also reads the request id, the rate limits
and a credential-free copy of the rest for each response (``LLMResponse.headers``): sending
only ``content-type`` would leave that cost out of every table. The names are the ones the
providers document; the values vary per request where theirs do (ids, counts, timings).
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

__all__ = ["response_headers"]


def _openai(served: int) -> dict[str, str]:
    return {
        "access-control-expose-headers": "X-Request-ID",
        "openai-organization": "user-benchorg0000000000000000",
        "openai-processing-ms": str(180 + served % 97),
        "openai-project": "proj_bench000000000000000000",
        "openai-version": "2020-10-01",
        "x-envoy-upstream-service-time": str(190 + served % 89),
        "x-ratelimit-limit-requests": "10000",
        "x-ratelimit-limit-tokens": "30000000",
        "x-ratelimit-remaining-requests": str(9999 - served % 10000),
        "x-ratelimit-remaining-tokens": str(29999000 - served % 1000 * 1000),
        "x-ratelimit-reset-requests": f"{6 + served % 3}ms",
        "x-ratelimit-reset-tokens": "0s",
        "x-request-id": f"req_{served:032x}",
        "strict-transport-security": "max-age=31536000; includeSubDomains; preload",
        "cf-cache-status": "DYNAMIC",
        "set-cookie": f"__cf_bm=bench{served:08d}; path=/; domain=.api.openai.com; HttpOnly; "
        "Secure; SameSite=None",
        "x-content-type-options": "nosniff",
        "server": "cloudflare",
        "cf-ray": f"{served:016x}-AMS",
        "alt-svc": 'h3=":443"; ma=86400',
    }


def _anthropic(served: int) -> dict[str, str]:
    reset = datetime.fromtimestamp(int(time.time()) + 1, tz=timezone.utc)
    at = reset.strftime("%Y-%m-%dT%H:%M:%SZ")
    headers = {
        "request-id": f"req_011C{served:020d}",
        "anthropic-organization-id": "00000000-0000-0000-0000-000000000000",
        "via": "1.1 google",
        "cf-cache-status": "DYNAMIC",
        "x-robots-tag": "none",
        "server": "cloudflare",
        "cf-ray": f"{served:016x}-AMS",
    }
    for quota, limit in (
        ("requests", 4000),
        ("tokens", 480000),
        ("input-tokens", 400000),
        ("output-tokens", 80000),
    ):
        # What is left falls request by request (tokens to the thousand, as Anthropic rounds).
        used = served % 1000 if quota == "requests" else served % 50 * 1000
        headers[f"anthropic-ratelimit-{quota}-limit"] = str(limit)
        headers[f"anthropic-ratelimit-{quota}-remaining"] = str(limit - used)
        headers[f"anthropic-ratelimit-{quota}-reset"] = at
    return headers


def _gemini(served: int) -> dict[str, str]:
    return {
        "vary": "Origin, X-Origin, Referer",
        "server": "scaffolding on HTTPServer2",
        "x-xss-protection": "0",
        "x-frame-options": "SAMEORIGIN",
        "x-content-type-options": "nosniff",
        "server-timing": f"gfet4t7; dur={300 + served % 211}",
        "alt-svc": 'h3=":443"; ma=2592000,h3-29=":443"; ma=2592000',
    }


def _bedrock(served: int) -> dict[str, str]:
    return {
        "x-amzn-requestid": f"{served:08x}-0000-4000-8000-000000000000",
    }


_BY_FORMAT = {
    "openai-chat": _openai,
    "openai-responses": _openai,
    "anthropic": _anthropic,
    "gemini-sse": _gemini,
    "gemini-json": _gemini,
    "bedrock": _bedrock,
}


def response_headers(fmt: str, served: int) -> dict[str, str]:
    """The headers of the ``served``-th response in wire format ``fmt`` (none for another)."""
    headers = _BY_FORMAT.get(fmt)
    return {} if headers is None else headers(served)

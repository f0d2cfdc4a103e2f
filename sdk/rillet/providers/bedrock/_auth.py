"""How a Bedrock request is authorized: a Bedrock API key, or SigV4 over the exact bytes sent.

    auth = BedrockAuth.resolve(api_key=None, credentials=None, profile=None, region="us-east-1")
    await auth.apply("POST", url, headers, body)   # just before sending: headers gain the auth

A Bedrock API key (``AWS_BEARER_TOKEN_BEDROCK``) goes as ``Authorization: Bearer`` and wins
when given; otherwise the request is signed with credentials from the source given, or from
``default_credentials`` (``_credentials``), found at the first request, not before.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import datetime, timezone

from rillet._exceptions import ConfigurationError
from rillet.providers.bedrock._credentials import (
    CredentialSource,
    DefaultCredentials,
    StaticCredentials,
)
from rillet.providers.bedrock._sigv4 import AWSCredentials, sign_headers

__all__ = ["REGION_ENV_VARS", "BedrockAuth", "resolve_region"]

REGION_ENV_VARS = ("AWS_REGION", "AWS_DEFAULT_REGION")

# The region becomes part of a host name: letters, digits and single inner hyphens only.
_REGION = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
_REPLACED = frozenset({"authorization", "x-amz-date", "x-amz-security-token"})


def resolve_region(region: str | None) -> str:
    """The AWS region: ``region``, else ``AWS_REGION``, else ``AWS_DEFAULT_REGION``; none, or
    one that is not a region's shape (``us-east-1``), is a ``ConfigurationError``."""
    source = "region"
    if not region:
        source, region = next(
            ((name, os.environ[name]) for name in REGION_ENV_VARS if os.environ.get(name)),
            (source, None),
        )
    if not region:
        raise ConfigurationError(
            "no AWS region for provider 'bedrock': pass options={'region': 'us-east-1'} "
            "or set AWS_REGION (or AWS_DEFAULT_REGION)"
        )
    if not _REGION.match(region):
        raise ConfigurationError(
            f"{source}={region!r} is not an AWS region: lower-case letters, digits and "
            "hyphens, such as 'us-east-1'"
        )
    return region


class BedrockAuth:
    """Adds a Bedrock request's credentials to its headers: a bearer API key, or a SigV4
    signature (service ``bedrock``, the region) made from a ``CredentialSource``."""

    def __init__(
        self,
        *,
        region: str,
        api_key: str | None = None,
        credentials: CredentialSource | None = None,
        service: str = "bedrock",
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if not api_key and credentials is None:
            raise ConfigurationError("BedrockAuth needs an api_key or a credential source")
        self.region = region
        self.service = service
        self._api_key = api_key or None
        self._credentials = credentials
        self._clock = clock or (lambda: datetime.now(timezone.utc))

    @classmethod
    def resolve(
        cls,
        *,
        api_key: str | None,
        credentials: AWSCredentials | CredentialSource | None,
        profile: str | None,
        region: str,
    ) -> BedrockAuth:
        """The auth the caller's options ask for: ``api_key`` (a Bedrock API key) if given,
        else SigV4 with ``credentials`` (fixed keys or a source), else with the chain of
        ``default_credentials(profile)``, which is looked at when the first request is sent."""
        if api_key:
            return cls(region=region, api_key=api_key)
        if credentials is not None and profile is not None:
            raise ConfigurationError("pass AWS credentials= or profile=, not both")
        if isinstance(credentials, AWSCredentials):
            return cls(region=region, credentials=StaticCredentials(credentials))
        if credentials is not None:
            if not isinstance(credentials, CredentialSource):
                raise ConfigurationError(
                    f"credentials= takes AWSCredentials or a source with an async get(), "
                    f"not {type(credentials).__name__}"
                )
            return cls(region=region, credentials=credentials)
        return cls(region=region, credentials=DefaultCredentials(profile))

    async def apply(self, method: str, url: str, headers: dict[str, str], body: bytes) -> None:
        """Add the credentials to ``headers`` for sending ``body`` to ``url`` now (any earlier
        ``authorization``, ``x-amz-date`` or ``x-amz-security-token`` is replaced)."""
        for name in [n for n in headers if n.lower() in _REPLACED]:
            del headers[name]
        if self._api_key is not None:
            headers["authorization"] = f"Bearer {self._api_key}"
            return
        assert self._credentials is not None
        credentials = await self._credentials.get()
        headers.update(
            sign_headers(
                method,
                url,
                headers,
                body,
                credentials=credentials,
                region=self.region,
                service=self.service,
                now=self._clock(),
            )
        )

    def __repr__(self) -> str:
        how = "api_key=[REDACTED]" if self._api_key else f"credentials={self._credentials!r}"
        return f"BedrockAuth(region={self.region!r}, {how})"

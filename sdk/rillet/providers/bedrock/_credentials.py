"""Where the AWS credentials that sign a Bedrock request come from.

    source = default_credentials(profile=None)   # resolved lazily, at the first request
    credentials = await source.get()

``default_credentials`` looks, in this order, at:

1. the environment: ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``
   (skipped when a ``profile=`` is passed, as botocore does);
2. the profile (``profile=``, else ``AWS_PROFILE``, else ``default``) with static keys in the
   shared credentials file (``AWS_SHARED_CREDENTIALS_FILE``, default ``~/.aws/credentials``)
   or the config file (``AWS_CONFIG_FILE``, default ``~/.aws/config``, ``[profile name]``);
3. with the optional extra ``rillet[aws]`` installed, botocore's whole credential chain (SSO,
   assume-role, ``credential_process``, container and instance roles). botocore is imported
   only then, and used for credentials only: its blocking loads and refreshes run in a thread.

Credentials with an ``expiry`` are kept until ``REFRESH_MARGIN`` before it, then loaded again.
Nothing found is a ``MissingAWSCredentialsError``. No message here holds a secret.
"""

from __future__ import annotations

import asyncio
import configparser
import importlib
import os
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from rillet._exceptions import ConfigurationError, MissingAPIKeyError
from rillet._redact import redact_text
from rillet.providers.bedrock._sigv4 import AWSCredentials

__all__ = [
    "CREDENTIAL_ENV_VARS",
    "REFRESH_MARGIN",
    "CredentialSource",
    "DefaultCredentials",
    "MissingAWSCredentialsError",
    "StaticCredentials",
    "botocore_installed",
    "default_credentials",
    "environment_credentials",
    "profile_credentials",
]

REFRESH_MARGIN = timedelta(minutes=5)
"""Temporary credentials are loaded again this long before they expire: a request signed now
may wait for a retry, and AWS accepts a signature for 5 minutes."""

CREDENTIAL_ENV_VARS = (
    "AWS_BEARER_TOKEN_BEDROCK",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
)

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


@runtime_checkable
class CredentialSource(Protocol):
    """Anything that gives AWS credentials when a request is about to be signed."""

    async def get(self) -> AWSCredentials:
        """The credentials to sign with now (fresh: refreshed before they expire)."""
        ...


class MissingAWSCredentialsError(MissingAPIKeyError):
    """No Bedrock API key and no AWS credentials were found anywhere."""

    def __init__(self, detail: str = "") -> None:
        message = (
            "no credentials for provider 'bedrock': pass api_key=... (a Bedrock API key) or "
            "credentials=..., or set AWS_BEARER_TOKEN_BEDROCK, or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary keys), or AWS_PROFILE "
            "naming a profile with keys in ~/.aws/credentials; SSO, assume-role and instance "
            "roles need the optional extra: pip install 'rillet[aws]'"
        )
        ConfigurationError.__init__(self, f"{message}{detail}")
        self.provider = "bedrock"
        self.env_vars = CREDENTIAL_ENV_VARS


class StaticCredentials:
    """Always the same credentials."""

    def __init__(self, credentials: AWSCredentials) -> None:
        self._credentials = credentials

    async def get(self) -> AWSCredentials:
        return self._credentials

    def __repr__(self) -> str:
        return f"StaticCredentials({self._credentials!r})"


def environment_credentials(environ: Mapping[str, str] | None = None) -> AWSCredentials | None:
    """The keys in ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` (and ``AWS_SESSION_TOKEN``),
    or None when neither is set; one without the other is a ``ConfigurationError``."""
    env = os.environ if environ is None else environ
    key_id, secret = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
    if not key_id and not secret:
        return None
    if not key_id or not secret:
        missing = "AWS_SECRET_ACCESS_KEY" if key_id else "AWS_ACCESS_KEY_ID"
        raise ConfigurationError(f"AWS credentials in the environment lack {missing}")
    return AWSCredentials(key_id, secret, env.get("AWS_SESSION_TOKEN") or None)


def profile_credentials(
    profile: str, environ: Mapping[str, str] | None = None
) -> tuple[AWSCredentials | None, bool]:
    """The static keys of ``profile`` from the shared credentials file, else the config file,
    and whether the profile exists in either (one without keys is for botocore: SSO, roles)."""
    env = os.environ if environ is None else environ
    home = Path(env.get("HOME") or Path.home())
    files = (
        (Path(env.get("AWS_SHARED_CREDENTIALS_FILE") or home / ".aws" / "credentials"), profile),
        (
            Path(env.get("AWS_CONFIG_FILE") or home / ".aws" / "config"),
            profile if profile == "default" else f"profile {profile}",
        ),
    )
    found = False
    for path, section in files:
        values = _section(path.expanduser(), section)
        if values is None and path.name == "config" and profile == "default":
            values = _section(path.expanduser(), "profile default")
        if values is None:
            continue
        found = True
        key_id, secret = values.get("aws_access_key_id"), values.get("aws_secret_access_key")
        if key_id and secret:
            token = values.get("aws_session_token") or values.get("aws_security_token")
            return AWSCredentials(key_id, secret, token or None), True
        if key_id or secret:
            missing = "aws_secret_access_key" if key_id else "aws_access_key_id"
            raise ConfigurationError(f"AWS profile {profile!r} in {path} lacks {missing}")
    return None, found


def botocore_installed() -> bool:
    """Whether botocore (the ``rillet[aws]`` extra) can be imported."""
    try:
        importlib.import_module("botocore.session")
    except ImportError:
        return False
    return True


class DefaultCredentials:
    """The environment, then the profile's static keys, then botocore's chain (see the module
    docstring), chosen at the first ``get`` and kept; credentials with an expiry are loaded
    again ``REFRESH_MARGIN`` before it (``clock`` gives the time, aware UTC)."""

    def __init__(self, profile: str | None = None, *, clock: Clock = _utc_now) -> None:
        self.profile = profile
        self._clock = clock
        self._load: Callable[[], Awaitable[AWSCredentials]] | None = None
        self._cached: AWSCredentials | None = None
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    async def get(self) -> AWSCredentials:
        if self._fresh(self._cached):
            assert self._cached is not None
            return self._cached
        async with self._loop_lock():
            if not self._fresh(self._cached):  # another task may have loaded them meanwhile
                self._cached = await self._reload()
            assert self._cached is not None
            return self._cached

    def __repr__(self) -> str:
        return f"DefaultCredentials(profile={self.profile!r})"

    def _fresh(self, credentials: AWSCredentials | None) -> bool:
        if credentials is None:
            return False
        return credentials.expiry is None or self._clock() < credentials.expiry - REFRESH_MARGIN

    def _loop_lock(self) -> asyncio.Lock:
        # One lock per event loop: the sync client runs its own loop.
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock, self._lock_loop = asyncio.Lock(), loop
        return self._lock

    async def _reload(self) -> AWSCredentials:
        if self._load is not None:  # the botocore chain, chosen before: it refreshes
            return await self._load()
        explicit = self.profile is not None
        if not explicit and (found := environment_credentials()) is not None:
            return found
        profile = self.profile or os.environ.get("AWS_PROFILE") or "default"
        found, exists = profile_credentials(profile)
        if found is not None:
            return found
        if botocore_installed():
            chain = _BotocoreChain(self.profile or os.environ.get("AWS_PROFILE"))
            self._load = chain.get
            return await chain.get()
        if exists:
            raise MissingAWSCredentialsError(
                f" (profile {profile!r} has no static keys: its SSO, role or process "
                "credentials are read through botocore)"
            )
        if profile != "default":
            raise ConfigurationError(
                f"AWS profile {profile!r} is in neither the shared credentials file nor the "
                "config file (~/.aws/credentials, ~/.aws/config, or AWS_SHARED_CREDENTIALS_FILE "
                "and AWS_CONFIG_FILE)"
            )
        raise MissingAWSCredentialsError()


def default_credentials(profile: str | None = None) -> DefaultCredentials:
    """The credential chain of the module docstring for ``profile`` (or ``AWS_PROFILE``)."""
    return DefaultCredentials(profile)


class _BotocoreChain:
    """botocore's credential chain behind a narrow typed face; its blocking loads (files, the
    instance metadata service, SSO, STS, a process) run in a thread."""

    def __init__(self, profile: str | None) -> None:
        self._profile = profile
        self._credentials: Any = None

    async def get(self) -> AWSCredentials:
        try:
            if self._credentials is None:
                self._credentials = await asyncio.to_thread(self._resolve)
            frozen = await asyncio.to_thread(self._credentials.get_frozen_credentials)
        except ConfigurationError:
            raise
        except Exception as exc:  # botocore's own errors: a typed one, without secrets
            raise ConfigurationError(
                f"botocore could not load AWS credentials: {type(exc).__name__}: "
                f"{redact_text(str(exc))}"
            ) from None
        # RefreshableCredentials keeps when they expire only in a private attribute.
        expiry = getattr(self._credentials, "_expiry_time", None)
        if not isinstance(expiry, datetime):
            expiry = _utc_now() if hasattr(self._credentials, "_expiry_time") else None
        elif expiry.tzinfo is None:
            expiry = expiry.replace(tzinfo=timezone.utc)
        return AWSCredentials(
            str(frozen.access_key),
            str(frozen.secret_key),
            str(frozen.token) if frozen.token else None,
            expiry.astimezone(timezone.utc) if expiry is not None else None,
        )

    def _resolve(self) -> Any:
        session_module = importlib.import_module("botocore.session")
        credentials = session_module.Session(profile=self._profile).get_credentials()
        if credentials is None:
            raise MissingAWSCredentialsError(" (botocore's credential chain found none either)")
        return credentials


def _section(path: Path, name: str) -> dict[str, str] | None:
    if not path.is_file():
        return None
    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except configparser.ParsingError as exc:  # its text quotes the lines: secrets, maybe
        numbers = [n for n, _ in getattr(exc, "errors", ())] or [getattr(exc, "lineno", "?")]
        lines = ", ".join(str(number) for number in numbers)
        raise ConfigurationError(f"{path} is not an AWS config file (line {lines})") from None
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise ConfigurationError(
            f"{path} is not an AWS config file ({type(exc).__name__})"
        ) from None
    if not parser.has_section(name):
        return None
    return {key: value.strip() for key, value in parser.items(name)}

"""Where Bedrock's AWS credentials come from: the environment, a profile's static keys in the
shared files, then botocore's chain (here: a real ``credential_process``), refreshed before
they expire; nothing found is a typed error naming what to set, never quoting a secret."""

from __future__ import annotations

import asyncio
import shlex
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from rillet import ConfigurationError, MissingAPIKeyError
from rillet.providers.bedrock import _credentials
from rillet.providers.bedrock._credentials import (
    REFRESH_MARGIN,
    DefaultCredentials,
    MissingAWSCredentialsError,
    StaticCredentials,
    default_credentials,
)
from rillet.providers.bedrock._sigv4 import AWSCredentials

ENV_SECRET = "env-secret-0123456789abcdefghijklmnopqrst"
FILE_SECRET = "file-secret-0123456789abcdefghijklmnopqr"
CONFIG_SECRET = "config-secret-0123456789abcdefghijklmnop"


@pytest.fixture(autouse=True)
def clean_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No AWS variable of the machine running the tests, a home of its own, and no instance
    metadata service for botocore to wait on."""
    import os

    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    return tmp_path


@pytest.fixture
def without_botocore(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_credentials, "botocore_installed", lambda: False)


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def _get(source: DefaultCredentials) -> AWSCredentials:
    return asyncio.run(source.get())


def test_keys_in_the_environment_are_read_at_the_first_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = default_credentials()  # nothing is read yet: the variables come later
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENVEXAMPLE000000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", ENV_SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", "env-token")
    assert _get(source) == AWSCredentials("AKIAENVEXAMPLE000000", ENV_SECRET, "env-token")


def test_half_a_key_in_the_environment_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", ENV_SECRET)
    with pytest.raises(ConfigurationError, match="lack AWS_ACCESS_KEY_ID") as caught:
        _get(default_credentials())
    assert ENV_SECRET not in str(caught.value)


def test_a_profile_in_the_shared_credentials_file(
    monkeypatch: pytest.MonkeyPatch, clean_aws: Path
) -> None:
    _write(
        clean_aws / "credentials",
        "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = default-secret\n"
        f"[work]\naws_access_key_id = AKIAWORK\naws_secret_access_key = {FILE_SECRET}\n"
        "aws_session_token = work-token\n",
    )
    assert _get(default_credentials()) == AWSCredentials("AKIADEFAULT", "default-secret")
    monkeypatch.setenv("AWS_PROFILE", "work")
    assert _get(default_credentials()) == AWSCredentials("AKIAWORK", FILE_SECRET, "work-token")


def test_the_config_file_holds_profiles_as_profile_name(clean_aws: Path) -> None:
    _write(
        clean_aws / "config",
        "[profile dev]\nregion = us-west-2\naws_access_key_id = AKIADEV\n"
        f"aws_secret_access_key = {CONFIG_SECRET}\n",
    )
    assert _get(DefaultCredentials("dev")) == AWSCredentials("AKIADEV", CONFIG_SECRET)


def test_the_credentials_file_wins_over_the_config_file(clean_aws: Path) -> None:
    _write(clean_aws / "credentials", "[dev]\naws_access_key_id = A1\naws_secret_access_key = s1\n")
    _write(
        clean_aws / "config",
        "[profile dev]\naws_access_key_id = A2\naws_secret_access_key = s2\n",
    )
    assert _get(DefaultCredentials("dev")).access_key_id == "A1"


def test_environment_keys_win_over_aws_profile_but_not_over_profile_given(
    monkeypatch: pytest.MonkeyPatch, clean_aws: Path
) -> None:
    _write(
        clean_aws / "credentials", "[dev]\naws_access_key_id = AFILE\naws_secret_access_key = s\n"
    )
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", ENV_SECRET)
    monkeypatch.setenv("AWS_PROFILE", "dev")
    assert _get(default_credentials()).access_key_id == "AENV"
    assert _get(default_credentials("dev")).access_key_id == "AFILE"  # as botocore does


def test_a_profile_lacking_its_secret_is_a_configuration_error(clean_aws: Path) -> None:
    _write(clean_aws / "credentials", "[dev]\naws_access_key_id = AKIADEV\n")
    with pytest.raises(ConfigurationError, match=r"'dev' .* lacks aws_secret_access_key"):
        _get(default_credentials("dev"))


def test_an_unreadable_file_is_named_without_quoting_its_lines(clean_aws: Path) -> None:
    _write(clean_aws / "credentials", f"aws_secret_access_key = {FILE_SECRET}\n[x\n")
    with pytest.raises(ConfigurationError, match="is not an AWS config file") as caught:
        _get(default_credentials())
    assert FILE_SECRET not in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


@pytest.mark.usefixtures("without_botocore")
def test_nothing_found_names_the_variables_and_the_aws_extra() -> None:
    with pytest.raises(MissingAWSCredentialsError) as caught:
        _get(default_credentials())
    error = caught.value
    assert isinstance(error, MissingAPIKeyError)
    assert isinstance(error, ConfigurationError)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "rillet[aws]"):
        assert name in error.message
    assert "AWS_BEARER_TOKEN_BEDROCK" in error.env_vars
    assert error.provider == "bedrock"


@pytest.mark.usefixtures("without_botocore")
def test_without_botocore_a_profile_of_roles_or_sso_says_botocore_is_needed(
    clean_aws: Path,
) -> None:
    _write(clean_aws / "config", "[profile sso]\nsso_session = corp\nsso_account_id = 1\n")
    with pytest.raises(MissingAWSCredentialsError, match=r"has no static keys.*botocore"):
        _get(default_credentials("sso"))
    with pytest.raises(ConfigurationError, match="'nope' is in neither"):
        _get(default_credentials("nope"))


def _credential_process(tmp_path: Path, *, lifetime: timedelta, fail: bool = False) -> Path:
    """A ``credential_process`` for botocore that counts its runs and gives new keys each
    time, expiring ``lifetime`` after it runs (real time)."""
    counter = tmp_path / "runs"
    script = tmp_path / "creds.py"
    _write(
        script,
        "import json, sys, pathlib, datetime\n"
        f"counter = pathlib.Path({str(counter)!r})\n"
        "n = int(counter.read_text()) + 1 if counter.exists() else 1\n"
        "counter.write_text(str(n))\n"
        f"if {fail!r}:\n"
        "    sys.stderr.write('denied for AKIAABCDEFGHIJKLMNOP')\n"
        "    sys.exit(1)\n"
        "expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta("
        f"seconds={lifetime.total_seconds()})\n"
        "print(json.dumps({'Version': 1, 'AccessKeyId': f'ASIAPROCESS{n:09d}',"
        " 'SecretAccessKey': f'process-secret-{n}', 'SessionToken': f'process-token-{n}',"
        " 'Expiration': expires.strftime('%Y-%m-%dT%H:%M:%SZ')}))\n",
    )
    command = f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"
    _write(tmp_path / "config", f"[profile proc]\ncredential_process = {command}\n")
    return counter


def test_botocores_chain_loads_a_credential_process(clean_aws: Path) -> None:
    counter = _credential_process(clean_aws, lifetime=timedelta(hours=1))
    source = default_credentials("proc")
    first = _get(source)
    assert first.access_key_id == "ASIAPROCESS000000001"
    assert first.secret_access_key == "process-secret-1"
    assert first.session_token == "process-token-1"
    assert first.expiry is not None
    assert first.expiry.tzinfo is not None
    assert timedelta(minutes=55) < first.expiry - datetime.now(timezone.utc) <= timedelta(hours=1)
    assert _get(source) == first
    assert counter.read_text() == "1"  # kept, not loaded again


def test_temporary_credentials_are_loaded_again_before_they_expire(clean_aws: Path) -> None:
    # 11 minutes: botocore itself refreshes whatever has less than 15 left whenever asked, so
    # each time rillet asks botocore the process runs once more.
    counter = _credential_process(clean_aws, lifetime=timedelta(minutes=11))
    start = datetime.now(timezone.utc)
    now = [start]
    source = DefaultCredentials("proc", clock=lambda: now[0])

    async def scenario() -> list[str]:
        seen = [(await source.get()).access_key_id]
        runs_after_first = counter.read_text()
        now[0] = start + timedelta(minutes=11) - REFRESH_MARGIN - timedelta(seconds=30)
        seen.append((await source.get()).access_key_id)
        assert counter.read_text() == runs_after_first  # still fresh enough: kept
        now[0] = start + timedelta(minutes=11) - REFRESH_MARGIN + timedelta(seconds=30)
        seen.append((await source.get()).access_key_id)
        return seen

    first, kept, refreshed = asyncio.run(scenario())
    assert kept == first
    assert refreshed != first
    assert int(counter.read_text()) == int(refreshed[-9:])


def test_concurrent_first_requests_load_the_chain_once(clean_aws: Path) -> None:
    counter = _credential_process(clean_aws, lifetime=timedelta(hours=1))
    source = default_credentials("proc")

    async def many() -> set[AWSCredentials]:
        return set(await asyncio.gather(*(source.get() for _ in range(8))))

    assert len(asyncio.run(many())) == 1
    assert counter.read_text() == "1"


def test_a_failing_chain_is_a_configuration_error_without_the_key(clean_aws: Path) -> None:
    _credential_process(clean_aws, lifetime=timedelta(hours=1), fail=True)
    with pytest.raises(ConfigurationError, match="botocore could not load AWS credentials") as e:
        _get(default_credentials("proc"))
    assert "AKIAABCDEFGHIJKLMNOP" not in str(e.value)
    assert e.value.__cause__ is None


def test_botocore_finding_nothing_is_the_missing_credentials_error() -> None:
    with pytest.raises(MissingAWSCredentialsError, match="botocore's credential chain found none"):
        _get(default_credentials())


def test_an_unknown_profile_through_botocore_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="ProfileNotFound"):
        _get(default_credentials("missing-profile"))


def test_reprs_show_no_secret() -> None:
    static = StaticCredentials(AWSCredentials("AKIAREPR", FILE_SECRET, "repr-token"))
    chain = default_credentials("dev")
    for shown in (repr(static), repr(chain)):
        assert FILE_SECRET not in shown
        assert "repr-token" not in shown
    assert "AKIAREPR" in repr(static)
    assert "'dev'" in repr(chain)

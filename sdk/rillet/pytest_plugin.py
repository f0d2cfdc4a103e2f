"""rillet's pytest plugin: your own rillet streams, recorded once as cassettes, replayed after.

    @pytest.mark.rillet_cassette
    async def test_summary() -> None:
        async with LLMClient(provider="anthropic", model="claude-sonnet-4-5") as client:
            response = await client.call("Summarise: ...")
        assert "..." in response.text

The first run calls the real API (keys from your environment) and writes the exchange to
``cassettes/<test module>/<test name>.yaml`` next to the test file; later runs replay it, with
no key and no network. Before anything is written, credentials are scrubbed as in rillet's own
cassettes: ``Authorization``, ``x-api-key``, ``x-goog-api-key``, ``api-key``, cookies,
organization and project ids, ``key=`` query parameters, the values of ``*_API_KEY`` variables
and anything key-shaped. Requests match on method, URL and JSON body.

- ``@pytest.mark.rillet_cassette("name", record_mode=..., match_on=...)``, or the
  ``rillet_cassette`` fixture (the vcrpy ``Cassette`` in use during the test);
- ``--rillet-record[=MODE]``: vcrpy's record mode for this run (``all``, when given alone,
  records each cassette afresh; ``none`` in CI makes a missing exchange fail instead of calling
  the API);
- ini options ``rillet_record_mode`` (default ``once``) and ``rillet_cassette_dir`` (default
  ``cassettes``, relative to each test file).

Registered through the ``pytest11`` entry point; it needs ``rillet[conformance]`` (vcrpy >= 8.5,
PyYAML) only when a test uses a cassette.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

__all__ = ["rillet_cassette"]

_MODES = ("none", "once", "new_episodes", "all")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("rillet", "rillet cassettes")
    group.addoption(
        "--rillet-record",
        nargs="?",
        const="all",
        default=None,
        choices=_MODES,
        metavar="MODE",
        help="vcrpy record mode for rillet cassettes: none, once, new_episodes, all "
        "(alone: all, to record again)",
    )
    parser.addini("rillet_record_mode", "record mode of rillet cassettes", default="once")
    parser.addini(
        "rillet_cassette_dir",
        "folder of rillet cassettes, next to each test file",
        default="cassettes",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "rillet_cassette(name=None, *, record_mode=None, match_on=None): record this test's "
        "HTTP exchanges once, replay them after (rillet's scrubbing applies)",
    )


def _cassette_path(request: pytest.FixtureRequest, name: str | None) -> Path:
    node = request.node
    folder = Path(str(node.path)).parent / str(request.config.getini("rillet_cassette_dir"))
    stem = Path(str(node.path)).stem
    return folder / stem / f"{_UNSAFE.sub('_', name or node.name).strip('_')}.yaml"


@pytest.fixture
def rillet_cassette(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The vcrpy ``Cassette`` this test records into or replays from."""
    from rillet.conformance.cassettes import MATCH_ON, environment_secrets, use_cassette

    marker = request.node.get_closest_marker("rillet_cassette")
    args: tuple[Any, ...] = marker.args if marker is not None else ()
    options: dict[str, Any] = dict(marker.kwargs) if marker is not None else {}
    mode = (
        request.config.getoption("--rillet-record")
        or options.get("record_mode")
        or request.config.getini("rillet_record_mode")
    )
    path = _cassette_path(request, args[0] if args else options.get("name"))
    if mode == "all":
        path.unlink(missing_ok=True)  # recorded afresh: no exchange of an older run survives
    with use_cassette(
        path,
        record_mode=str(mode),
        secrets=environment_secrets(),
        match_on=tuple(options.get("match_on") or MATCH_ON),
    ) as cassette:
        yield cassette


@pytest.fixture(autouse=True)
def _rillet_cassette_marker(request: pytest.FixtureRequest) -> None:
    """A test marked ``rillet_cassette`` uses the fixture without asking for it."""
    if request.node.get_closest_marker("rillet_cassette") is not None:
        request.getfixturevalue("rillet_cassette")

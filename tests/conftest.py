"""Shared test set-up: the tests folder is importable (``real_streams``), leaks fail tests,
and every request body an adapter encodes is checked against the official SDKs' request types
(``_request_oracle``)."""

from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from typing import Any

import pytest
from _request_oracle import (
    FAULTS,
    VALIDATED,
    RequestOracleError,
    builder_format,
    check_body,
    wire_format,
)

from rillet.protocol import LLMRequest
from rillet.providers._http_adapter import HTTPAdapter

_ORACLE_OFF = "request_oracle_off"


@pytest.fixture(scope="session", autouse=True)
def _frozen_gc() -> Iterator[None]:
    """Objects from before the first test (imports, schemas, collected parameters) are left out
    of every collection: ``no_leaks``'s ``gc.collect()`` after each test then walks only what
    the tests made, a millisecond instead of a quarter of a second on a full heap."""
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


@pytest.fixture
async def no_leaks() -> AsyncIterator[None]:
    """Fails a test that leaves a task running or a resource unclosed.

    The loop runs in debug mode, so aiohttp and asyncio warn about unclosed responses and
    transports; pytest's ``filterwarnings = error`` turns those ResourceWarnings into failures.
    """
    loop = asyncio.get_running_loop()
    loop.set_debug(True)
    loop.slow_callback_duration = 10.0  # some tests are slow by design (20 MB events), not leaky
    before = asyncio.all_tasks()
    yield
    for _ in range(5):
        await asyncio.sleep(0)
    leftover = {t for t in asyncio.all_tasks() - before if t is not asyncio.current_task()}
    assert not leftover, f"tasks left running: {leftover}"
    # ResourceWarnings are raised from __del__: collect now, so that they fail this test.
    gc.collect()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{_ORACLE_OFF}(reason): this test builds request bodies the official SDK types refuse "
        "on purpose (say why); they are not checked by tests/_request_oracle.py",
    )


@pytest.fixture(autouse=True)
def request_oracle(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every body a built-in adapter encodes during the test goes through the request oracle,
    and so does every body the test module builds with a builder it imported (``build_body``).

    A refused body raises ``RequestOracleError`` where it is built, and is also kept, so that a
    test whose code swallows the error (a retry, an agent turning it into an event) still fails.
    """
    marker = request.node.get_closest_marker(_ORACLE_OFF)
    if marker is not None:
        if not (marker.args or marker.kwargs.get("reason")):
            raise pytest.UsageError(f"@pytest.mark.{_ORACLE_OFF} needs a reason")
        return
    faults = request.node.stash.setdefault(FAULTS, [])

    def check(wire: str, body: Any) -> None:
        try:
            check_body(wire, body)
        except RequestOracleError as fault:
            faults.append(fault)
            raise

    encode = HTTPAdapter.encode

    def checked_encode(self: HTTPAdapter, llm_request: LLMRequest) -> bytes:
        data = encode(self, llm_request)
        wire = wire_format(self)
        if wire is not None:
            check(wire, json.loads(data))
        return data

    monkeypatch.setattr(HTTPAdapter, "encode", checked_encode)
    for name, value in vars(request.module).items():
        wire = builder_format(value)
        if wire is not None:
            monkeypatch.setattr(request.module, name, _checked_builder(value, wire, check))


def _checked_builder(
    build: Callable[..., Any], wire: str, check: Callable[[str, Any], None]
) -> Callable[..., Any]:
    def checked(*args: Any, **kwargs: Any) -> Any:
        body = build(*args, **kwargs)
        check(wire, json.loads(json.dumps(body)))
        return body

    return checked


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    result = yield
    faults = item.stash.get(FAULTS, [])
    if faults:
        raise faults[0]
    return result


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if VALIDATED:
        counts = ", ".join(f"{wire} {n}" for wire, n in sorted(VALIDATED.items()))
        terminalreporter.write_line(
            f"request oracle: {VALIDATED.total()} bodies fit the official SDK types ({counts})"
        )

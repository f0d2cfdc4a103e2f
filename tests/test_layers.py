"""The neutral layer (protocol, adapter interface, errors, accumulation, streaming) stands on
its own: importing it loads neither the transport nor aiohttp."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import rillet

_SDK = str(Path(rillet.__file__).resolve().parent.parent)
_NEUTRAL = (
    "rillet.protocol",
    "rillet.adapter",
    "rillet.accumulator",
    "rillet.streaming",
    "rillet.errors",
    "rillet._exceptions",
    "rillet.timeout",
)


def _loaded_after(module: str) -> set[str]:
    """The modules a fresh interpreter holds after ``import module``."""
    code = f"import json, sys, {module}; print(json.dumps(sorted(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([_SDK, os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    return set(json.loads(out))


@pytest.mark.parametrize("module", _NEUTRAL)
def test_neutral_module_loads_no_transport(module: str) -> None:
    loaded = _loaded_after(module)
    assert module in loaded
    assert not {"aiohttp", "rillet.transport"} & loaded


def test_the_transport_does_load_aiohttp() -> None:
    """The check above can see a transport import when there is one."""
    assert {"aiohttp", "rillet.transport"} <= _loaded_after("rillet.transport")


def test_the_emulator_stands_without_the_testing_helpers() -> None:
    """``rillet.testing`` builds on the emulator, never the other way round."""
    loaded = _loaded_after("rillet.emulator")
    assert "rillet.emulator.reply_server" in loaded
    assert not any(name.startswith("rillet.testing") for name in loaded)


def _imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots = {
        a.name.partition(".")[0]
        for n in ast.walk(tree)
        if isinstance(n, ast.Import)
        for a in n.names
    }
    roots |= {
        n.module.partition(".")[0]
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom) and n.module and not n.level
    }
    return roots


def test_providers_reach_aiohttp_only_through_the_transport() -> None:
    providers = Path(_SDK, "rillet", "providers")
    modules = sorted(providers.rglob("*.py"))
    assert len(modules) > 10
    direct = [str(m.relative_to(providers)) for m in modules if "aiohttp" in _imported_roots(m)]
    assert direct == []

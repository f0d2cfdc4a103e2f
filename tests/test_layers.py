"""The neutral layer (protocol, adapter interface, errors, accumulation, streaming) stands on
its own: importing it loads neither the transport nor aiohttp."""

from __future__ import annotations

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

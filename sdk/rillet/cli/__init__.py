"""The ``rillet`` console script: one module per subcommand, each with ``register``."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import cast

from rillet._version import __version__

__all__ = ["main"]

# subcommand modules of this package; each defines register(subparsers) -> None, which sets
# a ``handler(args) -> int`` default on its parser
_COMMANDS: Sequence[str] = ("chat", "emulator", "conformance")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rillet", description="Typed, protocol-first streaming for LLM providers."
    )
    parser.add_argument("--version", action="version", version=f"rillet {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMANDS:
        module = importlib.import_module(f"rillet.cli.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = cast("Callable[[argparse.Namespace], int] | None", getattr(args, "handler", None))
    if handler is None:
        parser.print_help()
        return 0
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())

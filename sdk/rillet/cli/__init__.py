"""The ``rillet`` console script."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from rillet._version import __version__

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rillet", description="Typed, protocol-first streaming for LLM providers."
    )
    parser.add_argument("--version", action="version", version=f"rillet {__version__}")
    parser.add_subparsers(dest="command", metavar="COMMAND")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())

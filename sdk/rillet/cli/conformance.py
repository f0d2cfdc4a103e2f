"""``rillet conformance``: does an adapter stream correctly? No key, no network.

    rillet conformance                            # every built-in provider, emulator + cassettes
    rillet conformance --provider anthropic --case 'tool*'
    rillet conformance --adapter my_pkg.adapter:MyAdapter --wire openai
    rillet conformance --json report.json --junit junit.xml
    rillet conformance --html report.html         # the matrix and failures on one page
    rillet conformance --record                   # rewrite cassettes/ from the emulator

Each case of the catalogue (``--list``) runs against the embedded emulator, then, when
``cassettes/`` holds its cassette, replays it whole (vcrpy) and through a server one byte at a
time and at random splits. The exit code is 1 when any case fails. ``--json`` with no path
writes the JSON report to standard output and the table to standard error.
``--record --live`` records from the real APIs with your key (``RILLET_LIVE=1``; never in CI).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rillet._exceptions import ConfigurationError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

    from rillet.conformance.cases import Case
    from rillet.conformance.runner import CaseResult, Target

__all__ = ["register"]

_EXAMPLES = """examples:
  rillet conformance
  rillet conformance --provider anthropic --case 'tool*'
  rillet conformance --adapter my_pkg.adapter:MyAdapter --wire openai
  rillet conformance --json report.json --junit junit.xml
  rillet conformance --html report.html
"""


def register(subparsers: Any) -> None:
    """Add the ``conformance`` subcommand to the ``rillet`` parser."""
    parser = subparsers.add_parser(
        "conformance",
        help="run the conformance suite against built-in or third-party adapters",
        description="Run the conformance catalogue on the embedded provider emulator and "
        "replay the recorded cassettes. No key, no network.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--provider",
        action="append",
        default=[],
        metavar="NAME",
        help="a built-in provider (openai, openai-responses, anthropic, gemini, gemini-json, "
        "bedrock, vertex, vertex-anthropic, azure, azure-responses) or "
        "one registered under the rillet.adapters entry point; repeatable (default: every "
        "built-in one)",
    )
    parser.add_argument(
        "--adapter",
        metavar="MODULE:CLASS",
        help="a third-party adapter class (the current directory is importable)",
    )
    parser.add_argument(
        "--wire",
        metavar="WIRE",
        help="the wire format the adapter speaks (default: its conformance_wire attribute)",
    )
    parser.add_argument(
        "--case",
        action="append",
        default=[],
        metavar="PATTERN",
        help="only these cases: a name, an fnmatch pattern or a substring; repeatable",
    )
    parser.add_argument("--list", action="store_true", help="list the cases and rules, then exit")
    parser.add_argument(
        "--cassettes",
        default="cassettes",
        metavar="DIR",
        help="cassette folder (default: ./cassettes)",
    )
    parser.add_argument("--no-cassettes", action="store_true", help="skip the cassette replays")
    parser.add_argument(
        "--record",
        action="store_true",
        help="record the cassettes from the emulator (built-in providers)",
    )
    parser.add_argument(
        "--live",
        action="store_true",
        help="with --record: record from the real API with your key (RILLET_LIVE=1; never in CI)",
    )
    parser.add_argument("--model", help="with --live: the real model to call")
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the random splits (default: 0)"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        metavar="N",
        help="run targets in N processes at once (default: one per core when the run has "
        "40 cases or more; 1: all in this process)",
    )
    parser.add_argument(
        "--json",
        nargs="?",
        const="-",
        metavar="PATH",
        help="write a JSON report to PATH (no PATH or -: standard output, the table to stderr)",
    )
    parser.add_argument("--junit", metavar="FILE", help="write a JUnit XML report to FILE")
    parser.add_argument(
        "--html",
        metavar="FILE",
        help="write the matrix, timings and failures to FILE as one self-contained HTML page",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        from rich.console import Console
    except ImportError:  # pragma: no cover - rich comes with rillet[conformance]
        print("rillet conformance needs: pip install 'rillet[conformance]'", file=sys.stderr)
        return 2
    json_to_stdout = args.json == "-"
    console = Console(stderr=json_to_stdout, highlight=False)
    if not console.is_terminal:
        console = Console(stderr=json_to_stdout, highlight=False, width=max(console.width, 140))
    try:
        return _run(args, console)
    except ConfigurationError as error:
        console.print(f"[bold red]error:[/] {error}")
        return 2


def _run(args: argparse.Namespace, console: Console) -> int:
    from rillet.conformance.catalogue import select

    if args.list:
        _print_catalogue(console)
        return 0
    if args.adapter is not None and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    if args.live and not args.record:
        raise ConfigurationError("--live records cassettes: use it with --record")
    cases = select(args.case)
    if not cases:
        raise ConfigurationError(f"no case matches {' '.join(args.case)!r} (see --list)")

    from rillet.conformance.runner import resolve_targets

    targets = resolve_targets(args.provider, args.adapter, args.wire)
    root = Path(args.cassettes)
    if args.live:
        from rillet.conformance.live import record_live

        results = record_live(targets, cases, root / "live", model=args.model, console=console)
        return _finish(args, console, results, 0.0)
    if args.record and args.adapter is not None:
        raise ConfigurationError("--record writes the built-in adapters' cassettes: drop --adapter")
    use_cassettes = not args.no_cassettes and (args.record or root.is_dir())
    if not use_cassettes and not args.no_cassettes:
        console.print(f"[dim]no {root}/ folder: cassette replays skipped[/]")
    root_used = root if use_cassettes else None
    started = time.perf_counter()
    if _jobs(args, targets, cases) > 1:
        results = _in_processes(args, console, targets, cases, root_used)
    else:
        results = asyncio.run(_suite(args, console, targets, cases, root_used))
    return _finish(args, console, results, time.perf_counter() - started)


def _jobs(args: argparse.Namespace, targets: list[Target], cases: list[Case]) -> int:
    from rillet.conformance.pool import default_jobs

    jobs = default_jobs(len(targets), len(cases)) if args.jobs is None else args.jobs
    return max(1, min(jobs, len(targets)))


def _progress(console: Console, total: int, title: str) -> tuple[Progress, TaskID]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    return progress, progress.add_task(title, total=total)


def _runs(targets: list[Target], cases: list[Case], root: Path | None) -> int:
    """How many results the run gives: each case, and each cassette replay."""
    return sum(
        1 + (root is not None and case.cassette and case.applies_to(target.wire))
        for target in targets
        for case in cases
    )


def _in_processes(
    args: argparse.Namespace,
    console: Console,
    targets: list[Target],
    cases: list[Case],
    root: Path | None,
) -> list[CaseResult]:
    from rillet.conformance.pool import run_targets

    jobs = _jobs(args, targets, cases)
    title = f"{len(targets)} targets in {jobs} processes"
    progress, task = _progress(console, _runs(targets, cases, root), title)

    def advance(results: list[CaseResult]) -> None:
        progress.update(task, advance=len(results), description=f"{results[0].target} done")

    with progress:
        return run_targets(
            targets,
            [case.name for case in cases],
            cassettes=root,
            record=args.record,
            seed=args.seed,
            jobs=jobs,
            on_target=advance,
        )


async def _suite(
    args: argparse.Namespace,
    console: Console,
    targets: list[Target],
    cases: list[Case],
    root: Path | None,
) -> list[CaseResult]:
    from rillet.conformance.replay import recorder, replayer
    from rillet.conformance.runner import run_suite

    progress, task = _progress(console, _runs(targets, cases, root), "conformance")

    def advance(result: CaseResult) -> None:
        progress.update(task, advance=1, description=f"{result.target} · {result.case}")

    with progress:
        return await run_suite(
            targets,
            cases,
            replay=replayer(root, args.seed) if root is not None else None,
            recorder=recorder(root) if root is not None and args.record else None,
            on_result=advance,
        )


def _finish(
    args: argparse.Namespace, console: Console, results: list[CaseResult], seconds: float
) -> int:
    from rillet.conformance.report import print_report, summary, to_json, to_junit
    from rillet.conformance.report_html import to_html

    print_report(console, results)
    if seconds:
        console.print(f"[dim]{len(results)} runs in {seconds:.1f} s[/]")
    if args.json is not None:
        document = to_json(results, seconds)
        if args.json == "-":
            sys.stdout.write(document + "\n")
        else:
            Path(args.json).write_text(document + "\n", encoding="utf-8")
    if args.junit is not None:
        Path(args.junit).write_text(to_junit(results), encoding="utf-8")
    if args.html is not None:
        Path(args.html).write_text(to_html(results, seconds), encoding="utf-8")
    return 1 if summary(results)["fail"] else 0


def _print_catalogue(console: Console) -> None:
    from rich.table import Table

    from rillet.conformance.catalogue import CASES
    from rillet.conformance.history import HISTORY_RULES
    from rillet.conformance.properties import RULES

    cases = Table(title="cases")
    for column in ("case", "what it plays", "expects", "cassette"):
        cases.add_column(column)
    for case in CASES:
        expects = case.error.__name__ if case.error is not None else "a response"
        if case.fault_at is not None and case.fault_at.kind == "stall":
            expects = "IdleTimeoutError"
        if case.conversation is not None:
            expects = f"{len(case.conversation.turns)} turns, every request judged"
        cases.add_row(case.name, case.description, expects, "yes" if case.cassette else "no")
    rules = Table(title="rules")
    rules.add_column("rule")
    rules.add_column("requires")
    for name, (summary_text, _) in RULES.items():
        rules.add_row(name, summary_text)
    rules.add_row("replay_identical", "(cassettes) whole, 1-byte and random-split replays agree")
    for name, summary_text in HISTORY_RULES.items():
        rules.add_row(name, f"(multi-turn) {summary_text}")
    console.print(cases)
    console.print(rules)

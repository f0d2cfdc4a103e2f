"""A seeded randomized soak of the whole stack, counting everything that must never happen.

    python -m rillet.testing.soak --streams 100000 --seed 1 [--concurrency 50] [--json]

Each stream is one call through a real adapter (OpenAI Chat over SSE, Gemini's JSON array) to
an in-process ``FaultServer`` that plays a scripted reply to each attempt: every fault it can
play (statuses, stalls before the headers, before the first byte and mid-body, resets,
truncations, broken HTTP framing, an over-long header, a gzip header on a plain body, a body that
ends early, an in-stream error, gzip, drips and cuts). Consumers read to the end, read slowly,
break out of the loop, get cancelled, or call ``aclose()`` and read on. What each stream must
give is planned in ``rillet.testing._soak_plan``. Counted, all of which must be 0 (the exit
status is 1 otherwise):

- hangs: a stream still running past its deadline;
- non-rillet exceptions: anything but a ``RilletError`` (and a cancelled consumer's
  ``CancelledError``);
- wrong outcomes: a success for an error, or an error of the wrong class or ``retryable``;
- wrong partials: a text, or an error's partial text, other than that of the frames complete
  before the fault (for a consumer that stopped early, or a slow one that aiohttp may leave
  behind when the connection breaks: not a prefix of it, or not what was handed out);
- retry-discipline violations: the server saw more or fewer requests than the plan allows
  (a retry after the body began, no retry of a retryable failure before it);
- contract violations: chunks that are not one start first and one terminal last (none for a
  consumer that stopped early), or a chunk after ``aclose()``;
- leaked connections (checked out of the pool, or a reply still running, after each batch),
  leaked tasks (after each batch and at the end), leaked file descriptors (``/proc/self/fd``
  at the end against the start).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import random
import re
import sys
import time
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from rillet._exceptions import RilletError
from rillet.client import LLMClient
from rillet.protocol import TERMINAL_CHUNK_TYPES, StreamChunk
from rillet.testing._soak_plan import IDLE, Plan, plan_stream
from rillet.testing.fault_server import FaultServer, Reply
from rillet.timeout import Timeout
from rillet.transport import HTTPTransport, RetryPolicy

__all__ = ["COUNTERS", "SoakReport", "main", "soak"]

COUNTERS = (
    "hangs",
    "non-rillet exceptions",
    "wrong outcomes",
    "wrong partials",
    "retry-discipline violations",
    "contract violations",
    "leaked connections",
    "leaked tasks",
    "leaked file descriptors",
)
_EXAMPLES = 3  # failures of each count described in the report, at most
_STREAM_ID = re.compile(rb"soak-(\d+)")
_SLOW_READ = 0.001  # a slow consumer's pause at every chunk
_PAUSE_PROBE = 0.01


@dataclass
class SoakReport:
    """The counts of one soak; ``ok`` when every one is 0."""

    streams: int
    seed: int
    concurrency: int
    seconds: float = 0.0
    longest_pause: float = 0.0
    """The longest time the event loop was held (a collection, a starved process): a pause
    longer than the soak's idle timeout can turn a scripted fault into a timeout."""
    counts: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    consumers: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(self.counts[name] for name in COUNTERS)

    def count(self, name: str, example: str) -> None:
        self.counts[name] += 1
        if self.counts[name] <= _EXAMPLES:
            self.examples.append(f"{name}: {example}")

    def as_json(self) -> dict[str, Any]:
        return {
            "streams": self.streams,
            "seed": self.seed,
            "concurrency": self.concurrency,
            "seconds": round(self.seconds, 1),
            "longest_pause": round(self.longest_pause, 3),
            "counts": {name: self.counts[name] for name in COUNTERS},
            "faults": dict(self.faults.most_common()),
            "consumers": dict(self.consumers.most_common()),
            "examples": self.examples,
        }

    def table(self) -> str:
        lines = [
            f"rillet soak: {self.streams} streams, seed {self.seed}, "
            f"concurrency {self.concurrency}, {self.seconds:.1f} s "
            f"(longest event-loop pause {self.longest_pause * 1000:.0f} ms)",
            "  faults:    " + ", ".join(f"{k} {v}" for k, v in self.faults.most_common()),
            "  consumers: " + ", ".join(f"{k} {v}" for k, v in self.consumers.most_common()),
            "",
        ]
        width = max(len(name) for name in COUNTERS)
        lines += [f"  {name:<{width}}  {self.counts[name]:>7}" for name in COUNTERS]
        if self.examples:
            lines += ["", "first failures:", *(f"  {example}" for example in self.examples)]
        lines.append("" if self.ok else "FAILED: every count must be 0")
        return "\n".join(lines).rstrip()


class _SoakServer(FaultServer):
    """Answers each stream from its own script, found by the model name in the request."""

    def __init__(self) -> None:
        super().__init__(default=Reply(status=418, body=b"soak: no reply scripted"))
        self.scripts: dict[int, deque[Reply]] = {}
        self.seen: Counter[int] = Counter()

    def reply_for(self, request: web.Request, body: bytes) -> Reply:
        found = _STREAM_ID.search(request.path.encode() + body)
        index = int(found.group(1)) if found else -1
        self.seen[index] += 1
        script = self.scripts.get(index)
        return script.popleft() if script else self.default


@dataclass
class _Outcome:
    chunks: list[StreamChunk] = field(default_factory=list)
    error: RilletError | None = None
    stopped: bool = False
    """The consumer stopped before the end of the stream."""
    after_close: int = 0
    """Chunks handed out after ``aclose()``."""

    @property
    def text(self) -> str:
        return "".join(
            getattr(chunk, "text", "") for chunk in self.chunks if chunk.type == "content"
        )


async def soak(
    streams: int,
    seed: int,
    concurrency: int = 50,
    *,
    time_limit: float | None = None,
    progress: bool = False,
) -> SoakReport:
    """Run ``streams`` planned streams (fewer if ``time_limit`` seconds run out: the report
    says how many ran) and count what went wrong."""
    fds_before = _open_fds()
    tasks_before = asyncio.all_tasks()
    started = time.perf_counter()
    report = SoakReport(streams=0, seed=seed, concurrency=concurrency)
    rng = random.Random(seed)
    batch = max(concurrency * 20, 100)
    async with _SoakServer() as server:
        transport = HTTPTransport(
            timeout=Timeout(connect=5.0, idle=IDLE),
            retry_policy=RetryPolicy(initial_delay=0.002, max_delay=0.01),
            pool_limit=concurrency,
        )
        clients = {
            "sse": LLMClient(
                provider="openai",
                api_key="sk-soak",
                base_url=server.url + "/v1",
                options={"transport": transport},
            ),
            "json": LLMClient(
                provider="gemini",
                api_key="soak",
                base_url=server.url,
                options={"transport": transport, "sse": False},
            ),
        }
        try:
            while report.streams < streams:
                if time_limit is not None and time.perf_counter() - started > time_limit:
                    break
                first = report.streams
                plans = [plan_stream(rng, i) for i in range(first, min(streams, first + batch))]
                await _run_batch(plans, clients, server, transport, report, concurrency)
                report.streams += len(plans)
                if progress:
                    elapsed = time.perf_counter() - started
                    bad = sum(report.counts[name] for name in COUNTERS)
                    print(f"{report.streams} streams, {elapsed:.0f} s, {bad} bad", file=sys.stderr)
        finally:
            for client in clients.values():
                await client.aclose()
    for _ in range(5):
        await asyncio.sleep(0)
    gc.collect()
    left = asyncio.all_tasks() - tasks_before - {asyncio.current_task()}
    for task in left:
        report.count("leaked tasks", f"at the end: {task!r}"[:300])
    fds_after = _open_fds()
    if fds_before is not None and fds_after is not None and fds_after > fds_before:
        report.counts["leaked file descriptors"] += fds_after - fds_before
        report.examples.append(f"file descriptors: {fds_before} before, {fds_after} after")
    report.seconds = time.perf_counter() - started
    return report


async def _watch_pauses(report: SoakReport) -> None:
    loop = asyncio.get_running_loop()
    while True:
        before = loop.time()
        await asyncio.sleep(_PAUSE_PROBE)
        report.longest_pause = max(report.longest_pause, loop.time() - before - _PAUSE_PROBE)


async def _run_batch(
    plans: Sequence[Plan],
    clients: dict[str, LLMClient],
    server: _SoakServer,
    transport: HTTPTransport,
    report: SoakReport,
    concurrency: int,
) -> None:
    tasks_before = asyncio.all_tasks()
    for plan in plans:
        server.scripts[plan.index] = deque(plan.replies)
        report.faults.update(plan.faults)
        report.consumers[plan.consumer] += 1
    slots = asyncio.Semaphore(concurrency)

    async def one(plan: Plan) -> None:
        async with slots:
            await _one(plan, clients[plan.wire], report)

    # Collections would walk every object of the process (a test runner's whole heap) and
    # hold the loop long enough to turn a scripted fault into a timeout: while the streams
    # run, only what they allocate is collected.
    freeze = gc.get_freeze_count() == 0
    if freeze:
        gc.freeze()
    pauses = asyncio.create_task(_watch_pauses(report))
    try:
        await asyncio.gather(*(one(plan) for plan in plans))
    finally:
        pauses.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pauses
        if freeze:
            gc.unfreeze()
    try:
        await server.wait_finished(timeout=5.0)
    except asyncio.TimeoutError:
        running = sum(not record.finished.is_set() for record in server.requests)
        report.count("leaked connections", f"{running} replies still running after the batch")
    for plan in plans:
        seen = server.seen[plan.index]
        if seen != plan.expected.requests:
            report.count(
                "retry-discipline violations",
                f"{_describe(plan)}: {seen} requests, expected {plan.expected.requests}",
            )
        del server.scripts[plan.index]
    server.seen.clear()
    server.requests.clear()
    in_use = _connections_in_use(transport)
    if in_use:
        report.count("leaked connections", f"{in_use} checked out of the pool after a batch")
    for _ in range(3):
        await asyncio.sleep(0)
    for task in asyncio.all_tasks() - tasks_before:
        if not _serves_a_connection(task):
            report.count("leaked tasks", f"after a batch: {task!r}"[:300])


async def _one(plan: Plan, client: LLMClient, report: SoakReport) -> None:
    outcome = _Outcome()
    try:
        await asyncio.wait_for(_run(plan, client, outcome), plan.deadline)
    except asyncio.TimeoutError:
        report.count("hangs", f"{_describe(plan)}: still running after {plan.deadline:.1f} s")
        return
    except Exception as error:
        report.count("non-rillet exceptions", f"{_describe(plan)}: {error!r}"[:300])
        return
    for name, problem in _problems(plan, outcome):
        report.count(name, f"{_describe(plan)}: {problem}"[:400])


async def _run(plan: Plan, client: LLMClient, outcome: _Outcome) -> None:
    if plan.consumer != "cancel":
        await _consume(plan, client, outcome, None)
        return
    reached = asyncio.Event()
    consumer = asyncio.create_task(_consume(plan, client, outcome, reached))
    waiter = asyncio.create_task(reached.wait())
    try:
        await asyncio.wait({consumer, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
        if not consumer.done():
            consumer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await consumer  # a non-rillet exception of the consumer goes up from here
        with contextlib.suppress(asyncio.CancelledError):
            await waiter


async def _consume(
    plan: Plan, client: LLMClient, outcome: _Outcome, reached: asyncio.Event | None
) -> None:
    stream = client.stream(
        "hi", model=plan.model, max_retries=plan.max_retries, keep_frames=plan.keep_frames
    )
    try:
        async with stream:
            async for chunk in stream:
                outcome.chunks.append(chunk)
                if plan.consumer == "slow":
                    await asyncio.sleep(_SLOW_READ)
                    continue
                if plan.consumer == "read" or len(outcome.chunks) < plan.stop_after:
                    continue
                if chunk.type in TERMINAL_CHUNK_TYPES:
                    continue  # the stream is over: nothing left to stop
                outcome.stopped = True
                if plan.consumer == "break":
                    break
                if plan.consumer == "aclose":
                    await stream.aclose()
                    outcome.after_close = len([late async for late in stream])
                    break
                assert reached is not None
                reached.set()
                await asyncio.sleep(3600)  # cancelled here
    except RilletError as error:
        outcome.error = error


def _problems(plan: Plan, outcome: _Outcome) -> list[tuple[str, str]]:
    """What is wrong with one stream's outcome: (counter, description) pairs."""
    problems: list[tuple[str, str]] = []
    expected = plan.expected
    types = [chunk.type for chunk in outcome.chunks]
    terminals = [i for i, kind in enumerate(types) if kind in TERMINAL_CHUNK_TYPES]
    if types and (types[0] != "start" or "start" in types[1:]):
        problems.append(("contract violations", f"start chunks out of place: {types}"))
    if outcome.after_close:
        problems.append(("contract violations", f"{outcome.after_close} chunks after aclose()"))
    if outcome.stopped:
        if terminals:
            problems.append(("contract violations", f"a terminal chunk before the stop: {types}"))
        if not expected.text.startswith(outcome.text):
            problems.append(("wrong partials", f"read {outcome.text!r} of {expected.text!r}"))
        return problems
    if types and terminals != [len(types) - 1]:
        problems.append(("contract violations", f"not one terminal chunk, last: {types}"))
    error = outcome.error
    if type(error) is RilletError and error.__cause__ is not None:
        # StreamingLLMResponse's wrapper of a foreign exception an adapter let through
        problems.append(("non-rillet exceptions", f"{error.__cause__!r}"))
    if expected.error is None:
        if error is not None:
            problems.append(("wrong outcomes", f"expected success, got {error!r}"))
        elif types[-1:] != ["stop"]:
            problems.append(("contract violations", f"a success that does not stop: {types}"))
        if outcome.text != expected.text:
            problems.append(("wrong partials", f"text {outcome.text!r} != {expected.text!r}"))
        return problems
    if error is None:
        problems.append(("wrong outcomes", f"expected {expected.error.__name__}, got success"))
        return problems
    if type(error) is not expected.error or error.retryable != expected.retryable:
        problems.append(
            (
                "wrong outcomes",
                f"expected {expected.error.__name__}(retryable={expected.retryable}), "
                f"got {error!r}",
            )
        )
    partial = error.partial.text if error.partial is not None else None
    if plan.consumer == "slow":
        # Still busy with earlier chunks when the connection broke: aiohttp's reader drops
        # what it had buffered then (it raises before handing buffered bytes out), so the
        # partial may stop short of what was sent; it must still be what was handed out.
        right = partial == outcome.text and expected.text.startswith(outcome.text)
    else:
        right = partial == outcome.text == expected.text
    if not right:
        problems.append(
            ("wrong partials", f"partial {partial!r}, read {outcome.text!r}, not {expected.text!r}")
        )
    if types and types[-1] != "error":
        problems.append(("contract violations", f"an error that is no error chunk: {types}"))
    return problems


def _describe(plan: Plan) -> str:
    return (
        f"stream {plan.index} ({plan.wire}, {' then '.join(plan.faults)}, {plan.consumer}"
        f"{'' if plan.consumer == 'read' else f' after {plan.stop_after}'}, "
        f"max_retries={plan.max_retries})"
    )


def _connections_in_use(transport: HTTPTransport) -> int:
    session = transport._session
    connector = session.connector if session is not None else None
    return len(getattr(connector, "_acquired", ()))  # aiohttp keeps no public count


def _serves_a_connection(task: asyncio.Task[Any]) -> bool:
    """The server's task for a kept-alive connection (it lives as long as the pool keeps it)."""
    return "RequestHandler.start" in getattr(task.get_coro(), "__qualname__", "")


def _open_fds() -> int | None:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:  # not Linux
        return None


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: run a soak, print its counts; 1 if any is not 0."""
    parser = argparse.ArgumentParser(
        prog="python -m rillet.testing.soak", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--streams", type=int, default=1000, help="how many streams (1000)")
    parser.add_argument("--seed", type=int, default=0, help="the random seed (0)")
    parser.add_argument("--concurrency", type=int, default=50, help="streams at once (50)")
    parser.add_argument("--time-limit", type=float, default=None, help="stop after S seconds")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    report = asyncio.run(
        soak(
            args.streams,
            args.seed,
            args.concurrency,
            time_limit=args.time_limit,
            progress=sys.stderr.isatty() or args.streams >= 10_000,
        )
    )
    print(json.dumps(report.as_json(), indent=2) if args.json else report.table())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())

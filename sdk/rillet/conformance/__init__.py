"""The conformance suite: does an adapter stream correctly?

    from rillet.conformance import CASES, BUILTIN_TARGETS, run_target

    results = await run_target(BUILTIN_TARGETS[0], CASES)

``catalogue`` holds the cases (``CASES``), ``properties`` the rules they are judged by
(``RULES``); the multi-turn cases (``conversations``, each a ``Conversation``) run the agent
loop (``multiturn``) and are judged on every request by ``history`` (``HISTORY_RULES``);
``runner`` runs a case against an adapter and the emulator, ``replay`` records and
replays cassettes, ``cassettes`` scrubs them, ``report`` renders the results and ``pool`` runs
targets in parallel processes. ``rillet conformance`` is the command line over all of it.
"""

from rillet.conformance.cases import Case, FaultAt, Pace
from rillet.conformance.catalogue import CASES, select
from rillet.conformance.conversation import Conversation
from rillet.conformance.expectation import Expectation, ExpectedCall
from rillet.conformance.history import HISTORY_RULES
from rillet.conformance.observation import Observation, RequestSeen, Violation
from rillet.conformance.properties import RULES, check
from rillet.conformance.runner import (
    BUILTIN_TARGETS,
    CaseResult,
    Target,
    resolve_targets,
    run_case,
    run_suite,
    run_target,
)

__all__ = [
    "BUILTIN_TARGETS",
    "CASES",
    "HISTORY_RULES",
    "RULES",
    "Case",
    "CaseResult",
    "Conversation",
    "Expectation",
    "ExpectedCall",
    "FaultAt",
    "Observation",
    "Pace",
    "RequestSeen",
    "Target",
    "Violation",
    "check",
    "resolve_targets",
    "run_case",
    "run_suite",
    "run_target",
    "select",
]

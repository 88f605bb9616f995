"""What a state did in an execution, as the pictures colour it: the outcomes, their colours, and each visited
state's outcome read from its visits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, Protocol

# A state absent from the outcomes was not visited.
SUCCEEDED: Final = "succeeded"
CAUGHT: Final = "caught"  # failed, and a Catch took the execution on
FAILED: Final = "failed"
RUNNING: Final = "running"  # running or waiting (a task token, the clock)
ABORTED: Final = "aborted"
OUTCOMES: Final[tuple[str, ...]] = (SUCCEEDED, CAUGHT, FAILED, RUNNING, ABORTED)
# fill, stroke; the console's colours, roughly
COLOURS: Final[dict[str, tuple[str, str]]] = {
    SUCCEEDED: ("#d4f4dd", "#2e8540"),
    CAUGHT: ("#ffe8c2", "#c77700"),
    FAILED: ("#fbd5d5", "#c62828"),
    RUNNING: ("#d6e9fb", "#1565c0"),
    ABORTED: ("#e4e4e4", "#616161"),
}
PLAIN: Final = ("#ffffff", "#7d8998")  # a state not visited


class Visit(Protocol):
    """One state visit of an execution (orchestrator.local.stepfunctions.StateVisit has this shape)."""

    @property
    def name(self) -> str: ...

    @property
    def outcome(self) -> str: ...


def outcomes_of(visits: Iterable[Visit]) -> dict[str, str]:
    """Each visited state's outcome, from its visits ("succeeded", "caught <Error>", "failed <Error>", "running",
    "aborted", "timed out"); a state visited more than once (a loop, Map iterations) shows the worst of them."""
    worst: dict[str, str] = {}
    for visit in visits:
        outcome = _outcome_class(visit.outcome)
        if visit.name not in worst or _SEVERITY[outcome] > _SEVERITY[worst[visit.name]]:
            worst[visit.name] = outcome
    return worst


_SEVERITY: Final[dict[str, int]] = {SUCCEEDED: 0, CAUGHT: 1, ABORTED: 2, RUNNING: 3, FAILED: 4}


def _outcome_class(outcome: str) -> str:
    word = outcome.split(" ", 1)[0]
    if word == "timed":  # "timed out": the execution's timeout ended it there
        return FAILED
    return word if word in _SEVERITY else RUNNING

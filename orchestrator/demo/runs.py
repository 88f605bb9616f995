"""What happened: the records the demo gathers while it runs the samples and then reports on, and an execution's
timeline read from its history."""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from asl.history import StateVisit, visits_from_history
from asl.pause_points import is_pause_check
from orchestrator.demo.samples import Sample
from orchestrator.local.provision import Notice


@dataclass(frozen=True)
class Jump:
    """The demo moved the clock forward `seconds` at `at` (clock time), to reach a deadline (a timeout)."""

    at: datetime.datetime
    seconds: float


@dataclass(frozen=True)
class Step:
    """One state on an execution's timeline; `iteration` names the Map iteration it ran in, `depth` its nesting."""

    visit: StateVisit
    iteration: str = ""
    depth: int = 0


@dataclass(frozen=True)
class ExecutionRun:
    arn: str
    status: str
    started: datetime.datetime
    stopped: datetime.datetime | None
    output: Any
    error: str
    steps: list[Step]
    states_visited: list[str]

    @property
    def state_machine(self) -> str:
        return self.arn.split(":")[-2]


@dataclass
class SampleRun:
    """Everything the demo saw of one sample."""

    sample: Sample
    event_ids: list[str] = field(default_factory=list)  # EventBridge ids of what the demo put
    executions: list[ExecutionRun] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)  # from the tap, in arrival order
    quarantined: list[str] = field(default_factory=list)  # why the schema guard quarantined each of its events
    dead_lettered: list[str] = field(default_factory=list)  # which dead-letter queue got each of its events, and why
    problem: str = ""  # the run could not finish (the local runtime failed or never came to rest)


@dataclass
class DemoRun:
    runs: list[SampleRun]
    jumps: list[Jump]
    strays: list[str]  # executions, events and set-aside messages no sample accounts for
    notice: Notice
    bus_name: str
    set_aside: dict[str, int]  # depth of the quarantine and of the dead-letter queues at the end


def execution_run(description: Mapping[str, Any], history: Sequence[Mapping[str, Any]]) -> ExecutionRun:
    """An execution as the demo shows it, from its description and its history."""
    status = str(description["status"])
    output = json.loads(description["output"]) if description.get("output") else None
    error = " - ".join(str(description[k]) for k in ("error", "cause") if description.get(k))
    steps = timeline(history, status)
    return ExecutionRun(
        arn=str(description["executionArn"]),
        status=status,
        started=description["startDate"],
        stopped=description.get("stopDate"),
        output=output,
        error=error,
        steps=steps,
        # From the timeline, where each Map iteration's states follow one another in item order: in the history,
        # iterations running side by side interleave differently on every run. Without the pause points' checks,
        # which every execution passes (the timeline printed shows them).
        states_visited=list(dict.fromkeys(step.visit.name for step in steps if not is_pause_check(step.visit.name))),
    )


def timeline(history: Sequence[Mapping[str, Any]], status: str) -> list[Step]:
    """The execution's path: each state with its outcome, a Map state followed by the states of its iterations
    (`visits_from_history` follows each event's `previousEventId`, so iterations side by side are not mixed up)."""
    return [Step(visit, visit.iteration, visit.depth) for visit in visits_from_history(history, status)]

"""A recording of one business process, and the comparison of a recorded run with a replayed one.

A recording is made from the event store (orchestrator/control/event_store.py) and the executions' histories:

- `inputs`: what came from outside the process, to be fed again: the events no other event of the process caused
  (the order placed, the reviewer's decision), each with its offset from the first on the clock;
- `executions`: each execution the process started (its workflow, final status, and path of states with outcomes);
- `emitted`: every other event (what the workflows, agents and services said, agent results included), with what
  differs from run to run by nature taken out: the envelope metadata (ids, times), task tokens, and values that are
  generated ids or times (`<uuid>`, `<time>`).

The same capture runs on the replayed process, so the two compare field for field. Executions pair up by workflow
in start order. A path is compared step by step (a step: the state, prefixed by its Map iteration, and its
outcome); the first step that differs is the divergence. Emitted events compare as a multiset: agents running side by
side emit in either order, which is no divergence.
"""

from __future__ import annotations

import datetime
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

from orchestrator.control import ControlPlane
from orchestrator.control.event_store import StoredEvent

FORMAT: Final = "orchestrator-recording/1"
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
# Values made from what differs per run: a task token; a DAG signal's id (a hash of the execution's ARN).
VOLATILE_KEYS: Final = frozenset({"task_token", "signal_id"})


@dataclass(frozen=True)
class Input:
    after_seconds: float  # on the clock, since the first input
    source: str
    detail_type: str
    detail: dict[str, Any]  # as it was put, envelope included


@dataclass(frozen=True)
class RecordedExecution:
    workflow: str
    status: str
    path: list[str]  # "<iteration> <state>: <outcome>", in history order


@dataclass(frozen=True)
class Recording:
    correlation_id: str
    inputs: list[Input]
    executions: list[RecordedExecution]
    emitted: list[dict[str, Any]]  # {"source", "detail_type", "data"}, normalized, in time order
    description: str = ""
    format: str = FORMAT

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Recording:
        raw = json.loads(text)
        if raw.get("format") != FORMAT:
            raise ValueError(f"not a recording of format {FORMAT}: {raw.get('format')!r}")
        return cls(
            correlation_id=raw["correlation_id"],
            inputs=[Input(**item) for item in raw["inputs"]],
            executions=[RecordedExecution(**item) for item in raw["executions"]],
            emitted=list(raw["emitted"]),
            description=raw.get("description", ""),
        )

    @classmethod
    def load(cls, path: Path) -> Recording:
        return cls.from_json(path.read_text(encoding="utf-8"))


def record(plane: ControlPlane, correlation_id: str, description: str = "") -> Recording:
    """The recording of a process, from the stage's event store and its executions' histories (through `plane`)."""
    events = plane.process_history(correlation_id).events
    ids = {event.event_id for event in events}
    bus_events = [event for event in events if event.kind == "event"]
    external = [event for event in bus_events if event.causation_id not in ids]
    first = external[0].time if external else datetime.datetime.now(datetime.UTC)
    inputs = [
        Input((event.time - first).total_seconds(), event.source, event.type, dict(event.detail)) for event in external
    ]
    executions = [
        _execution(plane, event)
        for event in events
        if event.kind == "execution" and event.detail["status"] == "RUNNING"
    ]
    outside = {event.event_id for event in external}
    emitted = [
        {"source": event.source, "detail_type": event.type, "data": normalized(event.data)}
        for event in bus_events
        if event.event_id not in outside
    ]
    return Recording(correlation_id, inputs, executions, emitted, description)


def _execution(plane: ControlPlane, started: StoredEvent) -> RecordedExecution:
    arn = str(started.detail["executionArn"])
    detail = plane.describe(arn)
    path = [
        f"{e.iteration} {e.state}: {e.outcome}" if e.iteration else f"{e.state}: {e.outcome}"
        for e in plane.history(arn)
    ]
    return RecordedExecution(detail.execution.workflow, detail.execution.status, path)


def normalized(value: Any) -> Any:
    """`value` with what differs between runs by nature replaced: generated ids, times, task tokens."""
    if isinstance(value, Mapping):
        return {k: "<token>" if k in VOLATILE_KEYS else normalized(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalized(v) for v in value]
    if isinstance(value, str) and _UUID.match(value):
        return "<uuid>"
    if isinstance(value, str) and _TIME.match(value):
        return "<time>"
    return value


# -- comparison ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepComparison:
    index: int
    recorded: str | None  # None: the replay went further
    replayed: str | None  # None: the replay stopped before

    @property
    def same(self) -> bool:
        return self.recorded == self.replayed


@dataclass(frozen=True)
class ExecutionComparison:
    workflow: str
    recorded_status: str | None  # None: the replay started an execution the recording has not
    replayed_status: str | None  # None: the replay did not start it
    steps: list[StepComparison]

    @property
    def first_divergence(self) -> StepComparison | None:
        return next((s for s in self.steps if not s.same), None)

    @property
    def same(self) -> bool:
        return self.recorded_status == self.replayed_status and self.first_divergence is None


@dataclass(frozen=True)
class ReplayReport:
    correlation_id: str
    executions: list[ExecutionComparison]
    missing_events: list[dict[str, Any]] = field(default_factory=list)  # recorded, not emitted by the replay
    unexpected_events: list[dict[str, Any]] = field(default_factory=list)  # emitted by the replay only

    @property
    def clean(self) -> bool:
        return all(e.same for e in self.executions) and not self.missing_events and not self.unexpected_events


def compare(recorded: Recording, replayed: Recording) -> ReplayReport:
    """Where the replayed run differs from the recorded one: executions state by state, and emitted events."""
    executions = [_compare_execution(r, p) for r, p in _pairs(recorded.executions, replayed.executions)]
    missing = _difference(recorded.emitted, replayed.emitted)
    unexpected = _difference(replayed.emitted, recorded.emitted)
    return ReplayReport(recorded.correlation_id, executions, missing, unexpected)


def _pairs(
    recorded: Sequence[RecordedExecution], replayed: Sequence[RecordedExecution]
) -> Iterable[tuple[RecordedExecution | None, RecordedExecution | None]]:
    workflows = list(dict.fromkeys([e.workflow for e in recorded] + [e.workflow for e in replayed]))
    for workflow in workflows:
        ours = [e for e in recorded if e.workflow == workflow]
        theirs = [e for e in replayed if e.workflow == workflow]
        for index in range(max(len(ours), len(theirs))):
            yield (ours[index] if index < len(ours) else None, theirs[index] if index < len(theirs) else None)


def _compare_execution(recorded: RecordedExecution | None, replayed: RecordedExecution | None) -> ExecutionComparison:
    ours = recorded.path if recorded else []
    theirs = replayed.path if replayed else []
    steps = [
        StepComparison(i, ours[i] if i < len(ours) else None, theirs[i] if i < len(theirs) else None)
        for i in range(max(len(ours), len(theirs)))
    ]
    either = recorded or replayed
    workflow = either.workflow if either else ""
    return ExecutionComparison(
        workflow, recorded.status if recorded else None, replayed.status if replayed else None, steps
    )


def _difference(these: list[dict[str, Any]], those: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events of `these` not matched one for one in `those` (in `these`' order)."""
    left = Counter(_key(event) for event in those)
    missing = []
    for event in these:
        key = _key(event)
        if left[key]:
            left[key] -= 1
        else:
            missing.append(event)
    return missing


def _key(event: Mapping[str, Any]) -> str:
    return json.dumps(event, sort_keys=True)

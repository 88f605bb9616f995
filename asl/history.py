"""An execution's path from its history: which states it visited, in which Map iteration, with what outcome.

Pure functions over the events of GetExecutionHistory (AWS's or the local runtime's), so that the demo, the control
plane (`orch history`, `orch graph`, the HTTP API, which runs on Lambda without moto) and tests read a history the same
way. Each event's `previousEventId` is followed, so iterations of a Map running side by side are not mixed up.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final


@dataclass(frozen=True)
class StateVisit:
    """One state on an execution's path. `outcome`: "succeeded", "caught <Error>" (left through a Catch),
    "failed <Error>", "aborted", "timed out" or "running"; `exited` is None unless the state was left.
    `iteration` names the Map iteration the state ran in: "[index]", then the iteration's item when its input is
    one simple value (an agent's name, say); "" outside Map iterations. `depth`: how many Map iterations and
    Parallel branches the state is nested in."""

    name: str
    outcome: str
    entered: datetime.datetime
    exited: datetime.datetime | None
    iteration: str = ""
    depth: int = 0


_UNFINISHED_OUTCOME: Final[dict[str, str]] = {"RUNNING": "running", "ABORTED": "aborted", "TIMED_OUT": "timed out"}
_RUN_ENDS: Final = {"ExecutionFailed": "FAILED", "ExecutionAborted": "ABORTED", "ExecutionTimedOut": "TIMED_OUT"}
_ITERATION_ENDS: Final = frozenset({"MapIterationSucceeded", "MapIterationFailed", "MapIterationAborted"})
# Events a Map or Parallel state records about itself. moto links them (`previousEventId`) to the latest event of
# any of its iterations or branches, so they are given to the state by climbing out of those.
_OWN_EVENTS: Final[dict[str, tuple[str, ...]]] = {
    "Map": ("MapStateStarted", "MapStateSucceeded", "MapStateFailed", "MapStateAborted", "MapStateExited", "MapRun"),
    "Parallel": (
        "ParallelStateStarted",
        "ParallelStateSucceeded",
        "ParallelStateFailed",
        "ParallelStateAborted",
        "ParallelStateExited",
    ),
}
_OWN_ENDS: Final = frozenset(
    f"{state}State{end}" for state in ("Map", "Parallel") for end in ("Succeeded", "Failed", "Aborted")
)


@dataclass(eq=False)
class _Frame:
    """Where states run one after the other: the execution's main path, one Map iteration or one Parallel branch."""

    label: str
    parent: _Visit | None = None  # the Map or Parallel state that started it
    visits: list[_Visit] = field(default_factory=list)
    item: str = ""
    aborted: bool = False

    @property
    def depth(self) -> int:
        return 0 if self.parent is None else self.parent.frame.depth + 1


@dataclass(eq=False)
class _Visit:
    name: str
    kind: str  # the state's type, as its entered event names it: "Task", "Map", ...
    frame: _Frame
    entered: datetime.datetime
    exited: datetime.datetime | None = None
    error: str = ""
    done: bool = False  # a Map or Parallel state that recorded its own end (succeeded, failed, aborted)
    frames: list[_Frame] = field(default_factory=list)  # the iterations or branches it started
    stopped_as: str = ""  # the execution's status when a run it did not leave ended, if it was redriven since


def visits_from_history(events: Iterable[Mapping[str, Any]], status: str) -> list[StateVisit]:
    """The states an execution went through, from its history events and its status: in order, a Map or Parallel
    state followed by the states of each of its iterations or branches.

    Iterations run side by side, so their events interleave: each event is given to the state visit its
    `previousEventId` chain leads to, never paired by state name."""
    main = _Frame("")
    at: dict[int, tuple[_Frame, _Visit | None]] = {}  # event id -> where it happened
    types: dict[int, str] = {}
    execution_error = ""
    ended_as = ""  # how the latest run of the execution ended (a redriven execution has several runs)
    for event in sorted(events, key=lambda e: int(e["id"])):
        event_id, kind = int(event["id"]), str(event["type"])
        previous = int(event.get("previousEventId") or 0)
        frame, visit = at.get(previous, (main, None))
        if types.get(previous) in _ITERATION_ENDS and frame.parent is not None:
            visit = frame.parent  # after an iteration ended, the Map state carries on
            frame = visit.frame
        owner = _owner_of(event, frame, visit)
        if owner is not None:
            frame, visit = owner.frame, owner
        if kind == "MapIterationStarted":
            frame = _started_frame(f"[{event['mapIterationStartedEventDetails'].get('index', '?')}]", visit, frame)
            visit = None
        elif "stateEnteredEventDetails" in event:
            details = event["stateEnteredEventDetails"]
            if types.get(previous) == "ParallelStateStarted":
                frame = _started_frame("", visit, frame)
            if not frame.visits:
                frame.item = _simple_item(details.get("input"))
            visit = _Visit(details["name"], kind.removesuffix("StateEntered"), frame, event["timestamp"])
            frame.visits.append(visit)
        elif "stateExitedEventDetails" in event:
            left = _exited_visit(event["stateExitedEventDetails"]["name"], frame, visit)
            if left is not None:
                left.exited = event["timestamp"]
            visit = None  # what follows a state's exit happens in the next state, not in this one
        elif kind == "ExecutionRedriven":  # what the stopped run left open stays as it was stopped
            for unfinished in _unfinished(main):
                unfinished.stopped_as = ended_as
            frame, visit = main, None
        elif kind.startswith("Execution"):
            execution_error = _error_of(event) or execution_error
            ended_as = _RUN_ENDS.get(kind, ended_as)
        elif kind in _ITERATION_ENDS:
            frame.aborted = frame.aborted or kind == "MapIterationAborted"
            visit = None
        elif visit is not None and visit.exited is None:  # moto may record a timed-out task's TaskSubmitted later
            visit.done = visit.done or kind in _OWN_ENDS
            # The last word within a state counts: a failure that a retry then overcame is no failure.
            visit.error = _error_of(event) or ""
        at[event_id] = (frame, visit)
        types[event_id] = kind
    return list(_state_visits(main, status, execution_error))


def _owner_of(event: Mapping[str, Any], frame: _Frame, visit: _Visit | None) -> _Visit | None:
    """For an event a Map or Parallel state records about itself, that state: the nearest one enclosing where the
    event's chain leads that is still going on (for an iteration's start: the Map state it names)."""
    kind = str(event["type"])
    if kind == "MapIterationStarted":
        state_kind, name = "Map", event["mapIterationStartedEventDetails"].get("name")
    else:
        state_kind = next((k for k, own in _OWN_EVENTS.items() if kind.startswith(own)), "")
        name = None
        if not state_kind:
            return None
    exiting = kind.endswith("Exited")
    while True:
        if (
            visit is not None
            and visit.kind == state_kind
            and visit.exited is None
            and (exiting or not visit.done)
            and name in (None, visit.name)
        ):
            return visit
        if frame.parent is None:
            return None
        visit, frame = frame.parent, frame.parent.frame


def _started_frame(label: str, parent: _Visit | None, frame: _Frame) -> _Frame:
    if parent is None:  # a history that does not say which state started it: keep its states where they are
        return frame
    started = _Frame(label, parent)
    parent.frames.append(started)
    return started


def _exited_visit(name: str, frame: _Frame, visit: _Visit | None) -> _Visit | None:
    if visit is not None and visit.name == name and visit.exited is None:
        return visit
    # A chain that does not lead to the state: the latest visit of that name not yet left, in the same frame.
    return next((v for v in reversed(frame.visits) if v.name == name and v.exited is None), None)


def _simple_item(input_text: str | None) -> str:
    """What an iteration works on, when its input is one simple value (e.g. the agent's name)."""
    item = json.loads(input_text or "null")
    values = list(item.values()) if isinstance(item, dict) else [item]
    return str(values[0]) if len(values) == 1 and isinstance(values[0], str | int | float) else ""


def _state_visits(frame: _Frame, status: str, execution_error: str) -> Iterator[StateVisit]:
    label = f"{frame.label} {frame.item}".strip() if frame.label else ""
    for visit in frame.visits:
        yield StateVisit(
            visit.name, _outcome(visit, status, execution_error), visit.entered, visit.exited, label, frame.depth
        )
        for started in _in_order(visit):
            yield from _state_visits(started, status, execution_error)


def _in_order(visit: _Visit) -> list[_Frame]:
    """A Map's iterations as they started (each labelled with its index); a Parallel's branches by the name of their
    first state. Branches start side by side, and which one's first event the history has first varies from run to
    run: so listed, a run's path is the same each time (a replay compares it)."""
    if visit.kind != "Parallel":
        return visit.frames
    return sorted(visit.frames, key=lambda frame: frame.visits[0].name if frame.visits else "")


def _unfinished(frame: _Frame) -> Iterator[_Visit]:
    for visit in frame.visits:
        if visit.exited is None and not visit.stopped_as:
            yield visit
        for started in visit.frames:
            yield from _unfinished(started)


def _outcome(visit: _Visit, status: str, execution_error: str) -> str:
    if visit.stopped_as:
        status = visit.stopped_as
    if visit.exited is not None:
        return f"caught {visit.error}" if visit.error else "succeeded"
    if visit.frame.aborted:
        return "aborted"  # its iteration was stopped, as when another iteration failed the Map state
    if status == "FAILED":
        return f"failed {visit.error or execution_error}"
    return _UNFINISHED_OUTCOME.get(status, status.lower())


def _error_of(event: Mapping[str, Any]) -> str | None:
    for key, details in event.items():
        if key.endswith("EventDetails") and isinstance(details, dict) and details.get("error"):
            return str(details["error"])
    return None

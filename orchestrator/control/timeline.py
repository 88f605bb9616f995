"""An execution's history as a readable timeline: each state visited, its outcome and how long it took.

The path itself comes from `visits_from_history` (orchestrator/local/stepfunctions.py), which follows each event's
`previousEventId` chain so that Map iterations running side by side keep their own states; it reads only the
history Step Functions returns, so it serves AWS as well as the local runtime. This module adds the offsets and
durations and, on request, each visit's input and output.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from asl.history import StateVisit, visits_from_history


@dataclass(frozen=True)
class TimelineEntry:
    """One state visit. `offset_ms`: from the execution's start; `duration_ms`: None while the state is running.
    `input` / `output`: the state's JSON text as the history records it, only when asked for."""

    state: str
    iteration: str
    depth: int
    outcome: str
    entered: datetime.datetime
    exited: datetime.datetime | None
    offset_ms: int
    duration_ms: int | None
    input: str | None = None
    output: str | None = None


def timeline(
    events: Sequence[Mapping[str, Any]], status: str, started: datetime.datetime, *, with_io: bool = False
) -> list[TimelineEntry]:
    """The execution's path from its history events, in order; `with_io` adds each state's input and output."""
    visits = visits_from_history(events, status)
    inputs = _texts(events, "stateEnteredEventDetails", "input") if with_io else {}
    outputs = _texts(events, "stateExitedEventDetails", "output") if with_io else {}
    return [
        TimelineEntry(
            state=visit.name,
            iteration=visit.iteration,
            depth=visit.depth,
            outcome=visit.outcome,
            entered=visit.entered,
            exited=visit.exited,
            offset_ms=_millis(visit.entered - started),
            duration_ms=None if visit.exited is None else _millis(visit.exited - visit.entered),
            input=_take(inputs, visit.name, visit.entered),
            output=None if visit.exited is None else _take(outputs, visit.name, visit.exited),
        )
        for visit in visits
    ]


def current_states(events: Sequence[Mapping[str, Any]], status: str) -> list[str]:
    """The states a running execution is in now (several inside a Map); empty once it ended."""
    visits: list[StateVisit] = visits_from_history(events, status)
    return list(dict.fromkeys(v.name for v in visits if v.exited is None and v.outcome == "running"))


def _texts(events: Sequence[Mapping[str, Any]], details: str, key: str) -> dict[tuple[str, Any], list[str]]:
    """(state name, timestamp) -> the texts recorded then, in history order. A visit's entered and exited times are
    those of its events, so a visit finds its own (two visits of one state at one instant take them in order)."""
    found: dict[tuple[str, Any], list[str]] = {}
    for event in sorted(events, key=lambda e: int(e["id"])):
        if details in event:
            found.setdefault((event[details]["name"], event["timestamp"]), []).append(str(event[details].get(key, "")))
    return found


def _take(texts: dict[tuple[str, Any], list[str]], name: str, at: datetime.datetime) -> str | None:
    queue = texts.get((name, at))
    return queue.pop(0) if queue else None


def _millis(delta: datetime.timedelta) -> int:
    return round(delta.total_seconds() * 1000)

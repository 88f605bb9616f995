"""Agent tasks a workflow waits for, read from its history, so an operator can answer one by its task id.

A workflow dispatches an agent task with `events:putEvents.waitForTaskToken`: the TaskScheduled event of that
state records the AgentTaskRequested entry it put, task id and token included (Step Functions records a task's
evaluated parameters). A task still waits while nothing ended that state visit: no TaskSucceeded, TaskFailed or
TaskTimedOut (nor the state's exit) follows on its `previousEventId` chain. The operator names the task id; the
token never leaves this module except inside the completion event it goes back with, as an agent would send it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from schemas.agents import AgentTaskRequested

DISPATCH_RESOURCE: Final = "putEvents.waitForTaskToken"
_ENDS: Final = frozenset({"TaskSucceeded", "TaskFailed", "TaskTimedOut", "TaskStateExited", "TaskStateAborted"})


@dataclass(frozen=True)
class WaitingTask:
    task_id: str
    agent: str
    task_token: str  # kept for the completion event; never shown
    metadata: Mapping[str, Any]  # the request's envelope metadata: the answer inherits its correlation id


def waiting_tasks(events: Iterable[Mapping[str, Any]]) -> list[WaitingTask]:
    """The agent tasks dispatched in this history that nothing has answered, ended or timed out yet."""
    ordered = sorted(events, key=lambda e: int(e["id"]))
    scheduled: dict[int, WaitingTask] = {}
    chain: dict[int, int] = {}  # event id -> the TaskScheduled event its chain started from
    for event in ordered:
        event_id, previous = int(event["id"]), int(event.get("previousEventId") or 0)
        details = event.get("taskScheduledEventDetails")
        if details is not None and details.get("resource") == DISPATCH_RESOURCE:
            if (task := _requested(details.get("parameters"))) is not None:
                scheduled[event_id] = task
                chain[event_id] = event_id
            continue
        origin = chain.get(previous)
        if origin is None:
            continue
        chain[event_id] = origin
        if event["type"] in _ENDS:
            scheduled.pop(origin, None)
    return list(scheduled.values())


def _requested(parameters: Any) -> WaitingTask | None:
    """The AgentTaskRequested entry of a dispatch's parameters, or None when they hold none."""
    try:
        loaded = json.loads(parameters) if isinstance(parameters, str) else parameters
        for entry in loaded.get("Entries", []):
            if entry.get("DetailType") != AgentTaskRequested.DETAIL_TYPE:
                continue
            detail = entry["Detail"] if isinstance(entry["Detail"], Mapping) else json.loads(entry["Detail"])
            data = detail["data"]
            return WaitingTask(str(data["task_id"]), str(data["agent"]), str(data["task_token"]), detail["metadata"])
    except (AttributeError, KeyError, TypeError, json.JSONDecodeError):
        return None
    return None

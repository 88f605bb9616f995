"""Agent tasks a workflow waits for, read from its history, so an operator can answer one by its task id; and the
messages it waits for through the correlator (an approval's decision), so that a decision nobody waits for says so.

A workflow dispatches an agent task with `events:putEvents.waitForTaskToken`: the TaskScheduled event of that
state records the AgentTaskRequested entry it put, task id and token included (Step Functions records a task's
evaluated parameters). A task still waits while nothing ended that state visit: no TaskSucceeded, TaskFailed or
TaskTimedOut (nor the state's exit) follows on its `previousEventId` chain. The operator names the task id; the
token never leaves this module except inside the completion event it goes back with, as an agent would send it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from schemas.agents import AgentTaskRequested

DISPATCH_RESOURCE: Final = "putEvents.waitForTaskToken"
# A workflow waiting for a message registers with the correlator's function, on a task token (its Register step).
REGISTER_RESOURCE: Final = "invoke.waitForTaskToken"
T = TypeVar("T")
_ENDS: Final = frozenset({"TaskSucceeded", "TaskFailed", "TaskTimedOut", "TaskStateExited", "TaskStateAborted"})


@dataclass(frozen=True)
class WaitingTask:
    task_id: str
    agent: str
    task_token: str  # kept for the completion event; never shown
    metadata: Mapping[str, Any]  # the request's envelope metadata: the answer inherits its correlation id


@dataclass(frozen=True)
class WaitingMessage:
    message_name: str  # ApprovalDecided
    correlation_key: str  # the approval id


def waiting_tasks(events: Iterable[Mapping[str, Any]]) -> list[WaitingTask]:
    """The agent tasks dispatched in this history that nothing has answered, ended or timed out yet."""
    return _open(events, DISPATCH_RESOURCE, _requested)


def waiting_messages(events: Iterable[Mapping[str, Any]]) -> list[WaitingMessage]:
    """The messages this history's workflow waits for through the correlator and has not had yet."""
    return _open(events, REGISTER_RESOURCE, _registered)


def _open(events: Iterable[Mapping[str, Any]], resource: str, read: Callable[[Any], T | None]) -> list[T]:
    """What the tasks of `resource` scheduled in this history ask for (`read` of their parameters), of those no
    event has ended yet."""
    ordered = sorted(events, key=lambda e: int(e["id"]))
    scheduled: dict[int, T] = {}
    chain: dict[int, int] = {}  # event id -> the TaskScheduled event its chain started from
    for event in ordered:
        event_id, previous = int(event["id"]), int(event.get("previousEventId") or 0)
        details = event.get("taskScheduledEventDetails")
        if details is not None and details.get("resource") == resource:
            if (task := read(details.get("parameters"))) is not None:
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


def _registered(parameters: Any) -> WaitingMessage | None:
    """The message a correlator registration's parameters wait for, or None when they name none."""
    try:
        loaded = json.loads(parameters) if isinstance(parameters, str) else parameters
        payload = loaded["Payload"]
        return WaitingMessage(str(payload["message_name"]), str(payload["correlation_key"]))
    except (KeyError, TypeError, json.JSONDecodeError):
        return None

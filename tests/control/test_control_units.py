"""The control plane's pure parts, without AWS: waiting agent tasks read from a history, table and duration text,
correlation ids from execution inputs, and the CLI's time arguments."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

from functions.event_store.logic import correlation_of
from orchestrator.cli import UsageError, parse_time
from orchestrator.control.render import duration, flatten, table
from orchestrator.control.tasks import DISPATCH_RESOURCE, waiting_tasks

T0 = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=datetime.UTC)


def dispatch(event_id: int, previous: int, task_id: str, agent: str = "billing") -> dict[str, Any]:
    """A TaskScheduled of `events:putEvents.waitForTaskToken` as Step Functions records it (parameters as JSON)."""
    entry = {
        "DetailType": "AgentTaskRequested",
        "Detail": {
            "metadata": {"correlation_id": "t-1"},
            "data": {"task_id": task_id, "agent": agent, "task_token": f"tok-{task_id}"},
        },
    }
    details = {"resource": DISPATCH_RESOURCE, "resourceType": "events", "parameters": json.dumps({"Entries": [entry]})}
    return {"id": event_id, "previousEventId": previous, "type": "TaskScheduled", "taskScheduledEventDetails": details}


def event(event_id: int, previous: int, kind: str) -> dict[str, Any]:
    return {"id": event_id, "previousEventId": previous, "type": kind}


def test_a_dispatched_task_waits_until_something_ends_its_chain() -> None:
    history = [
        dispatch(3, 2, "a"),
        dispatch(4, 2, "b", agent="account"),
        event(5, 3, "TaskStarted"),
        event(6, 4, "TaskStarted"),
        event(7, 5, "TaskSubmitted"),
        event(8, 7, "TaskSucceeded"),  # a's chain: 3 -> 5 -> 7 -> 8
        event(9, 6, "TaskSubmitted"),  # b's chain goes on, unanswered
    ]

    waiting = waiting_tasks(history)

    assert [(t.task_id, t.agent, t.task_token) for t in waiting] == [("b", "account", "tok-b")]
    assert waiting[0].metadata == {"correlation_id": "t-1"}
    assert waiting_tasks([*history, event(10, 9, "TaskTimedOut")]) == []


def test_other_tasks_and_unreadable_parameters_are_no_agent_tasks() -> None:
    lambda_task = {
        "id": 3,
        "previousEventId": 2,
        "type": "TaskScheduled",
        "taskScheduledEventDetails": {"resource": "invoke", "parameters": "{}"},
    }
    broken = dispatch(4, 2, "x")
    broken["taskScheduledEventDetails"]["parameters"] = "not json"
    assert waiting_tasks([lambda_task, broken]) == []


def test_the_correlation_id_comes_from_the_starting_event() -> None:
    assert correlation_of(json.dumps({"detail": {"metadata": {"correlation_id": "order-7"}}})) == "order-7"
    assert correlation_of('{"x": 1}') == ""
    assert correlation_of("not json") == ""
    assert correlation_of(None) == ""


def test_tables_are_aligned_and_say_when_empty() -> None:
    text = table(["NAME", "STATE", "N"], [("agent:billing", "OPEN", 1), ("a", None, 12)])
    assert text.splitlines() == [
        "NAME           STATE  N",
        "agent:billing  OPEN   1",
        "a              -      12",
    ]
    assert table(["NAME"], []) == "(none)"


@pytest.mark.parametrize(
    ("millis", "text"),
    [
        (None, "-"),
        (0, "0 ms"),
        (999, "999 ms"),
        (1000, "1.0 s"),
        (59_940, "59.9 s"),
        (245_000, "4m05s"),
        (93_600_000, "26h00m"),
    ],
)
def test_durations_read_at_a_glance(millis: int | None, text: str) -> None:
    assert duration(millis) == text


def test_settings_flatten_to_dotted_keys_in_file_order() -> None:
    assert flatten({"a": 1, "b": {"c": {"d": 2}, "e": []}}) == [("a", 1), ("b.c.d", 2), ("b.e", [])]


def test_times_are_iso_or_an_age() -> None:
    assert parse_time("2026-11-25T12:00:00", "--since") == T0, "a time without a zone is UTC"
    assert parse_time("2026-11-25T13:00:00+01:00", "--since") == T0
    age = parse_time("2h", "--since")
    assert age is not None and datetime.timedelta(hours=2) <= datetime.datetime.now(datetime.UTC) - age
    assert parse_time(None, "--since") is None
    with pytest.raises(UsageError, match="--until: 'soon' is neither"):
        parse_time("soon", "--until")

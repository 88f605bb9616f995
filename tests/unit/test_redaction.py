"""Redaction (schemas/redaction.py): declared sensitive fields and task tokens anywhere, inside JSON text too, marked
so that an operator can correlate; idempotent; anything else untouched."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from schemas.agents import AgentTaskCompleted, AgentTaskFailed, AgentTaskRequested
from schemas.catalog import event_types
from schemas.dags import CustomerSignedUp
from schemas.redaction import MARKER_PREFIX, marker, redact, redact_event

TOKEN = "AQCEAAAAKgAAAAMAAAAAAAAAAdummy-task-token-of-step-functions=="


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def agent_request_detail(token: str = TOKEN) -> dict[str, Any]:
    return {
        "metadata": {"event_id": "e-1", "correlation_id": "t-1"},
        "data": {"task_id": "t-1/billing", "agent": "billing", "task_token": token, "timeout_seconds": 300},
    }


def test_the_marker_is_a_prefix_and_the_first_16_hex_of_the_values_sha256() -> None:
    assert marker(TOKEN) == MARKER_PREFIX + hashlib.sha256(TOKEN.encode()).hexdigest()[:16]
    assert marker(TOKEN) != marker(TOKEN + "x")
    assert marker(marker(TOKEN)) == marker(TOKEN)


def test_the_agent_task_events_and_customer_signed_up_declare_their_sensitive_fields() -> None:
    declared = {t.DETAIL_TYPE: t.SENSITIVE for t in event_types() if t.SENSITIVE}

    assert declared == {
        AgentTaskRequested.DETAIL_TYPE: {"task_token"},
        AgentTaskCompleted.DETAIL_TYPE: {"task_token"},
        AgentTaskFailed.DETAIL_TYPE: {"task_token"},
        CustomerSignedUp.DETAIL_TYPE: {"name", "email"},
    }


def test_an_events_declared_fields_are_marked_and_the_rest_kept() -> None:
    detail = {
        "metadata": {"event_id": "e-2"},
        "data": {"customer_id": "c-1", "name": "Ada Lovelace", "email": "ada@example.com", "country": "GB"},
    }

    redacted = redact_event(CustomerSignedUp.DETAIL_TYPE, detail)

    assert redacted["data"] == {
        "customer_id": "c-1",
        "name": marker("Ada Lovelace"),
        "email": marker("ada@example.com"),
        "country": "GB",
    }
    assert redacted["metadata"] == detail["metadata"]
    assert detail["data"]["email"] == "ada@example.com", "the input is not changed in place"


def test_an_event_recognized_inside_a_structure_has_its_declared_fields_marked() -> None:
    signed_up = {"customer_id": "c-1", "name": "Ada", "email": "ada@example.com", "country": "GB"}
    execution_input = dumps({"detail-type": "CustomerSignedUp", "detail": {"data": signed_up}})
    entry = {"DetailType": "CustomerSignedUp", "Detail": dumps({"data": signed_up})}
    stored = {"type": "CustomerSignedUp", "detail": {"data": signed_up}}

    text = json.dumps(redact({"input": execution_input, "entries": [entry], "events": [stored]}))

    assert "ada@example.com" not in text and '"Ada"' not in text and "c-1" in text
    assert marker("ada@example.com") in text


def test_a_task_token_is_marked_at_any_depth_under_any_of_its_names() -> None:
    nested = {"a": [{"b": {"task_token": TOKEN}}, {"taskToken": TOKEN + "2"}], "TaskToken": TOKEN + "3"}

    redacted = redact(nested)

    assert redacted == {
        "a": [{"b": {"task_token": marker(TOKEN)}}, {"taskToken": marker(TOKEN + "2")}],
        "TaskToken": marker(TOKEN + "3"),
    }


def test_a_task_token_inside_json_text_is_marked_and_the_text_dumped_back() -> None:
    # A TaskScheduled event's parameters: JSON text whose PutEvents entry holds its Detail as JSON text again.
    detail = dumps(agent_request_detail())
    entry = {"DetailType": "AgentTaskRequested", "Source": "orchestrator.workflows", "Detail": detail}
    history_event = {"id": 7, "taskScheduledEventDetails": {"parameters": dumps({"Entries": [entry]})}}

    redacted = redact(history_event)

    assert TOKEN not in json.dumps(redacted)
    parameters = json.loads(redacted["taskScheduledEventDetails"]["parameters"])
    detail = json.loads(parameters["Entries"][0]["Detail"])
    assert detail["data"]["task_token"] == marker(TOKEN)
    assert detail["data"]["task_id"] == "t-1/billing"


def test_redacting_twice_changes_nothing() -> None:
    value = {
        "detail-type": "AgentTaskCompleted",
        "detail": agent_request_detail(),
        "history": [{"parameters": dumps({"Entries": [{"Detail": dumps(agent_request_detail("other"))}]})}],
        "signup": {"type": "CustomerSignedUp", "detail": {"data": {"name": "Ada", "email": "a@b.c"}}},
    }

    once = redact(value)

    assert once != value
    assert redact(once) == once


def test_text_that_is_not_json_or_holds_no_token_is_left_exactly_as_it_was() -> None:
    spaced = '{ "task_id" : "t-1",  "agent": "billing" }'
    broken = '{"task_token": "' + TOKEN  # not JSON: left alone
    for text in ("plain text", "", "{not json", broken, spaced, "[1, 2,  3]", "task_token=" + TOKEN):
        assert redact(text) is text
    assert redact({"note": "task_token=" + TOKEN, "n": 1, "none": None}) == {
        "note": "task_token=" + TOKEN,
        "n": 1,
        "none": None,
    }


@dataclasses.dataclass(frozen=True)
class Waiting:
    task_id: str
    task_token: str
    metadata: dict[str, Any]


def test_dataclasses_are_copied_with_their_tokens_marked() -> None:
    waiting = Waiting("t-1/billing", TOKEN, {"task_token": TOKEN})

    redacted = redact(waiting)

    assert redacted == Waiting("t-1/billing", marker(TOKEN), {"task_token": marker(TOKEN)})
    assert waiting.task_token == TOKEN

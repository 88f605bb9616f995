"""The pipeline's human approval on the local runtime: ApprovalRequested out, ApprovalDecided back by business key
through the correlator (never a task token), in every order, and the timeout escalation on the local clock."""

from __future__ import annotations

import datetime
import json
from typing import Any

from orchestrator.local.cloud import LocalCloud
from schemas.agents import ApprovalDecided
from schemas.support import TicketSubmitted
from tests.builders import ticket
from tests.conftest import LogLines
from tests.workflows.conftest import Tap, business_path, task_timed_out_after

APPROVAL_TIMEOUT_SECONDS = 86_400  # config/stages.json, dev: agent_pipeline.approval_timeout_seconds
TICKET_ID = "ticket-2001"
OUTCOMES = ["TicketResolved", "TicketReplyRejected", "TicketEscalated"]


def submit(cloud: LocalCloud) -> None:
    cloud.put_event(TicketSubmitted.model_validate(ticket(TICKET_ID)))


def decide(cloud: LocalCloud, decision: str, key: str | None = None) -> None:
    data = {"approval_id": TICKET_ID, "decision": decision, "decided_by": "lead@example.com", "comment": "see notes"}
    cloud.put_event(ApprovalDecided.model_validate(data), correlation_id=TICKET_ID, idempotency_key=key)


def tail_of_path(cloud: LocalCloud, execution: dict[str, Any]) -> list[tuple[str, str]]:
    visits = business_path(cloud, execution["executionArn"])
    names = [visit.name for visit in visits]
    return [(visit.name, visit.outcome) for visit in visits[names.index("Synthesis") + 1 :]]


def outcomes(tap: Tap) -> list[dict[str, Any]]:
    return [e for e in tap.events() if e["detail-type"] in OUTCOMES]


def control_items(cloud: LocalCloud) -> list[tuple[str, bool]]:
    """The correlator's items: (kind, matched) per waiter and message."""
    table = cloud.physical_id("AWS::DynamoDB::Table", "WorkflowControl")
    return sorted((i["sk"]["S"].split("#")[0], "matched" in i) for i in cloud.table_items(table))


def correlator_deliveries(cloud: LocalCloud) -> list[str]:
    records = [r for r in cloud.pollers.records if "CorrelatorDeliveries" in r.function]
    assert all(not r.failed_ids and r.error is None for r in records), "no delivery failed"
    return [r.function for r in records for _ in r.message_ids]


def test_the_draft_waits_for_approval_and_an_approval_resolves_the_ticket(cloud: LocalCloud) -> None:
    tap = Tap(cloud, cloud.bus_name, {"detail-type": ["ApprovalRequested", *OUTCOMES]}, "test-approval")
    submit(cloud)

    still = cloud.wait_until_quiet()
    (waiting,) = still.waiting_executions
    (requested,) = [e for e in tap.events() if e["detail-type"] == "ApprovalRequested"]
    assert requested["detail"]["data"]["approval_id"] == TICKET_ID
    assert "task_token" not in json.dumps(requested["detail"]), "the approver sees a business key, not a token"
    asked_at = datetime.datetime.fromisoformat(requested["detail"]["metadata"]["occurred_at"])
    expires = datetime.datetime.fromisoformat(requested["detail"]["data"]["expires_at"])
    assert round((expires - asked_at).total_seconds()) == APPROVAL_TIMEOUT_SECONDS
    assert control_items(cloud) == [("waiter", False)]

    decide(cloud, "approved")
    cloud.wait_until_quiet()

    (execution,) = cloud.executions()
    assert execution["status"] == "SUCCEEDED"
    assert tail_of_path(cloud, execution) == [
        ("RequestApproval", "succeeded"),
        ("AwaitApproval", "succeeded"),
        ("Decision", "succeeded"),
        ("PublishResolved", "succeeded"),
        ("Resolved", "succeeded"),
    ]
    ((resolved),) = outcomes(tap)
    assert resolved["detail-type"] == "TicketResolved" and resolved["detail"]["data"]["ticket_id"] == TICKET_ID
    assert control_items(cloud) == [("message", True)], "the waiter is done; the message is kept for duplicates"


def test_a_rejected_draft_ends_with_ticket_reply_rejected_and_nothing_sent(cloud: LocalCloud) -> None:
    tap = Tap(cloud, cloud.bus_name, {"detail-type": OUTCOMES}, "test-rejected")
    submit(cloud)
    cloud.wait_until_quiet()

    decide(cloud, "rejected")
    cloud.wait_until_quiet()

    (execution,) = cloud.executions()
    assert execution["status"] == "SUCCEEDED"
    assert tail_of_path(cloud, execution)[-3:] == [
        ("Decision", "succeeded"),
        ("PublishRejected", "succeeded"),
        ("ReplyRejected", "succeeded"),
    ]
    (rejected,) = outcomes(tap)
    assert rejected["detail-type"] == "TicketReplyRejected"
    data = rejected["detail"]["data"]
    assert (data["rejected_by"], data["comment"]) == ("lead@example.com", "see notes")
    assert data["draft_reply"], "the draft goes to the person who writes the reply"


def test_no_decision_in_time_escalates_the_ticket_on_the_local_clock(cloud: LocalCloud) -> None:
    """The correlation acceptance's "never": the workflow's timeout path."""
    tap = Tap(cloud, cloud.bus_name, {"detail-type": OUTCOMES}, "test-escalated")
    submit(cloud)
    assert len(cloud.wait_until_quiet().waiting_executions) == 1

    moved = cloud.wait_until_quiet(advance_clock=True)

    assert moved.clock_advanced_by > 0, "the clock moved"
    (execution,) = cloud.executions()
    assert task_timed_out_after(cloud, execution["executionArn"]) >= APPROVAL_TIMEOUT_SECONDS, "not before the timeout"
    assert execution["status"] == "SUCCEEDED"
    assert tail_of_path(cloud, execution) == [
        ("RequestApproval", "succeeded"),
        ("AwaitApproval", "caught States.Timeout"),
        ("Escalate", "succeeded"),
        ("Escalated", "succeeded"),
    ]
    (escalated,) = outcomes(tap)
    assert escalated["detail-type"] == "TicketEscalated"
    assert escalated["detail"]["data"]["reason"] == "approval_timed_out"
    assert escalated["detail"]["data"]["waited_seconds"] == APPROVAL_TIMEOUT_SECONDS


def test_a_decision_that_comes_before_the_workflow_waits_is_buffered_then_delivered(cloud: LocalCloud) -> None:
    decide(cloud, "approved")
    cloud.wait_until_quiet()
    assert cloud.executions() == []
    assert control_items(cloud) == [("message", False)], "buffered: nobody waits yet"

    submit(cloud)
    cloud.wait_until_quiet()

    (execution,) = cloud.executions()
    assert execution["status"] == "SUCCEEDED"
    assert ("AwaitApproval", "succeeded") in tail_of_path(cloud, execution)
    assert tail_of_path(cloud, execution)[-1] == ("Resolved", "succeeded")
    assert control_items(cloud) == [("message", True)]


def test_a_decision_delivered_twice_resumes_the_workflow_once(cloud: LocalCloud, log_lines: LogLines) -> None:
    tap = Tap(cloud, cloud.bus_name, {"detail-type": OUTCOMES}, "test-twice")
    submit(cloud)
    cloud.wait_until_quiet()

    decide(cloud, "approved", key="decision-42")
    decide(cloud, "approved", key="decision-42")  # a redelivery: the same message id
    cloud.wait_until_quiet()

    (execution,) = cloud.executions()
    assert execution["status"] == "SUCCEEDED"
    resumed = [e for e in cloud.history(execution["executionArn"]) if e["type"] == "TaskSucceeded"]
    approvals = [e for e in resumed if e["taskSucceededEventDetails"]["resource"] == "invoke.waitForTaskToken"]
    assert len(approvals) == 1
    assert [e["detail-type"] for e in outcomes(tap)] == ["TicketResolved"]
    assert len(correlator_deliveries(cloud)) == 2, "both deliveries consumed, neither retried nor dead-lettered"
    # What the correlator did with each: the first resumed the workflow, the second was known by its message id.
    deliveries = [line["delivery"] for line in log_lines() if line.get("message") == "correlated message"]
    assert deliveries == ["delivered", "duplicate"]
    assert control_items(cloud) == [("message", True)]

"""`orch breakers`: force a specialist's breaker open, see the pipeline honour it, list it, reset it. Through the
handlers' own item layout (functions/breaker), so the workflow reads what the CLI wrote."""

from __future__ import annotations

import json
from typing import Any

from orchestrator.local.cloud import LocalCloud
from schemas.agents import ApprovalDecided
from schemas.support import TicketSubmitted
from tests.builders import ticket
from tests.control.conftest import Orch

BREAKER = "agent:billing"


def item(cloud: LocalCloud) -> dict[str, Any]:
    table = cloud.physical_id("AWS::DynamoDB::Table", "CircuitBreakers")
    (found,) = [i for i in cloud.table_items(table) if i["breaker_id"]["S"] == BREAKER]
    return found


def run_ticket(cloud: LocalCloud, ticket_id: str) -> dict[str, Any]:
    cloud.put_event(TicketSubmitted.model_validate(ticket(ticket_id)))
    cloud.wait_until_quiet()  # waiting for its approval
    decision = {"approval_id": ticket_id, "decision": "approved", "decided_by": "lead@example.com"}
    cloud.put_event(ApprovalDecided.model_validate(decision), correlation_id=ticket_id)
    cloud.wait_until_quiet()
    (execution,) = [e for e in cloud.executions() if ticket_id in (e.get("input") or "")]
    return execution


def test_force_open_then_list_then_reset(orch: Orch, cloud: LocalCloud) -> None:
    assert orch("breakers", "list").out == "(none)"

    opened = orch("breakers", "force-open", BREAKER)
    assert opened.code == 0
    assert opened.out.splitlines()[1:] == ["was      CLOSED (version 0)", "now      OPEN (version 1)"]
    assert (item(cloud)["state"]["S"], item(cloud)["version"]["N"]) == ("OPEN", "1")

    # The pipeline reads the same item: billing is skipped (its record says BreakerOpen), account still answers.
    execution = run_ticket(cloud, "t-breaker-1")
    output = json.loads(execution["output"])
    assert output["agents_failed"] == ["billing"]
    assert output["resolution"] == "partial"

    listed = orch("breakers", "list")
    header, row = listed.out.splitlines()
    assert header.split()[:4] == ["BREAKER", "STATE", "VERSION", "FAILURES"]
    assert row.split()[:4] == [BREAKER, "OPEN", "1", "0"]
    as_json = orch("breakers", "list", "--output", "json").json()
    assert [(b["breaker_id"], b["state"], b["version"]) for b in as_json] == [(BREAKER, "OPEN", 1)]

    reset = orch("breakers", "reset", BREAKER)
    assert reset.code == 0
    assert reset.out.splitlines()[1:] == ["was      OPEN (version 1)", "now      CLOSED (version 2)"]
    assert (item(cloud)["state"]["S"], item(cloud)["version"]["N"], item(cloud)["failures"]["L"]) == ("CLOSED", "2", [])

    again = run_ticket(cloud, "t-breaker-2")
    assert json.loads(again["output"])["resolution"] == "answered", "closed again: billing is dispatched"


def test_a_breaker_written_meanwhile_is_a_conflict_not_an_overwrite(orch: Orch, cloud: LocalCloud) -> None:
    """The write is conditional on the version read: a breaker another writer changed in between is left alone."""
    import boto3

    from orchestrator.control import Conflict, ControlPlane

    table = cloud.physical_id("AWS::DynamoDB::Table", "CircuitBreakers")
    dynamodb = cloud.client("dynamodb")

    class Racing:
        """The clock the control plane reads right between its read and its write: another writer moves first."""

        def __call__(self) -> float:
            dynamodb.update_item(
                TableName=table,
                Key={"breaker_id": {"S": "agent:racy"}},
                UpdateExpression="SET #v = :v, #s = :s",
                ExpressionAttributeNames={"#v": "version", "#s": "state"},
                ExpressionAttributeValues={":v": {"N": "7"}, ":s": {"S": "OPEN"}},
            )
            return 1_800_000_000.0

    racing = ControlPlane(boto3.Session(), now=Racing(), breakers=["agent:racy"])
    try:
        racing.reset_breaker("agent:racy")
    except Conflict as error:
        assert "changed while it was being written" in error.message
    else:
        raise AssertionError("a lost conditional write must raise Conflict")
    stored = [i for i in cloud.table_items(table) if i["breaker_id"]["S"] == "agent:racy"]
    assert [(i["state"]["S"], i["version"]["N"]) for i in stored] == [("OPEN", "7")]

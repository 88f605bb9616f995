"""Forged control events, tried as an attacker would on the local runtime with IAM enforced (issue: trust
boundaries). Internal event types (schemas/envelope.py `EMITTED_BY`) are refused at ingest with 403, and a
principal that is not their emitter is denied at the bus: EventBridge fails the entry (NotAuthorizedForSource /
NotAuthorizedForDetailType), so a bug or a compromise of one function cannot state another component's facts.
The allowed producers still work."""

from __future__ import annotations

import json
from typing import Any

import boto3

from orchestrator.local.cloud import LocalCloud
from orchestrator.local.iam.enforcement import acting_as
from tests.builders import api_request, ticket
from tests.workflows.conftest import Tap

TICKET_ID = "ticket-2001"
FORGED = ["ApprovalDecided", "AgentTaskCompleted", "AgentTaskFailed", "DagTaskFinished", "ExecutionResumed"]


def ingest(cloud: LocalCloud, *events: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """POST /events through the Ingest function, as API Gateway invokes it."""
    function = cloud.physical_id("AWS::Lambda::Function", "IngestFunction")
    request = api_request(json.dumps({"events": list(events)}))
    response = cloud.client("lambda").invoke(FunctionName=function, Payload=json.dumps(request))
    answer = json.loads(response["Payload"].read())
    return answer["statusCode"], json.loads(answer["body"])


def role_of_function(cloud: LocalCloud, logical_id_prefix: str) -> str:
    return cloud.lambdas.role_of(cloud.physical_id("AWS::Lambda::Function", logical_id_prefix))


def put_as(cloud: LocalCloud, role_arn: str, *types: tuple[str, str]) -> list[dict[str, Any]]:
    """PutEvents of one entry per (source, detail-type) with `role_arn`'s credentials; the result entries."""
    entries = [
        {"EventBusName": cloud.bus_name, "Source": source, "DetailType": detail_type, "Detail": json.dumps({})}
        for source, detail_type in types
    ]
    with acting_as(role_arn, "forger"):
        response = boto3.client("events", region_name=cloud.runtime.region).put_events(Entries=entries)
    assert response["FailedEntryCount"] == sum("ErrorCode" in e for e in response["Entries"])
    return list(response["Entries"])


def test_a_forged_approval_is_refused_at_ingest_nothing_is_kept_and_the_ticket_still_waits(cloud: LocalCloud) -> None:
    tap = Tap(cloud, cloud.bus_name, {"detail-type": ["ApprovalDecided"]}, "test-forged-approval")
    # Before the ticket exists: the attack that once had the correlator keep it and approve the reply later.
    approval = {"approval_id": TICKET_ID, "decision": "approved", "decided_by": "me", "comment": ""}
    status, body = ingest(cloud, {"detail-type": "ApprovalDecided", "data": approval})
    assert status == 403
    assert [e["field"] for e in body["errors"]] == ["events[0].detail-type"]

    status, _ = ingest(cloud, {"detail-type": "TicketSubmitted", "data": ticket(TICKET_ID)})
    assert status == 202, "the producer of tickets still gets through"
    still = cloud.wait_until_quiet()
    (waiting,) = still.waiting_executions
    assert "AgentPipeline" in waiting
    assert tap.events() == []
    table = cloud.physical_id("AWS::DynamoDB::Table", "WorkflowControl")
    kinds = sorted(item["sk"]["S"].split("#")[0] for item in cloud.table_items(table))
    assert "message" not in kinds, f"no decision kept for a later waiter: {kinds}"


def test_a_principal_is_denied_the_events_it_does_not_emit_at_the_bus(cloud: LocalCloud) -> None:
    tap = Tap(cloud, cloud.bus_name, {"detail-type": FORGED + ["OrderPlaced"]}, "test-forged-puts")
    ingest_role = role_of_function(cloud, "IngestFunction")
    results = put_as(
        cloud,
        ingest_role,
        ("orchestrator.approvals", "ApprovalDecided"),
        ("orchestrator.agents", "AgentTaskCompleted"),
        ("orchestrator.workflows", "DagTaskFinished"),
        ("shop.orders", "OrderCompleted"),
        ("shop.orders", "OrderPlaced"),
    )
    assert [r.get("ErrorCode") for r in results] == [
        "NotAuthorizedForSourceException",
        "NotAuthorizedForSourceException",
        "NotAuthorizedForSourceException",
        "NotAuthorizedForDetailTypeException",  # shop.orders is ingest's source, OrderCompleted is the saga's
        None,  # OrderPlaced, ingest's own: put, in the same call
    ]
    # An agent consumer states its tasks' outcomes, never a decision, a resume or a DAG's signal.
    agents_role = role_of_function(cloud, "AgentsConsumerFunction")
    results = put_as(
        cloud,
        agents_role,
        ("orchestrator.agents", "AgentTaskCompleted"),
        ("orchestrator.approvals", "ApprovalDecided"),
        ("orchestrator.control", "ExecutionResumed"),
        ("orchestrator.workflows", "DagTaskFinished"),
    )
    assert [r.get("ErrorCode") is None for r in results] == [True, False, False, False]
    cloud.wait_until_quiet()
    assert sorted(e["detail-type"] for e in tap.events()) == ["AgentTaskCompleted", "OrderPlaced"]


def test_sts_tells_a_principal_its_assumed_role_and_the_operator_its_own_identity(cloud: LocalCloud) -> None:
    function = cloud.physical_id("AWS::Lambda::Function", "IngestFunction")
    role = role_of_function(cloud, "IngestFunction")
    with acting_as(role, function):
        identity = boto3.client("sts", region_name=cloud.runtime.region).get_caller_identity()
    assert identity["Arn"] == f"arn:aws:sts::123456789012:assumed-role/{role.rsplit('/', 1)[-1]}/{function}"
    assert identity["UserId"].startswith("AROA") and identity["UserId"].endswith(f":{function}")
    operator = boto3.client("sts", region_name=cloud.runtime.region).get_caller_identity()
    assert "assumed-role" not in operator["Arn"]

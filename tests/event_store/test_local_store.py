"""The event store on the local runtime with the real app: every event of the bus and every status change of the
stage's workflows appended once, and a business process rebuilt from them as of several instants of the local
clock, with its causal chain; through the library, `orch history --correlation-id` and the HTTP API."""

from __future__ import annotations

import datetime
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import boto3
import pytest

from orchestrator.control import ControlPlane
from orchestrator.control.event_store import ProcessHistory
from orchestrator.local.cloud import LocalCloud
from schemas.agents import ApprovalDecided
from schemas.orders import PaymentCharged
from schemas.redaction import marker
from schemas.stages import load_stage
from schemas.support import TicketSubmitted
from tests.builders import ticket
from tests.control.conftest import Orch
from tests.control_api_client import ControlApi
from tests.event_store.conftest import put_on_clock
from tests.tokens import executions, issued_tokens, leaked

TICKET = "t-store-1"
WAIT = datetime.timedelta(hours=1)  # how long the drafted reply waits for its approval, on the local clock


def stored_items(cloud: LocalCloud) -> list[dict[str, Any]]:
    name = cloud.physical_id("AWS::DynamoDB::Table", "EventStore")
    return [{k: next(iter(v.values())) for k, v in item.items()} for item in cloud.table_items(name)]


@dataclass(frozen=True)
class Ticket:
    """One ticket's run through the agent pipeline, with instants of the local clock around it."""

    before: datetime.datetime  # before it was submitted
    waiting: datetime.datetime  # half-way through the hour its reply waited for approval
    after: datetime.datetime  # once it was resolved
    submitted_id: str
    decided_id: str


@pytest.fixture(scope="module")
def ticket_run(cloud: LocalCloud) -> Ticket:
    clock = cloud.runtime.clock
    # The agents stamp their events with real time: the clock must not be ahead of it yet.
    assert clock.offset == 0, "this module's cloud had its clock advanced before the ticket ran"
    before = clock.utcnow()
    submitted = put_on_clock(cloud, TicketSubmitted.model_validate(ticket(TICKET)), TICKET)
    cloud.wait_until_quiet()
    assert len(cloud.wait_until_quiet().waiting_executions) == 1, "the pipeline waits for the reply's approval"
    clock.advance(seconds=WAIT.total_seconds())
    waiting = clock.utcnow() - WAIT / 2
    decision = ApprovalDecided(approval_id=TICKET, decision="approved", decided_by="lead@example.com")
    decided = put_on_clock(cloud, decision, TICKET)
    cloud.wait_until_quiet()
    assert cloud.wait_until_quiet().waiting_executions == []
    return Ticket(before, waiting, clock.utcnow(), submitted, decided)


def history(as_of: datetime.datetime | None = None) -> ProcessHistory:
    return ControlPlane(boto3.Session()).process_history(TICKET, as_of)


def test_an_event_delivered_twice_is_stored_once(cloud: LocalCloud) -> None:
    charged = PaymentCharged(order_id="o-dup", payment_id="p-1", amount_cents=100, currency="EUR")
    detail = {
        "metadata": {
            "event_id": "evt-dup-1",
            "correlation_id": "o-dup",
            "idempotency_key": "o-dup:charge",
            "schema_version": 1,
            "occurred_at": cloud.runtime.clock.utcnow().isoformat(),
            "producer": "tests",
        },
        "data": charged.model_dump(mode="json"),
    }
    entry = {
        "EventBusName": cloud.bus_name,
        "Source": PaymentCharged.SOURCE,
        "DetailType": PaymentCharged.DETAIL_TYPE,
        "Detail": json.dumps(detail),
    }
    first, second = (cloud.client("events").put_events(Entries=[entry])["Entries"][0]["EventId"] for _ in range(2))
    cloud.wait_until_quiet()

    queue = cloud.physical_id("AWS::SQS::Queue", "EventStoreAppenderQueue").rsplit("/", 1)[-1]  # from its URL
    delivered = {d.event_id for d in cloud.delivery.deliveries if queue in d.target_arn and d.outcome == "delivered"}
    assert {first, second} <= delivered, "both deliveries reached the appender's queue"
    (item,) = [i for i in stored_items(cloud) if i["event_id"] == "evt-dup-1"]
    assert item["eventbridge_id"] == first, "the first delivery is the one kept"
    assert item["correlation_id"] == "o-dup" and item["type"] == "PaymentCharged"
    assert item["idempotency_key"] == "o-dup:charge"
    assert json.loads(item["detail"]) == detail


def test_the_process_is_rebuilt_as_of_each_instant(ticket_run: Ticket) -> None:
    before = history(ticket_run.before)
    assert before.events == [] and before.state.status == "unknown"

    waiting = history(ticket_run.waiting)
    assert (waiting.state.kind, waiting.state.status) == ("ticket", "awaiting approval")
    assert waiting.state.agents == {"billing": "completed", "account": "completed"}  # triage picked both
    assert list(waiting.state.executions.values()) == ["RUNNING"]
    assert "ApprovalDecided" not in [e.type for e in waiting.events]

    after = history(ticket_run.after)
    assert (after.state.status, after.state.facts["decision"]) == ("resolved", "approved")
    assert after.state.facts["resolution"] == "answered"
    assert list(after.state.executions.values()) == ["SUCCEEDED"]
    assert [e.event_id for e in after.events] == [e.event_id for e in history().events]
    assert len(after.events) > len(waiting.events) > len(before.events)


def test_the_causal_chain_follows_the_causation_ids(ticket_run: Ticket) -> None:
    found = history()
    chain = [(link.depth, link.event.type, link.event.detail.get("status")) for link in found.chain]
    status = "Step Functions Execution Status Change"
    assert chain == [
        (0, "TicketSubmitted", None),
        (1, status, "RUNNING"),
        (1, "AgentTaskRequested", None),
        (2, "AgentTaskCompleted", None),
        (1, "AgentTaskRequested", None),
        (2, "AgentTaskCompleted", None),
        (1, "ApprovalRequested", None),
        (1, "TicketResolved", None),  # the workflow's events name the event that started it as their cause
        (1, status, "SUCCEEDED"),
        (0, "ApprovalDecided", None),  # a reviewer's decision, caused by no stored event: a root of its own
    ], chain
    assert found.chain[0].event.event_id == ticket_run.submitted_id
    assert found.chain[-1].event.event_id == ticket_run.decided_id
    # Each agent's answer sits under its own request.
    for request, answer in zip(found.chain, found.chain[1:], strict=False):
        if request.event.type == "AgentTaskRequested":
            assert answer.event.causation_id == request.event.event_id
            assert answer.event.data["task_id"] == request.event.data["task_id"]
    assert not any(link.cause_missing for link in found.chain)


def test_orch_history_by_correlation_id(ticket_run: Ticket, orch: Orch) -> None:
    as_of = ticket_run.waiting.isoformat()
    ran = orch("history", "--correlation-id", TICKET, "--as-of", as_of, "--output", "json")
    assert ran.code == 0, ran.err
    assert ran.json()["state"]["status"] == "awaiting approval"
    assert ran.json()["as_of"] == as_of.replace("+00:00", "Z")

    text = orch("history", "--correlation-id", TICKET)
    assert text.code == 0, text.err
    assert [line.split()[1] for line in text.out.splitlines() if line.startswith("status ")] == ["resolved"]
    assert "  └ AgentTaskRequested" in text.out and "    └ AgentTaskCompleted" in text.out

    both = orch("history", "arn:aws:states:us-east-1:123456789012:execution:x:y", "--correlation-id", TICKET)
    assert both.code == 2 and "not both" in both.err


def test_the_http_api_serves_the_process_history(ticket_run: Ticket, call: ControlApi) -> None:
    path = f"/processes/{quote(TICKET, safe='')}/history"
    response = call("GET", path, query={"as_of": ticket_run.waiting.isoformat()})
    assert response.status == 200, response.body
    body = response.json()
    assert body["state"]["status"] == "awaiting approval"
    assert body["chain"][0]["event"]["type"] == "TicketSubmitted"

    assert call("GET", "/processes/nobody/history").status == 404


def test_the_stored_agent_tasks_hold_no_token_and_every_item_expires(ticket_run: Ticket, cloud: LocalCloud) -> None:
    tokens = issued_tokens(cloud, executions(cloud))
    items = stored_items(cloud)
    requested = [i for i in items if i["type"] == "AgentTaskRequested" and i.get("correlation_id") == TICKET]

    assert len(requested) == 2 and len(tokens) >= 2, "the ticket's two agents were dispatched, each with a token"
    assert leaked(json.dumps(items), tokens) == []
    markers = {json.loads(item["detail"])["data"]["task_token"] for item in requested}
    assert markers <= {marker(token) for token in tokens}, "each request keeps its token's marker, to correlate by"
    retention = load_stage("dev").event_store_retention_days * 86_400
    now = time.time()  # the appender stamps real time (the runtime's clock does not reach handlers' datetime)
    assert all(now - 600 <= int(item["expires_at"]) - retention <= now for item in items), "appended + retention"

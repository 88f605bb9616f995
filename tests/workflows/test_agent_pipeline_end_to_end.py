"""End to end on the real assembly: TicketSubmitted on the bus → rule → state machine → real handlers, agents
dispatched by events carrying task tokens and resumed by their completion events through SQS-backed consumers."""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path
from typing import Any

import pytest

from orchestrator.local.cloud import LocalCloud
from schemas.agents import ApprovalDecided
from schemas.support import TicketSubmitted
from schemas.validation import validate_detail
from tests.builders import ticket
from tests.workflows.conftest import Tap, business_path, task_timed_out_after

HEARTBEAT_SECONDS = 60  # config/stages.json, dev: agent_pipeline.agent_heartbeat_seconds
DISPATCH_RESOURCE = "putEvents.waitForTaskToken"


def decide(cloud: LocalCloud, decision: str = "approved", ticket_id: str = "ticket-2001") -> None:
    """A reviewer's ApprovalDecided on the ticket's draft, by business key (the ticket id), as another system would."""
    data = {"approval_id": ticket_id, "decision": decision, "decided_by": "lead@example.com", "comment": "ok"}
    cloud.put_event(ApprovalDecided.model_validate(data), correlation_id=ticket_id)


def run_ticket(cloud: LocalCloud, body: str | None = None, **wait: Any) -> dict[str, Any]:
    """Puts a ticket on the bus, approves its draft once the pipeline waits for it, returns its one execution."""
    cloud.put_event(TicketSubmitted.model_validate(ticket(body=body)))
    cloud.wait_until_quiet(**wait)
    decide(cloud)
    cloud.wait_until_quiet(**wait)
    (execution,) = cloud.executions()
    return execution


def path(cloud: LocalCloud, execution: dict[str, Any]) -> list[tuple[str, str]]:
    return [(visit.name, visit.outcome) for visit in business_path(cloud, execution["executionArn"])]


def invoked(cloud: LocalCloud, logical_id_part: str) -> int:
    return len([i for i in cloud.lambdas.invocations if logical_id_part in i.function_name])


def test_a_ticket_runs_through_triage_two_specialists_and_synthesis(cloud: LocalCloud) -> None:
    bus_tap = Tap(cloud, cloud.bus_name, {"source": [{"prefix": ""}]}, "test-bus-tap")

    execution = run_ticket(cloud)

    assert execution["status"] == "SUCCEEDED"
    output = json.loads(execution["output"])
    assert output["resolution"] == "answered"
    assert sorted(output["agents_consulted"]) == ["account", "billing"]
    breaker = [
        "DispatchReadBreaker",
        "DispatchRoute",
        "Dispatch",
        "DispatchSucceeded",
        "DispatchResume",
        "DispatchDone",
    ]
    assert path(cloud, execution) == [
        ("Begin", "succeeded"),
        ("Triage", "succeeded"),
        ("Specialists", "succeeded"),
        *[(state, "succeeded") for state in breaker * 2],  # each specialist inside its circuit breaker
        ("Synthesis", "succeeded"),
        ("RequestApproval", "succeeded"),
        ("AwaitApproval", "succeeded"),
        ("Decision", "succeeded"),
        ("PublishResolved", "succeeded"),
        ("Resolved", "succeeded"),
    ]
    # The state machine invoked the real triage and synthesis handlers; each dispatched task went out as an
    # event to the agents' SQS consumer, whose completion event reached the callbacks' SQS consumer.
    assert (invoked(cloud, "Triage"), invoked(cloud, "Synthesis")) == (1, 1)
    consumed = [(r.function, len(r.message_ids)) for r in cloud.pollers.records if not r.failed_ids and not r.error]
    assert sum(n for f, n in consumed if "AgentsConsumer" in f) == 2
    assert sum(n for f, n in consumed if "CallbacksConsumer" in f) == 2
    emitted = [(e["source"], e["detail-type"]) for e in bus_tap.events()]
    assert emitted.count(("orchestrator.workflows", "AgentTaskRequested")) == 2
    assert emitted.count(("orchestrator.agents", "AgentTaskCompleted")) == 2
    assert emitted[0] == ("support.tickets", "TicketSubmitted")
    assert emitted[-1] == ("support.tickets", "TicketResolved")


def test_the_task_token_goes_out_in_the_event_and_the_completion_resumes_that_task(cloud: LocalCloud) -> None:
    bus_tap = Tap(cloud, cloud.bus_name, {"detail-type": ["AgentTaskRequested", "AgentTaskCompleted"]}, "test-tokens")

    execution = run_ticket(cloud)

    tapped = bus_tap.events()
    requested = {e["detail"]["data"]["task_token"] for e in tapped if e["detail-type"] == "AgentTaskRequested"}
    completed = {e["detail"]["data"]["task_token"] for e in tapped if e["detail-type"] == "AgentTaskCompleted"}
    assert len(requested) == 2 and completed == requested
    history = cloud.history(execution["executionArn"])
    resumed = [e for e in history if e.get("taskSucceededEventDetails", {}).get("resource") == DISPATCH_RESOURCE]
    assert len(resumed) == 2
    assert {json.loads(e["taskSucceededEventDetails"]["output"])["agent"] for e in resumed} == {"billing", "account"}
    correlation = {e["detail"]["metadata"]["correlation_id"] for e in tapped}
    assert correlation == {"ticket-2001"}, "every event of the ticket carries its business key"


def test_a_failing_specialist_is_recorded_and_the_ticket_is_answered_in_part(cloud: LocalCloud) -> None:
    execution = run_ticket(cloud, "Charged twice and cannot log in. [fail:billing]")

    assert execution["status"] == "SUCCEEDED"
    output = json.loads(execution["output"])
    assert output["resolution"] == "partial"
    assert output["agents_failed"] == ["billing"]
    assert ("AgentFailed", "succeeded") in path(cloud, execution)


def test_a_stalled_specialist_times_out_on_its_heartbeat_when_the_clock_moves(cloud: LocalCloud) -> None:
    decide(cloud)  # approved ahead (buffered), so that moving the clock cannot time the approval out instead
    cloud.put_event(TicketSubmitted.model_validate(ticket(body="Charged twice and cannot log in. [stall:account]")))

    still = cloud.wait_until_quiet()
    assert len(still.waiting_executions) == 1, "without the clock moving, the execution waits for the heartbeat"
    assert still.clock_advanced_by == 0

    moved = cloud.wait_until_quiet(advance_clock=True)
    assert moved.waiting_executions == []
    assert moved.clock_advanced_by > 0, "the clock moved"
    (execution,) = cloud.executions()
    assert task_timed_out_after(cloud, execution["executionArn"]) >= HEARTBEAT_SECONDS, "not before the heartbeat"
    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["output"])["resolution"] == "partial"
    visits = path(cloud, execution)
    assert ("Dispatch", "caught States.HeartbeatTimeout") in visits
    assert ("AgentTimedOut", "succeeded") in visits


def test_execution_status_changes_reach_rules_on_the_default_bus(cloud: LocalCloud) -> None:
    status_tap = Tap(cloud, "default", {"source": ["aws.states"]}, "test-status-tap")

    execution = run_ticket(cloud)

    changes = [e for e in status_tap.events() if e["resources"] == [execution["executionArn"]]]
    assert [e["detail"]["status"] for e in changes] == ["RUNNING", "SUCCEEDED"]
    assert {e["detail-type"] for e in changes} == {"Step Functions Execution Status Change"}
    assert json.loads(changes[1]["detail"]["output"])["resolution"] == "answered"


def test_a_malformed_event_is_quarantined_not_lost(cloud: LocalCloud) -> None:
    quarantine = cloud.physical_id("AWS::SQS::Queue", "SchemaGuardQuarantine")
    broken = {"metadata": {"event_id": "e-1"}, "data": {"ticket_id": "t-1"}}
    entry = {"EventBusName": cloud.bus_name, "Source": "support.tickets", "DetailType": "TicketSubmitted"}
    cloud.client("events").put_events(Entries=[{**entry, "Detail": json.dumps(broken)}])

    cloud.wait_until_quiet()

    (message,) = cloud.client("sqs").receive_message(QueueUrl=quarantine, MaxNumberOfMessages=10)["Messages"]
    record = json.loads(message["Body"])
    assert record["event"]["detail"] == broken, "the event is kept exactly as it arrived"
    fields = {error["field"] for error in record["errors"]}
    assert {"metadata.correlation_id", "data.subject"} <= fields, "the reason names each missing field"
    # The pipeline's rule matches on source and detail type only, so it starts: and is rejected by its admission,
    # before anything of the ticket is done.
    (execution,) = cloud.executions()
    assert (execution["status"], execution["error"]) == ("FAILED", "InvalidStartEvent")
    assert [v.name for v in business_path(cloud, execution["executionArn"])] == ["Begin", "Rejected"]


@pytest.mark.parametrize("agent", ["billing", "account"])
def test_a_redelivered_completion_for_a_finished_task_is_dropped_not_poisoning_the_queue(
    cloud: LocalCloud, agent: str
) -> None:
    bus_tap = Tap(cloud, cloud.bus_name, {"detail-type": ["AgentTaskCompleted"]}, f"test-replay-{agent}")
    run_ticket(cloud)
    (completion,) = [e for e in bus_tap.events() if e["detail"]["data"]["agent"] == agent]

    entry = {"EventBusName": cloud.bus_name, "Source": completion["source"], "DetailType": "AgentTaskCompleted"}
    cloud.client("events").put_events(Entries=[{**entry, "Detail": json.dumps(completion["detail"])}])
    cloud.wait_until_quiet()

    (replayed,) = [r for r in cloud.pollers.records if "CallbacksConsumer" in r.function][-1:]
    assert len(replayed.message_ids) == 1
    assert (replayed.failed_ids, replayed.error) == ((), None), "the stale answer is consumed, not retried"
    assert cloud.pollers.pending_messages() == 0


def test_every_ticket_starts_its_own_execution(cloud: LocalCloud) -> None:
    """EventBridge starts executions unnamed; each gets its own name (moto alone would name them all "None")."""
    for number in range(3):
        cloud.put_event(TicketSubmitted.model_validate(ticket(f"ticket-{number}")))
        decide(cloud, ticket_id=f"ticket-{number}")
    cloud.wait_until_quiet()

    executions = cloud.executions()
    assert [e["status"] for e in executions] == ["SUCCEEDED"] * 3
    assert len({e["name"] for e in executions}) == 3
    assert sorted(json.loads(e["output"])["ticket_id"] for e in executions) == ["ticket-0", "ticket-1", "ticket-2"]
    assert [d for d in cloud.delivery.deliveries if d.outcome != "delivered"] == []


def test_a_cloud_stopped_mid_flight_leaves_nothing_running_for_the_next_one(
    assembly_dir: Path, aws_credentials: None
) -> None:
    with LocalCloud.from_assembly(assembly_dir) as first:
        for number in range(3):
            first.put_event(TicketSubmitted.model_validate(ticket(f"ticket-left-{number}")))
    assert [t.name for t in threading.enumerate() if t.name.startswith("local-")] == []

    with LocalCloud.from_assembly(assembly_dir) as second:
        execution = run_ticket(second)
        assert execution["status"] == "SUCCEEDED"
        assert second.runtime.activity.failures == []


def test_dispatched_requests_and_the_resolution_are_valid_events_tied_to_the_ticket(cloud: LocalCloud) -> None:
    """Each AgentTaskRequested carries the project envelope, the stage's times and the ticket; TicketResolved is the
    execution's output, and both name the TicketSubmitted that caused them."""
    bus_tap = Tap(cloud, cloud.bus_name, {"source": [{"prefix": ""}]}, "test-envelopes")

    execution = run_ticket(cloud)

    tapped = bus_tap.events()
    (submitted,) = [e for e in tapped if e["detail-type"] == "TicketSubmitted"]
    dispatched: list[Any] = [
        validate_detail("AgentTaskRequested", e["detail"], e["source"])
        for e in tapped
        if e["detail-type"] == "AgentTaskRequested"
    ]
    (resolved_event,) = [e for e in tapped if e["detail-type"] == "TicketResolved"]
    resolved = validate_detail("TicketResolved", resolved_event["detail"], resolved_event["source"])
    cause = submitted["detail"]["metadata"]["event_id"]
    for request in dispatched:
        assert request.metadata.causation_id == cause
        token_digest = hashlib.sha256(request.data.task_token.encode()).hexdigest()[:16]
        key = f"{execution['executionArn']}/{request.data.agent}/{token_digest}"
        assert request.metadata.idempotency_key == key, "one key per dispatch attempt (its token)"
        assert (request.data.timeout_seconds, request.data.heartbeat_seconds) == (300, HEARTBEAT_SECONDS)
        assert request.data.input["ticket"]["ticket_id"] == "ticket-2001"
    assert resolved.metadata.causation_id == cause
    assert resolved.data.model_dump(mode="json") == json.loads(execution["output"])


def test_a_ticket_delivered_twice_runs_the_pipeline_once(cloud: LocalCloud) -> None:
    """EventBridge delivers at least once: both deliveries start an execution, the second finds the claim."""
    bus_tap = Tap(cloud, cloud.bus_name, {"detail-type": ["AgentTaskRequested", "TicketResolved"]}, "test-twice")
    submitted = TicketSubmitted.model_validate(ticket())
    for _ in range(2):
        cloud.put_event(submitted, correlation_id="ticket-2001", idempotency_key="submission-7")
    cloud.wait_until_quiet()
    decide(cloud)
    cloud.wait_until_quiet()

    executions = cloud.executions()
    assert [e["status"] for e in executions] == ["SUCCEEDED", "SUCCEEDED"]
    paths = sorted((path(cloud, e) for e in executions), key=len)
    assert paths[0] == [("Begin", "caught DuplicateStart"), ("Duplicate", "succeeded")]
    assert paths[1][-1] == ("Resolved", "succeeded")
    tapped = [e["detail-type"] for e in bus_tap.events()]
    assert (tapped.count("AgentTaskRequested"), tapped.count("TicketResolved")) == (2, 1), "one run's work only"

"""A specialist's work on one task (heartbeat, reason, emit its outcome) and the callback's answer to the workflow."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from functions.agents.logic import INVALID_INPUT, PublishFailedError, perform
from functions.agents.reasoning import RuleReasoner
from functions.callback.logic import resume
from functions.producer import EventPublisher
from schemas.agents import AgentTaskRequested
from schemas.envelope import EventDetail
from schemas.validation import validate_detail
from tests.builders import agent_task_request, delivered_event, sample_data, ticket
from tests.fakes import RecordingBus, RecordingTaskTokens

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _request(**kwargs: Any) -> EventDetail[AgentTaskRequested]:
    event = agent_task_request(**kwargs)
    return validate_detail(event["detail-type"], event["detail"], event["source"])  # type: ignore[return-value]


def _publisher(bus: RecordingBus) -> EventPublisher:
    return EventPublisher(bus, "orchestrator-test", producer="agents", max_attempts=1, clock=lambda: NOW)


def test_a_task_is_heartbeaten_then_done_and_completed_with_the_token_and_the_finding() -> None:
    bus, tokens = RecordingBus(), RecordingTaskTokens()

    outcome = perform(_request(agent="billing"), RuleReasoner(), tokens, _publisher(bus))

    assert (outcome.status, outcome.task_id, outcome.agent) == ("completed", "task-1", "billing")
    assert tokens.calls == [("heartbeat", "token-1")]
    (event,) = bus.events()
    assert (event["detail-type"], event["source"]) == ("AgentTaskCompleted", "orchestrator.agents")
    assert event["data"]["task_token"] == "token-1"
    assert event["data"]["output"]["agent"] == "billing"
    assert event["data"]["output"]["actions"] == ["refund the duplicate charge", "review the subscription plan"]
    # Caused by the request: same business process, and the request is its cause.
    assert event["metadata"]["correlation_id"] == "ticket-2001"
    assert event["metadata"]["causation_id"] == "request-1"
    assert event["metadata"]["event_id"] == outcome.event_id


def test_no_heartbeat_is_sent_for_a_task_without_a_heartbeat_interval() -> None:
    tokens = RecordingTaskTokens()

    perform(_request(heartbeat_seconds=None), RuleReasoner(), tokens, _publisher(RecordingBus()))

    assert tokens.calls == []


@pytest.mark.parametrize(
    ("kwargs", "error", "cause"),
    [
        ({"agent": "legal"}, "UnknownAgent", "no specialist named 'legal'"),
        ({"task_input": {"ticket": {"ticket_id": "t-1"}}}, INVALID_INPUT, "data.input.ticket.customer_id"),
        ({"task_input": {}}, INVALID_INPUT, "data.input.ticket"),
        ({"task_input": {"ticket": ticket(body="Charged twice [fail:billing]")}}, "AgentFailed", "told to fail"),
    ],
    ids=["unknown-agent", "incomplete-ticket", "no-ticket", "told-to-fail"],
)
def test_a_task_the_agent_cannot_do_is_reported_failed_with_the_token(
    kwargs: dict[str, Any], error: str, cause: str
) -> None:
    bus = RecordingBus()

    outcome = perform(_request(**kwargs), RuleReasoner(), RecordingTaskTokens(), _publisher(bus))

    assert (outcome.status, outcome.error) == ("failed", error)
    (event,) = bus.events()
    assert event["detail-type"] == "AgentTaskFailed"
    assert (event["data"]["task_token"], event["data"]["error"]) == ("token-1", error)
    assert cause in event["data"]["cause"]
    assert event["data"]["retryable"] is False


def test_a_stalled_agent_heartbeats_and_then_says_nothing() -> None:
    bus, tokens = RecordingBus(), RecordingTaskTokens()
    request = _request(agent="account", task_input={"ticket": ticket(body="Locked out [stall:account]")})

    outcome = perform(request, RuleReasoner(), tokens, _publisher(bus))

    assert outcome.status == "stalled"
    assert tokens.calls == [("heartbeat", "token-1")]
    assert bus.entries == []


def test_a_task_its_workflow_gave_up_on_is_not_done() -> None:
    bus = RecordingBus()

    outcome = perform(_request(), RuleReasoner(), RecordingTaskTokens(gone={"token-1"}), _publisher(bus))

    assert outcome.status == "abandoned"
    assert bus.entries == []


def test_an_outcome_the_bus_refuses_raises_so_the_request_is_delivered_again() -> None:
    with pytest.raises(PublishFailedError, match="AgentTaskCompleted not published: InternalFailure"):
        perform(_request(), RuleReasoner(), RecordingTaskTokens(), _publisher(RecordingBus("InternalFailure")))


def _outcome_event(detail_type: str, **data: Any) -> EventDetail[Any]:
    event = delivered_event(detail_type, "orchestrator.agents", {**sample_data(detail_type), **data})
    return validate_detail(detail_type, event["detail"], event["source"])


def test_a_completion_resumes_the_task_with_the_agents_output() -> None:
    tokens = RecordingTaskTokens()

    resumption = resume(_outcome_event("AgentTaskCompleted", output={"answer": "42", "n": 1}), tokens)

    assert (resumption.task_id, resumption.agent, resumption.result) == ("task-1", "triage", "succeeded")
    assert tokens.calls == [("succeed", "AQCEAAAAKgAAAAMAAAAAAAAAAf==", {"answer": "42", "n": 1})]


def test_a_failure_fails_the_task_with_the_agents_error_and_cause() -> None:
    tokens = RecordingTaskTokens()

    resumption = resume(_outcome_event("AgentTaskFailed"), tokens)

    assert resumption.result == "failed"
    assert tokens.calls == [("fail", "AQCEAAAAKgAAAAMAAAAAAAAAAf==", "ModelUnavailable", "provider returned 503")]


def test_an_outcome_for_a_task_nobody_waits_for_is_gone() -> None:
    tokens = RecordingTaskTokens(gone={"AQCEAAAAKgAAAAMAAAAAAAAAAf=="})

    assert resume(_outcome_event("AgentTaskCompleted"), tokens).result == "gone"
    assert resume(_outcome_event("AgentTaskFailed"), tokens).result == "gone"


def test_the_callback_refuses_events_that_are_not_agent_outcomes() -> None:
    with pytest.raises(TypeError, match="not ApprovalDecided"):
        resume(_approval(), RecordingTaskTokens())


def _approval() -> EventDetail[Any]:
    event = delivered_event("ApprovalDecided", "orchestrator.approvals")
    return validate_detail("ApprovalDecided", event["detail"], event["source"])

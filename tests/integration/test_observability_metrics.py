"""Metrics as the real code writes them (CloudWatch EMF on stdout): agent latency by agent, once per task; breaker
transitions by breaker and from/to state, each with its BreakerStateChanged event on the bus."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from aws_lambda_powertools import Logger

from functions.agents import handler as agents_handler
from functions.breaker import BreakerSettings, CircuitBreaker, observed
from functions.breaker.dynamodb import DynamoDBBreakerStore
from functions.producer import EventBridgeBus, EventPublisher
from orchestrator.local.clock import Clock
from schemas.breaker_rules import TRANSITIONS_METRIC
from schemas.breakers import BreakerStateChanged
from tests.builders import LambdaContext, agent_task_request, sqs_event
from tests.integration.conftest import BusTap
from tests.unit.test_breaker import Downstream, DownstreamDown

NAMESPACE = "Orchestrator/tests"  # tests/conftest.py sets it as the stacks do (POWERTOOLS_METRICS_NAMESPACE)


def _emf(out: str, metric: str) -> list[dict[str, Any]]:
    """The EMF documents on `out` that carry `metric`."""
    documents = [json.loads(line) for line in out.splitlines() if line.startswith('{"_aws"')]
    return [d for d in documents if any(m["Name"] == metric for m in d["_aws"]["CloudWatchMetrics"][0]["Metrics"])]


def _request(agent: str, task_id: str, dispatched_at: datetime, heartbeat_seconds: int | None = None) -> str:
    request = agent_task_request(agent=agent, heartbeat_seconds=heartbeat_seconds, task_id=task_id)
    request["detail"]["metadata"].update(
        idempotency_key=f"idem-{task_id}", occurred_at=dispatched_at.isoformat().replace("+00:00", "Z")
    )
    return json.dumps(request)


def test_agent_latency_is_measured_from_dispatch_to_outcome_by_agent_once_per_task(
    tap: BusTap, capsys: pytest.CaptureFixture[str]
) -> None:
    dispatched_at = datetime.now(UTC) - timedelta(seconds=90)
    done, refused = _request("technical", "task-a", dispatched_at), _request("legal", "task-b", dispatched_at)
    # Heartbeating on a token no execution issued: the workflow gave up, the agent does nothing, nothing to measure.
    abandoned = _request("billing", "task-c", dispatched_at, heartbeat_seconds=60)
    capsys.readouterr()

    before = datetime.now(UTC)
    agents_handler.handler(sqs_event([done, refused, abandoned]), LambdaContext())
    after = datetime.now(UTC)
    agents_handler.handler(sqs_event([done]), LambdaContext())  # a redelivery: the stored outcome, no new work

    documents = _emf(capsys.readouterr().out, agents_handler.LATENCY_METRIC)
    assert [d["agent"] for d in documents] == ["technical", "legal"]
    for document in documents:
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == NAMESPACE
        # On AWS `service` (POWERTOOLS_SERVICE_NAME) joins the set; the tests leave it unset.
        assert directive["Dimensions"] == [["agent"]]
        assert directive["Metrics"] == [{"Name": agents_handler.LATENCY_METRIC, "Unit": "Milliseconds"}]
        (value,) = document[agents_handler.LATENCY_METRIC]
        # Bracketed by the clock read around the call: no assumption about how long the work took.
        assert (
            (before - dispatched_at).total_seconds() * 1000 <= value <= (after - dispatched_at).total_seconds() * 1000
        )
    assert len(tap.received()) == 2, "AgentTaskCompleted and AgentTaskFailed, once each"


BREAKER = "payments-gateway"
T0 = 1_800_000_000.0
SETTINGS = BreakerSettings(
    breaker_failure_threshold=2,
    breaker_window_seconds=10,
    breaker_cooldown_seconds=30,
    breaker_probe_timeout_seconds=60,
)


@pytest.fixture
def store(bus_tap: BusTap) -> DynamoDBBreakerStore:
    """The CircuitBreakers table (the State stack's key schema) on the moto of `bus_tap`."""
    boto3.client("dynamodb").create_table(
        TableName="CircuitBreakers",
        KeySchema=[{"AttributeName": "breaker_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "breaker_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return DynamoDBBreakerStore(boto3.resource("dynamodb").Table("CircuitBreakers"))


def test_each_breaker_transition_is_a_metric_by_breaker_and_states_and_an_event_on_the_bus(
    bus_tap: BusTap, store: DynamoDBBreakerStore, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = Clock(now=lambda: T0)
    publisher = EventPublisher(EventBridgeBus(boto3.client("events")), bus_tap.bus_name, producer="tests")
    # A logger of its own, made now: Powertools binds it to the stdout of the moment, which capsys holds.
    logger = Logger(service="breaker-observability-test")
    breaker = CircuitBreaker(BREAKER, store, SETTINGS, clock=clock, listener=observed(publisher, logger))
    capsys.readouterr()

    for _ in range(SETTINGS.breaker_failure_threshold):
        with pytest.raises(DownstreamDown):
            breaker.call(Downstream(failing=True))
    clock.advance(SETTINGS.breaker_cooldown_seconds)
    assert breaker.call(Downstream()) == "ok", "the probe"

    out = capsys.readouterr().out
    documents = _emf(out, TRANSITIONS_METRIC)
    transitions = [("CLOSED", "OPEN"), ("OPEN", "HALF_OPEN"), ("HALF_OPEN", "CLOSED")]
    assert [(d["breaker_id"], d["from_state"], d["to_state"], d[TRANSITIONS_METRIC]) for d in documents] == [
        (BREAKER, before, after, [1.0]) for before, after in transitions
    ]
    for document in documents:
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == NAMESPACE
        assert directive["Dimensions"] == [["breaker_id", "from_state", "to_state"]]
    events = bus_tap.received()
    assert [(e["source"], e["detail-type"]) for e in events] == [
        (BreakerStateChanged.SOURCE, BreakerStateChanged.DETAIL_TYPE)
    ] * 3
    changes = [BreakerStateChanged.model_validate(e["detail"]["data"]) for e in events]
    assert [(c.previous_state, c.state) for c in changes] == transitions
    assert [c.version for c in changes] == [2, 3, 4]
    assert [c.changed_at.timestamp() for c in changes] == [T0, T0 + 30, T0 + 30]
    metadata = [e["detail"]["metadata"] for e in events]
    assert {m["correlation_id"] for m in metadata} == {BREAKER}
    assert [m["idempotency_key"] for m in metadata] == [f"{BREAKER}:v{c.version}" for c in changes]
    logged = [json.loads(line) for line in out.splitlines() if '"circuit breaker state changed"' in line]
    assert [(line["previous_state"], line["state"]) for line in logged] == transitions


def test_a_state_change_that_cannot_be_published_is_logged_and_the_breaker_goes_on(
    bus_tap: BusTap, store: DynamoDBBreakerStore, capsys: pytest.CaptureFixture[str]
) -> None:
    publisher = EventPublisher(EventBridgeBus(boto3.client("events")), "no-such-bus", producer="tests", max_attempts=1)
    logger = Logger(service="breaker-unpublished-test")
    breaker = CircuitBreaker(
        BREAKER, store, SETTINGS, clock=Clock(now=lambda: T0), listener=observed(publisher, logger)
    )
    capsys.readouterr()

    for _ in range(SETTINGS.breaker_failure_threshold):
        with pytest.raises(DownstreamDown):  # the downstream's own error, not the listener's
            breaker.call(Downstream(failing=True))

    assert breaker.state().state == "OPEN"
    out = capsys.readouterr().out
    assert len(_emf(out, TRANSITIONS_METRIC)) == 1, "the metric does not depend on the bus"
    (unpublished,) = [json.loads(line) for line in out.splitlines() if "breaker state change not published" in line]
    assert (unpublished["level"], unpublished["breaker_id"], unpublished["state"]) == ("ERROR", BREAKER, "OPEN")
    assert unpublished["error_code"]
    assert bus_tap.received() == []

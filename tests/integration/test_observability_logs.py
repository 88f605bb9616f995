"""The correlation id on every log line: each handler, run in-process (moto where it calls AWS), writes it on every
Powertools JSON line, the logic's loggers included, per record in an SQS batch, and leaves none behind."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from aws_lambda_powertools import Logger

from functions.agents import handler as agents_handler
from functions.callback import handler as callback_handler
from functions.ingest import handler as ingest_handler
from functions.log_context import KEY
from functions.schema_guard import handler as guard_handler
from functions.synthesis import handler as synthesis_handler
from functions.triage import handler as triage_handler
from tests.builders import (
    LambdaContext,
    agent_task_request,
    api_request,
    delivered_event,
    sample_data,
    sqs_event,
    ticket,
)
from tests.conftest import LogLines
from tests.integration.conftest import BusTap


def _correlation_ids(lines: list[dict[str, Any]]) -> list[str | None]:
    return [line.get(KEY) for line in lines]


def _no_key_left(logger: Logger) -> None:
    assert KEY not in logger.thread_safe_get_current_keys()
    assert KEY not in logger.get_current_keys()


@pytest.fixture
def reasoner(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("REASONER", "offline")
    triage_handler.reasoner.cache_clear()
    synthesis_handler.reasoner.cache_clear()
    yield
    triage_handler.reasoner.cache_clear()
    synthesis_handler.reasoner.cache_clear()


def _request(agent: str, correlation_id: str, task_id: str) -> str:
    request = agent_task_request(agent=agent, heartbeat_seconds=None, task_id=task_id)
    request["detail"]["metadata"].update(correlation_id=correlation_id, idempotency_key=f"idem-{task_id}")
    return json.dumps(request)


def test_the_agents_log_each_record_under_its_own_correlation_id(tap: BusTap, log_lines: LogLines) -> None:
    # Two processes in one batch: a task done, and one the agent cannot do (its logic logs that), then one unreadable.
    batch = sqs_event([_request("technical", "ticket-A", "task-a"), _request("legal", "ticket-B", "task-b"), "{}"])

    response = agents_handler.handler(batch, LambdaContext())

    assert [f["itemIdentifier"] for f in response["batchItemFailures"]] == ["m-2"]
    lines = log_lines()
    assert [(line["message"], line.get(KEY)) for line in lines] == [
        ("events published", "ticket-A"),  # the producer library's logger: AgentTaskCompleted
        ("agent task handled", "ticket-A"),
        ("agent cannot do the task", "ticket-B"),  # the agents' logic's logger
        ("events published", "ticket-B"),  # AgentTaskFailed
        ("agent task handled", "ticket-B"),
    ]
    _no_key_left(agents_handler.logger)


def test_the_callback_logs_each_record_under_its_own_correlation_id(tap: BusTap, log_lines: LogLines) -> None:
    completed = delivered_event("AgentTaskCompleted", "orchestrator.agents", correlation_id="ticket-C")
    failed = delivered_event(
        "AgentTaskFailed", "orchestrator.agents", correlation_id="ticket-D", event_id="evt-2", idempotency_key="idem-2"
    )

    callback_handler.handler(sqs_event([json.dumps(completed), json.dumps(failed)]), LambdaContext())

    lines = log_lines()
    assert [(line["event_id"], line.get(KEY)) for line in lines] == [("evt-1", "ticket-C"), ("evt-2", "ticket-D")]
    _no_key_left(callback_handler.logger)


def test_triage_and_synthesis_log_under_the_ticket_id_the_pipeline_correlates_by(
    reasoner: None, log_lines: LogLines
) -> None:
    submitted = ticket("ticket-E")
    results = [{"agent": "billing", "status": "timed_out", "error": "States.HeartbeatTimeout"}]

    triage_handler.handler({"ticket": submitted}, LambdaContext())
    synthesis_handler.handler({"ticket": submitted, "results": results}, LambdaContext())

    lines = log_lines()
    assert [line["message"] for line in lines] == ["ticket triaged", "reply written"]
    assert _correlation_ids(lines) == ["ticket-E", "ticket-E"]
    _no_key_left(triage_handler.logger)


def test_the_schema_guard_logs_under_the_delivered_events_correlation_id_when_it_has_one(
    quarantine_url: str, log_lines: LogLines
) -> None:
    missing_field = {key: value for key, value in sample_data("OrderPlaced").items() if key != "customer_id"}
    invalid = delivered_event("OrderPlaced", "shop.orders", missing_field, correlation_id="order-F")
    no_envelope = {**delivered_event("OrderPlaced", "shop.orders"), "detail": "not an envelope"}

    guard_handler.handler(invalid, LambdaContext())
    guard_handler.handler(no_envelope, LambdaContext())

    lines = log_lines()
    assert [line["message"] for line in lines] == ["event quarantined", "event quarantined"]
    assert _correlation_ids(lines) == ["order-F", None], "the second has none, and not the first's"
    _no_key_left(guard_handler.logger)


def test_ingest_logs_under_the_request_id_and_names_the_events_correlation_ids(
    bus_tap: BusTap, monkeypatch: pytest.MonkeyPatch, log_lines: LogLines
) -> None:
    monkeypatch.setenv("EVENT_BUS_NAME", bus_tap.bus_name)
    ingest_handler.settings.cache_clear()
    ingest_handler.publisher.cache_clear()
    placed = {"detail-type": "OrderPlaced", "data": sample_data("OrderPlaced")}
    body = json.dumps({"events": [{**placed, "correlation_id": "order-G"}, {**placed, "correlation_id": "order-H"}]})

    accepted = ingest_handler.handler(api_request(body), LambdaContext())
    refused = ingest_handler.handler(api_request("not json"), LambdaContext())

    assert (accepted["statusCode"], refused["statusCode"]) == (202, 400)
    lines = log_lines()
    assert [line["message"] for line in lines] == ["events published", "events accepted", "request refused"]
    assert _correlation_ids(lines) == ["req-1", "req-1", "req-1"]
    assert lines[1]["correlation_ids"] == ["order-G", "order-H"]
    _no_key_left(ingest_handler.logger)
    ingest_handler.settings.cache_clear()
    ingest_handler.publisher.cache_clear()

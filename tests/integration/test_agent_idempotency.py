"""Idempotency of the agents and callback handlers in-process against moto, on a real Idempotency table: a
redelivered event has its side effect once and gets the same answer; the same key with other data is refused."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyValidationError

from functions.agents import handler as agents_handler
from functions.agents.consumer import read_event
from functions.callback import handler as callback_handler
from schemas.agents import AgentTaskRequested
from tests.builders import LambdaContext, agent_task_request, delivered_event, sqs_event
from tests.integration.conftest import IDEMPOTENCY_TABLE, BusTap


def _stored_records() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = boto3.client("dynamodb").scan(TableName=IDEMPOTENCY_TABLE)["Items"]
    return items


def test_the_same_request_delivered_five_times_emits_one_outcome_and_answers_the_same(tap: BusTap) -> None:
    request = agent_task_request(agent="billing", heartbeat_seconds=None)

    responses = [agents_handler.handler(sqs_event([json.dumps(request)]), LambdaContext()) for _ in range(5)]

    assert responses == [{"batchItemFailures": []}] * 5
    (completed,) = tap.received()
    assert completed["detail-type"] == "AgentTaskCompleted"
    (record,) = _stored_records()
    assert record["status"]["S"] == "COMPLETED"
    stored = json.loads(record["data"]["S"])
    assert (stored["status"], stored["event_id"]) == ("completed", completed["detail"]["metadata"]["event_id"])


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_the_same_key_with_changed_data_is_refused_and_reported_as_a_batch_item_failure(tap: BusTap) -> None:
    first = agent_task_request(agent="billing", heartbeat_seconds=None)
    changed = copy.deepcopy(first)
    changed["detail"]["data"]["agent"] = "technical"
    assert changed["detail"]["metadata"]["idempotency_key"] == first["detail"]["metadata"]["idempotency_key"]

    agents_handler.handler(sqs_event([json.dumps(first)]), LambdaContext())
    response = agents_handler.handler(sqs_event([json.dumps(changed)]), LambdaContext())

    assert response == {"batchItemFailures": [{"itemIdentifier": "m-0"}]}
    (completed,) = tap.received()
    assert completed["detail"]["data"]["agent"] == "billing"
    # The cause of that failure, through the handler's own idempotent function:
    deps = agents_handler.dependencies()
    with pytest.raises(IdempotencyValidationError):
        deps.perform_once.call(event=read_event(json.dumps(changed), AgentTaskRequested), deps=deps)
    assert tap.received() == []


@pytest.fixture
def step_functions_calls(tap: BusTap) -> Iterator[list[str]]:
    """The Step Functions operations the callback's client calls, recorded by a botocore hook on a new session."""
    calls: list[str] = []
    boto3.setup_default_session()
    assert boto3.DEFAULT_SESSION is not None
    boto3.DEFAULT_SESSION.events.register("before-call.sfn", lambda model, **_: calls.append(model.name))
    callback_handler.dependencies.cache_clear()  # its clients are built after the hook, from that session
    yield calls
    callback_handler.dependencies.cache_clear()
    boto3.setup_default_session()


def test_the_same_outcome_delivered_five_times_calls_step_functions_once(
    tap: BusTap, step_functions_calls: list[str]
) -> None:
    completed = delivered_event("AgentTaskCompleted", "orchestrator.agents")

    responses = [callback_handler.handler(sqs_event([json.dumps(completed)]), LambdaContext()) for _ in range(5)]

    assert responses == [{"batchItemFailures": []}] * 5
    assert step_functions_calls == ["SendTaskSuccess"]  # the token is unknown to moto: "gone", stored once


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_the_callback_refuses_a_changed_outcome_under_the_same_key(
    tap: BusTap, step_functions_calls: list[str]
) -> None:
    completed = delivered_event("AgentTaskCompleted", "orchestrator.agents")
    changed = copy.deepcopy(completed)
    changed["detail"]["data"]["output"] = {"summary": "something else"}

    callback_handler.handler(sqs_event([json.dumps(completed)]), LambdaContext())
    response = callback_handler.handler(sqs_event([json.dumps(changed)]), LambdaContext())

    assert response == {"batchItemFailures": [{"itemIdentifier": "m-0"}]}
    assert step_functions_calls == ["SendTaskSuccess"]

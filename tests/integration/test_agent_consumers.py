"""The agents and callback handlers in-process against moto: partial batch failures, events on the bus, and what
they do when Step Functions answers that the workflow no longer waits."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from functions.agents import handler as agents_handler
from functions.agents.task_tokens import GONE_ERROR_CODES, StepFunctionsTaskTokens
from functions.callback import handler as callback_handler
from functions.settings import SettingsError
from schemas.envelope import EventDetail
from schemas.validation import validate_detail
from tests.builders import LambdaContext, agent_task_request, delivered_event, sqs_event
from tests.integration.conftest import BusTap

UNKNOWN_TOKEN = "AQCEAAAAKgAAAAMAAAAAAAAAAf=="  # the sample data's token: no execution ever issued it


def _failed_ids(response: dict[str, Any]) -> list[str]:
    return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]


def test_moto_answers_invalid_token_for_a_token_no_execution_issued(tap: BusTap) -> None:
    client = boto3.client("stepfunctions")
    with pytest.raises(ClientError) as caught:
        client.send_task_success(taskToken=UNKNOWN_TOKEN, output="{}")

    assert caught.value.response["Error"]["Code"] == "InvalidToken"
    assert "InvalidToken" in GONE_ERROR_CODES
    tokens = StepFunctionsTaskTokens(client)
    assert tokens.succeed(UNKNOWN_TOKEN, "{}") is False
    assert tokens.fail(UNKNOWN_TOKEN, "AgentFailed", "no") is False
    assert tokens.heartbeat(UNKNOWN_TOKEN) is False


def test_agents_report_only_the_messages_they_cannot_read(tap: BusTap) -> None:
    good = agent_task_request(agent="technical", heartbeat_seconds=None, task_id="task-good")
    wrong_type = delivered_event("ApprovalDecided", "orchestrator.approvals")
    invalid = agent_task_request(task_token="")
    batch = sqs_event([json.dumps(good), "not json", json.dumps(wrong_type), json.dumps(invalid)])

    response = agents_handler.handler(batch, LambdaContext())

    assert _failed_ids(response) == ["m-1", "m-2", "m-3"]
    (completed,) = tap.received()
    detail: EventDetail[Any] = validate_detail(completed["detail-type"], completed["detail"], completed["source"])
    assert (completed["detail-type"], detail.data.task_id, detail.data.agent) == (
        "AgentTaskCompleted",
        "task-good",
        "technical",
    )
    assert detail.metadata.causation_id == "request-1"


def test_an_agent_does_nothing_for_a_task_its_workflow_no_longer_waits_for(tap: BusTap) -> None:
    request = agent_task_request(agent="billing", heartbeat_seconds=60, task_token=UNKNOWN_TOKEN)

    response = agents_handler.handler(sqs_event([json.dumps(request)]), LambdaContext())

    assert response == {"batchItemFailures": []}, "dropped, not redelivered"
    assert tap.received() == []


def test_an_unknown_agent_answers_with_a_failure_event(tap: BusTap) -> None:
    request = agent_task_request(agent="legal", heartbeat_seconds=None)

    agents_handler.handler(sqs_event([json.dumps(request)]), LambdaContext())

    (failed,) = tap.received()
    assert failed["detail-type"] == "AgentTaskFailed"
    assert (failed["detail"]["data"]["error"], failed["detail"]["data"]["task_token"]) == ("UnknownAgent", "token-1")


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_a_misconfigured_agents_function_fails_the_whole_invocation(
    tap: BusTap, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REASONER", "bedrock")
    agents_handler.dependencies.cache_clear()

    with pytest.raises(SettingsError, match="REASONER: no reasoner named 'bedrock'"):
        agents_handler.handler(sqs_event([json.dumps(agent_task_request())]), LambdaContext())


def test_the_callback_drops_outcomes_nobody_waits_for_and_fails_unreadable_messages(tap: BusTap) -> None:
    completed = delivered_event("AgentTaskCompleted", "orchestrator.agents")
    # Two events, so two idempotency keys: under one key the callback would refuse the second as a changed payload.
    failed = delivered_event("AgentTaskFailed", "orchestrator.agents", event_id="evt-2", idempotency_key="idem-2")
    request = agent_task_request()  # an event the callback does not read

    response = callback_handler.handler(
        sqs_event([json.dumps(completed), json.dumps(failed), json.dumps(request), "{}"]), LambdaContext()
    )

    assert _failed_ids(response) == ["m-2", "m-3"]

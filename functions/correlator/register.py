"""Lambda handler a workflow invokes to wait for a message by business key (`lambda:invoke.waitForTaskToken`).

The request names the message (an event's detail-type), the correlation key, the task token, a waiter id that stays
the same across retries and redrives of the task (execution id + state name: a state entered again after a delivery
registers afresh, its earlier waiter being removed once answered) and how long the workflow waits
(the task's TimeoutSeconds; the waiter expires with it). A message buffered before the workflow came is delivered at
once; otherwise the waiter is stored and the correlator's handler resumes it when the message arrives. The function
returns at once either way: the workflow waits on its token, not on this invocation.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from functools import cache
from typing import Annotated, Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field, StringConstraints

from functions.agents.task_tokens import StepFunctionsTaskTokens
from functions.correlator.dynamodb import DynamoDBCorrelationStore
from functions.correlator.logic import Subject, Waiter, register
from functions.correlator.messages import BROADCAST, CORRELATED
from functions.log_context import correlated
from functions.observability import observability
from functions.settings import load_settings
from schemas.agents import TaskToken
from schemas.envelope import Identifier

logger, tracer, _ = observability()  # no metrics of its own


class Settings(BaseModel):
    workflow_control_table: str = Field(min_length=1)


class WaitRequest(BaseModel):
    message_name: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    correlation_key: Identifier
    waiter_id: Annotated[str, StringConstraints(min_length=1, max_length=2048)]
    task_token: TaskToken
    timeout_seconds: int = Field(ge=1, le=31_536_000)


@cache
def dependencies() -> tuple[DynamoDBCorrelationStore, StepFunctionsTaskTokens]:
    table = boto3.resource("dynamodb").Table(load_settings(Settings).workflow_control_table)
    return DynamoDBCorrelationStore(table), StepFunctionsTaskTokens(boto3.client("stepfunctions"))


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = WaitRequest.model_validate(event)
    if request.message_name not in CORRELATED:
        # A definition waiting for a message nobody routes to the correlator would wait until its timeout.
        raise ValueError(f"message_name: {request.message_name!r} is not correlated; one of {sorted(CORRELATED)}")
    store, tokens = dependencies()
    now_ms = int(time.time() * 1000)
    waiter = Waiter(
        Subject(request.message_name, request.correlation_key),
        request.waiter_id,
        request.task_token,
        now_ms,
        now_ms + request.timeout_seconds * 1000,
    )
    # The business key is the workflow's correlation id (the ticket's, the order's).
    with correlated(logger, request.correlation_key):
        outcome = register(store, tokens, waiter, now_ms, broadcast=request.message_name in BROADCAST)
        logger.info("waiter registered", delivery=outcome.delivery, message_name=request.message_name)
    return {key: value for key, value in asdict(outcome).items() if value is not None}

"""Lambda handler of the correlator's deliveries: the consumer of the correlated events' queue.

Each event (an approval decided elsewhere, a payment webhook...) is stored once by its message id (the envelope's
`metadata.idempotency_key`) and resumes the workflow waiting for its business key, or waits buffered for it
(functions/correlator/__init__.py). Partial batch failures: an unreadable event, a message id reused with other data
(`MessageConflict`) or a DynamoDB / Step Functions fault fails that message alone, up to the dead-letter queue.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cache, partial
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from functions.agents.consumer import process_batch, read_event
from functions.agents.task_tokens import StepFunctionsTaskTokens, TaskTokens
from functions.correlator.dynamodb import DynamoDBCorrelationStore
from functions.correlator.logic import CorrelationStore, Message, Subject, receive
from functions.correlator.messages import BROADCAST, CORRELATED
from functions.log_context import correlated
from functions.observability import observability
from functions.settings import load_settings

logger, tracer, metrics = observability()

_ACCEPTED = tuple(event_type for event_type, _ in CORRELATED.values())


class Settings(BaseModel):
    workflow_control_table: str = Field(min_length=1)
    # How long a message nobody waits for yet stays buffered for a waiter to come.
    message_ttl_seconds: int = Field(ge=1)


@dataclass(frozen=True)
class Dependencies:
    store: CorrelationStore
    tokens: TaskTokens
    message_ttl_ms: int


@cache
def dependencies() -> Dependencies:
    settings = load_settings(Settings)
    return Dependencies(
        store=DynamoDBCorrelationStore(boto3.resource("dynamodb").Table(settings.workflow_control_table)),
        tokens=StepFunctionsTaskTokens(boto3.client("stepfunctions")),
        message_ttl_ms=settings.message_ttl_seconds * 1000,
    )


@tracer.capture_method
def handle_record(record: SQSRecord, deps: Dependencies) -> None:
    event = read_event(record.body, *_ACCEPTED)
    detail_type = type(event.data).DETAIL_TYPE
    _, correlation_key_of = CORRELATED[detail_type]
    subject = Subject(detail_type, correlation_key_of(event.data))
    now_ms = int(time.time() * 1000)
    message = Message(
        subject,
        event.metadata.idempotency_key,
        {
            "message_name": detail_type,
            "message_id": event.metadata.idempotency_key,
            "correlation_key": subject.correlation_key,
            "data": event.data.model_dump(mode="json"),
            "metadata": event.metadata.model_dump(mode="json", exclude_none=True),
        },
        now_ms,
        now_ms + deps.message_ttl_ms,
    )
    with correlated(logger, event.metadata.correlation_id):
        outcome = receive(deps.store, deps.tokens, message, now_ms, broadcast=detail_type in BROADCAST)
        metrics.add_metric(name=f"Messages_{outcome.delivery}", unit=MetricUnit.Count, value=1)
        logger.info(
            "correlated message",
            delivery=outcome.delivery,
            message_name=detail_type,
            correlation_key=subject.correlation_key,
            message_id=message.message_id,
        )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    deps = dependencies()  # configuration first: a misconfigured function fails whole, not per message
    return process_batch(event, partial(handle_record, deps=deps), context)

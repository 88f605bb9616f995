"""Lambda handler of the callback: the consumer of the callback queue (rule on AgentTaskCompleted | AgentTaskFailed).

Partial batch failures: an unreadable message or a Step Functions fault fails that message alone, which is delivered
again up to the queue's dead-letter queue; an event whose workflow gave up is logged and dropped.

Idempotency (Powertools, on the State stack's Idempotency table, keyed on the envelope's `metadata.idempotency_key`):
a redelivered outcome gets the stored resumption and calls Step Functions no more; the same key with other `data`
fails that message (IdempotencyValidationError), which ends in the dead-letter queue.
"""

from __future__ import annotations

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
from functions.callback.logic import Resumption, resume
from functions.idempotency import OncePerEvent, once_per_event
from functions.log_context import correlated
from functions.observability import observability
from functions.settings import load_settings
from schemas.agents import AgentTaskCompleted, AgentTaskFailed
from schemas.envelope import EventDetail

logger, tracer, metrics = observability()


class Settings(BaseModel):
    idempotency_table: str = Field(min_length=1)


@dataclass(frozen=True)
class Dependencies:
    tokens: TaskTokens
    resume_once: OncePerEvent[Resumption]


@cache
def dependencies() -> Dependencies:
    settings = load_settings(Settings)
    return Dependencies(
        tokens=StepFunctionsTaskTokens(boto3.client("stepfunctions")),
        resume_once=once_per_event(_resume, Resumption, settings.idempotency_table),
    )


def _resume(*, event: EventDetail[Any], tokens: TaskTokens) -> Resumption:
    return resume(event, tokens)


@tracer.capture_method
def handle_record(record: SQSRecord, deps: Dependencies) -> None:
    # An unreadable message fails here, before any idempotency record is written for it.
    event = read_event(record.body, AgentTaskCompleted, AgentTaskFailed)
    # This record's lines only: the next record of the batch may belong to another process.
    with correlated(logger, event.metadata.correlation_id):
        resumption = deps.resume_once.call(event=event, tokens=deps.tokens)
        keys = {"task_id": resumption.task_id, "agent": resumption.agent, "event_id": event.metadata.event_id}
        if resumption.result == "gone":
            metrics.add_metric(name="CallbacksDropped", unit=MetricUnit.Count, value=1)
            logger.warning("workflow no longer waits for this task: event dropped", extra=keys)
            return
        metrics.add_metric(name="CallbacksDelivered", unit=MetricUnit.Count, value=1)
        logger.info("workflow task resumed", result=resumption.result, extra=keys)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    # Configuration is read before the batch, so a misconfigured function fails whole instead of per message.
    deps = dependencies()
    # An in-progress record of this invocation expires with it, so a crashed attempt does not block the redelivery.
    deps.resume_once.config.register_lambda_context(context)
    return process_batch(event, partial(handle_record, deps=deps), context)

"""Lambda handler of the callback: the consumer of the callback queue (rule on AgentTaskCompleted | AgentTaskFailed).

Partial batch failures: an unreadable message or a Step Functions fault fails that message alone, which is delivered
again up to the queue's dead-letter queue; an event whose workflow gave up is logged and dropped.
"""

from __future__ import annotations

from functools import cache, partial
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.agents.consumer import process_batch, read_event
from functions.agents.task_tokens import StepFunctionsTaskTokens, TaskTokens
from functions.callback.logic import resume
from schemas.agents import AgentTaskCompleted, AgentTaskFailed

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@cache
def task_tokens() -> TaskTokens:
    return StepFunctionsTaskTokens(boto3.client("stepfunctions"))


@tracer.capture_method
def handle_record(record: SQSRecord, tokens: TaskTokens) -> None:
    event = read_event(record.body, AgentTaskCompleted, AgentTaskFailed)
    resumption = resume(event, tokens)
    keys = {
        "task_id": resumption.task_id,
        "agent": resumption.agent,
        "correlation_id": event.metadata.correlation_id,
        "event_id": event.metadata.event_id,
    }
    if resumption.result == "gone":
        metrics.add_metric(name="CallbacksDropped", unit=MetricUnit.Count, value=1)
        logger.warning("workflow no longer waits for this task: event dropped", extra=keys)
        return
    metrics.add_metric(name="CallbacksDelivered", unit=MetricUnit.Count, value=1)
    logger.info("workflow task resumed", result=resumption.result, extra=keys)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_batch(event, partial(handle_record, tokens=task_tokens()), context)

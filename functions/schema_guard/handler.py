"""Lambda handler of the schema guard: the target of the bus's catch-all rule."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from functions.log_context import correlated, delivered_correlation_id
from functions.observability import observability
from functions.schema_guard.logic import Quarantine, guard
from functions.schema_guard.sqs_quarantine import SqsQuarantine
from functions.settings import load_settings

logger, tracer, metrics = observability()


class Settings(BaseModel):
    quarantine_queue_url: str = Field(min_length=1)


@cache
def quarantine() -> Quarantine:
    settings = load_settings(Settings)
    return SqsQuarantine(boto3.client("sqs"), settings.quarantine_queue_url)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # Read from the event as delivered: an invalid event is logged under whatever correlation id it carries.
    with correlated(logger, delivered_correlation_id(event)):
        verdict = guard(event, quarantine())
        if verdict.valid:
            metrics.add_metric(name="ValidEvents", unit=MetricUnit.Count, value=1)
        else:
            metrics.add_metric(name="QuarantinedEvents", unit=MetricUnit.Count, value=1)
            logger.warning("event quarantined", event_id=verdict.event_id, reason=verdict.reason)
    return {"event_id": verdict.event_id, "valid": verdict.valid, "quarantine_id": verdict.quarantine_id}

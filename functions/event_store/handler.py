"""Lambda handler of the event store's appender: the consumer of its queue, which two rules fill (every event of the
stage's bus; every Step Functions execution status change on the default bus).

Each message is one EventBridge event, appended once (functions/event_store/logic.py). Partial batch failures: an
unreadable message or a DynamoDB fault fails that message alone, which is delivered again up to the queue's
dead-letter queue; a duplicate (a redelivery, a retried put, an archive replay) is a success that writes nothing.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from functools import cache, partial
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from functions.agents.consumer import process_batch
from functions.event_store.dynamodb import DynamoDBEventStore, TaggedWorkflows
from functions.event_store.logic import EventStore, Workflows, append, expiry
from functions.log_context import correlated
from functions.observability import observability
from functions.settings import load_settings

logger, tracer, metrics = observability()

_METRICS = {"appended": "EventsStored", "duplicate": "EventDuplicatesIgnored", "not-this-stage": "EventsNotOfStage"}


class Settings(BaseModel):
    event_store_table: str = Field(min_length=1)
    stage: str = Field(min_length=1)
    event_store_retention_days: int = Field(ge=1)


@dataclass(frozen=True)
class Dependencies:
    store: EventStore
    workflows: Workflows
    retention_days: int


@cache
def dependencies() -> Dependencies:
    settings = load_settings(Settings)
    table = boto3.resource("dynamodb").Table(settings.event_store_table)
    workflows = TaggedWorkflows(boto3.client("stepfunctions"), settings.stage)
    return Dependencies(DynamoDBEventStore(table), workflows, settings.event_store_retention_days)


@tracer.capture_method
def handle_record(record: SQSRecord, deps: Dependencies) -> None:
    expires_at = expiry(datetime.datetime.now(datetime.UTC), deps.retention_days)
    outcome, stored = append(json.loads(record.body), deps.store, deps.workflows, expires_at=expires_at)
    with correlated(logger, stored.correlation_id or ""):
        metrics.add_metric(name=_METRICS[outcome], unit=MetricUnit.Count, value=1)
        logger.info("event store", outcome=outcome, event_id=stored.event_id, type=stored.type)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    deps = dependencies()  # read before the batch: a misconfigured function fails whole, not per message
    return process_batch(event, partial(handle_record, deps=deps), context)

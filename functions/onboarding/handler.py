"""Lambda handler of the onboarding agents: the consumer of their queue (rule on AgentTaskRequested for
`onboarding-*` agents). As the specialists' handler: partial batch failures, each request done once per envelope
idempotency key (Powertools, on the Idempotency table)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, partial
from typing import Any

import boto3
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from functions.agents.consumer import process_batch, read_event
from functions.agents.logic import TaskOutcome
from functions.agents.task_tokens import StepFunctionsTaskTokens, TaskTokens
from functions.idempotency import OncePerEvent, once_per_event
from functions.log_context import correlated
from functions.observability import observability
from functions.onboarding.logic import perform
from functions.producer import EventBridgeBus, EventPublisher
from functions.settings import load_settings
from schemas.agents import AgentTaskRequested
from schemas.envelope import EventDetail

logger, tracer, _ = observability()  # no metrics of its own


class Settings(BaseModel):
    event_bus_name: str = Field(min_length=1)
    idempotency_table: str = Field(min_length=1)


@dataclass(frozen=True)
class Dependencies:
    tokens: TaskTokens
    publisher: EventPublisher
    perform_once: OncePerEvent[TaskOutcome]


@cache
def dependencies() -> Dependencies:
    settings = load_settings(Settings)
    return Dependencies(
        tokens=StepFunctionsTaskTokens(boto3.client("stepfunctions")),
        publisher=EventPublisher(
            EventBridgeBus(boto3.client("events")), settings.event_bus_name, producer="onboarding"
        ),
        perform_once=once_per_event(_perform, TaskOutcome, settings.idempotency_table),
    )


def _perform(*, event: EventDetail[AgentTaskRequested], deps: Dependencies) -> TaskOutcome:
    return perform(event, deps.tokens, deps.publisher)


@tracer.capture_method
def handle_record(record: SQSRecord, deps: Dependencies) -> None:
    request = read_event(record.body, AgentTaskRequested)
    with correlated(logger, request.metadata.correlation_id):
        outcome = deps.perform_once.call(event=request, deps=deps)
        logger.info("onboarding task handled", task_id=outcome.task_id, agent=outcome.agent, status=outcome.status)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deps = dependencies()
    deps.perform_once.config.register_lambda_context(context)
    return process_batch(event, partial(handle_record, deps=deps), context)

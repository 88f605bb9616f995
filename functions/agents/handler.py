"""Lambda handler of the specialist agents: the consumer of the agents queue (rule on AgentTaskRequested).

One function serves every specialist; the request names the agent. Partial batch failures: a message that fails
(unreadable, or a transient fault) is reported alone and delivered again, up to the queue's dead-letter queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, partial
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from functions.agents.consumer import process_batch, read_event
from functions.agents.logic import perform
from functions.agents.reasoning import Reasoner, ReasonerSettings, reasoner_named
from functions.agents.task_tokens import StepFunctionsTaskTokens, TaskTokens
from functions.producer import EventBridgeBus, EventPublisher
from functions.settings import load_settings
from schemas.agents import AgentTaskRequested

logger = Logger()
tracer = Tracer()
metrics = Metrics()


class Settings(ReasonerSettings):
    event_bus_name: str = Field(min_length=1)


@dataclass(frozen=True)
class Dependencies:
    reasoner: Reasoner
    tokens: TaskTokens
    publisher: EventPublisher


@cache
def dependencies() -> Dependencies:
    settings = load_settings(Settings)
    return Dependencies(
        reasoner=reasoner_named(settings.reasoner),
        tokens=StepFunctionsTaskTokens(boto3.client("stepfunctions")),
        publisher=EventPublisher(EventBridgeBus(boto3.client("events")), settings.event_bus_name, producer="agents"),
    )


@tracer.capture_method
def handle_record(record: SQSRecord, deps: Dependencies) -> None:
    request = read_event(record.body, AgentTaskRequested)
    outcome = perform(request, deps.reasoner, deps.tokens, deps.publisher)
    metrics.add_metric(name=f"AgentTasks{outcome.status.capitalize()}", unit=MetricUnit.Count, value=1)
    logger.info(
        "agent task handled",
        task_id=outcome.task_id,
        agent=outcome.agent,
        status=outcome.status,
        correlation_id=request.metadata.correlation_id,
        event_id=outcome.event_id,
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # Configuration is read before the batch, so a misconfigured function fails whole instead of per message.
    deps = dependencies()
    return process_batch(event, partial(handle_record, deps=deps), context)

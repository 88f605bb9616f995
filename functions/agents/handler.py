"""Lambda handler of the specialist agents: the consumer of the agents queue (rule on AgentTaskRequested).

One function serves every specialist; the request names the agent. Partial batch failures: a message that fails
(unreadable, or a transient fault) is reported alone and delivered again, up to the queue's dead-letter queue.

Idempotency (Powertools, on the State stack's Idempotency table): a request is done once per envelope
`metadata.idempotency_key`; a redelivery gets the stored outcome and emits nothing again. The same key with other
`data` raises IdempotencyValidationError, so that message fails (batch item failure) and ends in the dead-letter
queue: a key reused for another task is a producer's bug to be seen, not a task to do or to skip silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, partial
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.agents import kit
from functions.agents.consumer import process_batch, read_event
from functions.agents.logic import TaskOutcome, perform
from functions.agents.reasoning import Reasoner, ReasonerSettings, reasoner_named
from functions.agents.task_tokens import StepFunctionsTaskTokens, TaskTokens
from functions.idempotency import OncePerEvent, once_per_event
from functions.log_context import correlated
from functions.observability import observability
from functions.producer import EventBridgeBus, EventPublisher
from functions.settings import load_settings
from schemas.agents import AgentTaskRequested
from schemas.envelope import EventDetail

logger, tracer, metrics = observability()

LATENCY_METRIC = "AgentLatency"


class Settings(ReasonerSettings, kit.Settings):
    """The kit's settings (the bus, the idempotency table) and the reasoner's."""


@dataclass(frozen=True)
class Dependencies:
    reasoner: Reasoner
    tokens: TaskTokens
    publisher: EventPublisher
    perform_once: OncePerEvent[TaskOutcome]


@cache
def dependencies() -> Dependencies:
    settings = load_settings(Settings)
    return Dependencies(
        reasoner=reasoner_named(settings.reasoner),
        tokens=StepFunctionsTaskTokens(boto3.client("stepfunctions")),
        publisher=EventPublisher(EventBridgeBus(boto3.client("events")), settings.event_bus_name, producer="agents"),
        # Wrapped here, not at import: the persistence layer is an adapter, built when the function first runs.
        perform_once=once_per_event(_perform, TaskOutcome, settings.idempotency_table),
    )


def _perform(*, event: EventDetail[AgentTaskRequested], deps: Dependencies) -> TaskOutcome:
    outcome = perform(event, deps.reasoner, deps.tokens, deps.publisher)
    # Here, inside the once-per-event wrapper, so a redelivery that gets the stored outcome is not measured again.
    if outcome.event_id is not None:
        _record_latency(event, outcome)
    return outcome


def _record_latency(request: EventDetail[AgentTaskRequested], outcome: TaskOutcome) -> None:
    """`AgentLatency` by agent: from the workflow's dispatch (the request's `occurred_at`) to the outcome event sent
    back (now), which is what the waiting workflow sees: queueing and redeliveries included, not only the work."""
    elapsed = datetime.now(UTC) - request.metadata.occurred_at
    # Never negative: clocks of two hosts (or the local runtime's jumped clock) may disagree by a little.
    milliseconds = max(elapsed.total_seconds() * 1000, 0.0)
    # A metric of its own: the `agent` dimension is this metric's only, and one batch holds several agents' tasks.
    with single_metric(name=LATENCY_METRIC, unit=MetricUnit.Milliseconds, value=milliseconds) as metric:
        metric.add_dimension(name="agent", value=outcome.agent)


@tracer.capture_method
def handle_record(record: SQSRecord, deps: Dependencies) -> None:
    # An unreadable message fails here, before any idempotency record is written for it.
    request = read_event(record.body, AgentTaskRequested)
    # This record's lines only: the next record of the batch may belong to another process.
    with correlated(logger, request.metadata.correlation_id):
        outcome = deps.perform_once.call(event=request, deps=deps)
        metrics.add_metric(name=f"AgentTasks{outcome.status.capitalize()}", unit=MetricUnit.Count, value=1)
        logger.info(
            "agent task handled",
            task_id=outcome.task_id,
            agent=outcome.agent,
            status=outcome.status,
            event_id=outcome.event_id,
        )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    # Configuration is read before the batch, so a misconfigured function fails whole instead of per message.
    deps = dependencies()
    # An in-progress record of this invocation expires with it, so a crashed attempt does not block the redelivery.
    deps.perform_once.config.register_lambda_context(context)
    return process_batch(event, partial(handle_record, deps=deps), context)

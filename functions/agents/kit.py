"""What every agent of one's own shares, so that a new agent is its logic and two lines of handler:

    # functions/<package>/handler.py
    from functions.agents.kit import agent_handler
    from functions.<package>.logic import work

    handler = agent_handler(work)

`work(task)` does one requested task: it reads `task.agent` and `task.input`, returns the output (a JSON object, sent
back as AgentTaskCompleted), or raises `AgentRefused(error, cause)` for a task it cannot do (AgentTaskFailed; the
workflow's Catch or the DAG's compensations take over). Any other exception is a transient fault: the message fails
alone (partial batch failure) and is delivered again, up to the queue's dead-letter queue. `task.emit(event)` puts
another event on the bus, caused by the request (its type must be in the agent's `emits`, functions/*/agent.yaml,
which is what its PutEvents grant allows).

The handler is the consumer of the agent's queue, as the shipped agents' are: each request heartbeats first when
the workflow asked for heartbeats (a task the workflow already gave up on is not done), is done once per envelope
idempotency key (Powertools, on the Idempotency table), and logs with the request's correlation id. The settings
(EVENT_BUS_NAME, IDEMPOTENCY_TABLE) are what the app sets on every declared agent's function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, partial
from typing import Any

import boto3
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from functions.agents.consumer import process_batch, read_event
from functions.agents.logic import PublishFailedError, TaskOutcome, emit_completion, emit_failure
from functions.agents.task_tokens import StepFunctionsTaskTokens, TaskTokens
from functions.idempotency import OncePerEvent, once_per_event
from functions.log_context import correlated
from functions.observability import observability
from functions.producer import EventBridgeBus, EventPublisher
from functions.settings import load_settings
from schemas.agents import AgentTaskRequested
from schemas.envelope import EventData, EventDetail

Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


class AgentRefused(Exception):
    """The agent cannot do this task, and trying again will not help: `error` becomes the Step Functions error a
    Catch matches (a short name), `cause` the explanation."""

    def __init__(self, error: str, cause: str) -> None:
        super().__init__(f"{error}: {cause}")
        self.error, self.cause = error, cause


@dataclass(frozen=True)
class AgentTask:
    """One requested task as `work` sees it (a unit test of the logic builds one with the agent and input only)."""

    agent: str
    input: dict[str, Any]
    request: EventDetail[AgentTaskRequested] | None = field(default=None, repr=False)
    publisher: EventPublisher | None = field(default=None, repr=False)

    def emit(self, event: EventData) -> str:
        """Puts `event` on the bus, caused by this task's request; returns its event id."""
        if self.request is None or self.publisher is None:
            raise RuntimeError("a task built without its request and publisher emits nothing")
        (result,) = self.publisher.publish([event], caused_by=self.request)
        if not result.sent:
            raise PublishFailedError(f"{event.DETAIL_TYPE} not published: {result.error_code}: {result.error_message}")
        return result.event_id


Work = Callable[[AgentTask], dict[str, Any]]


def perform(
    work: Work, request: EventDetail[AgentTaskRequested], tokens: TaskTokens, publisher: EventPublisher
) -> TaskOutcome:
    """Does one requested task with `work` and answers it (AgentTaskCompleted / AgentTaskFailed)."""
    task = request.data
    if task.heartbeat_seconds is not None and not tokens.heartbeat(task.task_token):
        return TaskOutcome(task.task_id, task.agent, "abandoned")
    try:
        output = work(AgentTask(task.agent, task.input, request, publisher))
    except AgentRefused as refused:
        return emit_failure(request, publisher, refused.error, refused.cause)
    return emit_completion(request, publisher, output)


class Settings(BaseModel):
    event_bus_name: str = Field(min_length=1)
    idempotency_table: str = Field(min_length=1)


@dataclass(frozen=True)
class Dependencies:
    tokens: TaskTokens
    publisher: EventPublisher
    perform_once: OncePerEvent[TaskOutcome]


def agent_handler(work: Work) -> Handler:
    """The Lambda handler of an agent doing its tasks with `work` (call it at the handler module's top level: its
    tools and cached adapters then belong to that function, as each handler module's own do)."""
    logger, tracer, _ = observability()

    def _perform(*, event: EventDetail[AgentTaskRequested], deps: Dependencies) -> TaskOutcome:
        return perform(work, event, deps.tokens, deps.publisher)

    @cache
    def dependencies() -> Dependencies:
        settings = load_settings(Settings)
        return Dependencies(
            tokens=StepFunctionsTaskTokens(boto3.client("stepfunctions")),
            publisher=EventPublisher(
                EventBridgeBus(boto3.client("events")), settings.event_bus_name, producer=logger.service
            ),
            perform_once=once_per_event(_perform, TaskOutcome, settings.idempotency_table),
        )

    @tracer.capture_method
    def handle_record(record: SQSRecord, deps: Dependencies) -> None:
        request = read_event(record.body, AgentTaskRequested)
        with correlated(logger, request.metadata.correlation_id):
            outcome = deps.perform_once.call(event=request, deps=deps)
            logger.info("agent task handled", task_id=outcome.task_id, agent=outcome.agent, status=outcome.status)

    @logger.inject_lambda_context
    @tracer.capture_lambda_handler
    def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
        deps = dependencies()
        deps.perform_once.config.register_lambda_context(context)
        return process_batch(event, partial(handle_record, deps=deps), context)

    return handler

"""A specialist agent's work on one AgentTaskRequested: heartbeat, reason, report the outcome as an event.

The outcome goes back as AgentTaskCompleted (with the finding) or AgentTaskFailed (a task the agent cannot do: an
unknown agent, an input it cannot read, a reasoner refusal), both carrying the task token; the callback handler
turns them into SendTaskSuccess / SendTaskFailure. Transient faults (the reasoner's provider, the bus) raise, so
the message is delivered again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from aws_lambda_powertools import Logger
from pydantic import ValidationError

from functions.agents.reasoning import Reasoner, ReasoningError, ReasoningStalled
from functions.agents.task_tokens import TaskTokens
from functions.producer.publisher import EventPublisher
from schemas.agents import AgentTaskCompleted, AgentTaskFailed, AgentTaskRequested
from schemas.envelope import EventDetail
from schemas.support import TicketSubmitted
from schemas.validation import field_errors

INVALID_INPUT = "InvalidTaskInput"

_logger = Logger(service="agents")

TaskStatus = Literal["completed", "failed", "stalled", "abandoned"]


class PublishFailedError(RuntimeError):
    """The outcome event could not be put on the bus; the request is to be delivered again."""


@dataclass(frozen=True)
class TaskOutcome:
    """What the agent did with a task. `event_id` is that of the event it emitted, if any.

    `stalled`: the reasoner will never answer (nothing emitted; the workflow's heartbeat timeout decides);
    `abandoned`: the workflow had already given up on the task before the agent started (nothing done).
    """

    task_id: str
    agent: str
    status: TaskStatus
    event_id: str | None = None
    error: str = ""


def perform(
    request: EventDetail[AgentTaskRequested], reasoner: Reasoner, tokens: TaskTokens, publisher: EventPublisher
) -> TaskOutcome:
    """Does one requested task and emits its outcome, caused by the request (same correlation id)."""
    task = request.data
    if task.heartbeat_seconds is not None and not tokens.heartbeat(task.task_token):
        _logger.warning("task abandoned by its workflow before work began", extra=_keys(request))
        return TaskOutcome(task.task_id, task.agent, "abandoned")
    try:
        ticket = TicketSubmitted.model_validate(task.input.get("ticket"))
        finding = reasoner.investigate(task.agent, ticket)
    except ValidationError as error:
        cause = "; ".join(str(e) for e in field_errors("AgentTaskRequested", error, "data.input.ticket"))
        return emit_failure(request, publisher, INVALID_INPUT, cause)
    except ReasoningError as error:
        return emit_failure(request, publisher, error.error, error.cause)
    except ReasoningStalled as stalled:
        _logger.warning("agent stalled: no answer will be sent", reason=str(stalled), extra=_keys(request))
        return TaskOutcome(task.task_id, task.agent, "stalled")
    return emit_completion(request, publisher, finding.as_output())


def emit_completion(
    request: EventDetail[AgentTaskRequested], publisher: EventPublisher, output: dict[str, Any]
) -> TaskOutcome:
    """Answers the task with AgentTaskCompleted carrying `output`."""
    task = request.data
    completed = AgentTaskCompleted(task_id=task.task_id, agent=task.agent, task_token=task.task_token, output=output)
    return TaskOutcome(task.task_id, task.agent, "completed", _publish(completed, request, publisher))


def emit_failure(
    request: EventDetail[AgentTaskRequested], publisher: EventPublisher, error: str, cause: str
) -> TaskOutcome:
    """Answers the task with AgentTaskFailed (`error`, `cause`)."""
    task = request.data
    failed = AgentTaskFailed(
        task_id=task.task_id, agent=task.agent, task_token=task.task_token, error=error, cause=cause[:32_768]
    )
    _logger.info("agent cannot do the task", error=error, extra=_keys(request))
    return TaskOutcome(task.task_id, task.agent, "failed", _publish(failed, request, publisher), error)


def _publish(event: AgentTaskCompleted | AgentTaskFailed, request: EventDetail[Any], publisher: EventPublisher) -> str:
    (result,) = publisher.publish([event], caused_by=request)
    if not result.sent:
        raise PublishFailedError(f"{event.DETAIL_TYPE} not published: {result.error_code}: {result.error_message}")
    return result.event_id


def _keys(request: EventDetail[AgentTaskRequested]) -> dict[str, str]:
    return {
        "task_id": request.data.task_id,
        "agent": request.data.agent,
        "correlation_id": request.metadata.correlation_id,
    }

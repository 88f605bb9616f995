"""The agent protocol: workflows dispatch work to agents and wait for humans, all by events.

A dispatched task carries the Step Functions task token that its completion event hands back; an approval is
decided by a business key (`approval_id`), never by a raw token.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import AwareDatetime, Field, StringConstraints

from schemas.envelope import Emitter, EventData, Identifier, NonEmptyStr

TaskToken = Annotated[str, StringConstraints(min_length=1, max_length=2048)]
AgentName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,62}$")]

AGENTS_SOURCE = "orchestrator.agents"
WORKFLOWS_SOURCE = "orchestrator.workflows"


class AgentTaskRequested(EventData):
    DETAIL_TYPE: ClassVar[str] = "AgentTaskRequested"
    SOURCE: ClassVar[str] = WORKFLOWS_SOURCE
    EMITTED_BY: ClassVar[frozenset[Emitter]] = frozenset({Emitter.WORKFLOWS})
    SENSITIVE: ClassVar[frozenset[str]] = frozenset({"task_token"})
    DESCRIPTION: ClassVar[str] = "A workflow asks an agent to do a task and waits for its completion event."

    task_id: Identifier
    agent: AgentName
    task_token: TaskToken
    input: dict[str, Any] = Field(default_factory=dict)
    timeout_seconds: int = Field(ge=1, le=31_536_000)
    heartbeat_seconds: int | None = Field(default=None, ge=1, le=31_536_000)


class AgentTaskCompleted(EventData):
    DETAIL_TYPE: ClassVar[str] = "AgentTaskCompleted"
    SOURCE: ClassVar[str] = AGENTS_SOURCE
    EMITTED_BY: ClassVar[frozenset[Emitter]] = frozenset({Emitter.AGENTS, Emitter.CONTROL})
    SENSITIVE: ClassVar[frozenset[str]] = frozenset({"task_token"})
    DESCRIPTION: ClassVar[str] = "An agent finished a task; resumes the waiting workflow."

    task_id: Identifier
    agent: AgentName
    task_token: TaskToken
    output: dict[str, Any] = Field(default_factory=dict)


class AgentTaskFailed(EventData):
    DETAIL_TYPE: ClassVar[str] = "AgentTaskFailed"
    SOURCE: ClassVar[str] = AGENTS_SOURCE
    EMITTED_BY: ClassVar[frozenset[Emitter]] = frozenset({Emitter.AGENTS, Emitter.CONTROL})
    SENSITIVE: ClassVar[frozenset[str]] = frozenset({"task_token"})
    DESCRIPTION: ClassVar[str] = "An agent could not do a task; fails the waiting task with the error."

    task_id: Identifier
    agent: AgentName
    task_token: TaskToken
    error: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    cause: Annotated[str, StringConstraints(max_length=32_768)] = ""
    retryable: bool = False


class ApprovalRequested(EventData):
    DETAIL_TYPE: ClassVar[str] = "ApprovalRequested"
    SOURCE: ClassVar[str] = WORKFLOWS_SOURCE
    EMITTED_BY: ClassVar[frozenset[Emitter]] = frozenset({Emitter.WORKFLOWS})
    DESCRIPTION: ClassVar[str] = "A workflow waits for a human decision on `approval_id`."

    approval_id: Identifier
    summary: NonEmptyStr
    details: dict[str, Any] = Field(default_factory=dict)
    expires_at: AwareDatetime


class ApprovalDecided(EventData):
    DETAIL_TYPE: ClassVar[str] = "ApprovalDecided"
    SOURCE: ClassVar[str] = "orchestrator.approvals"
    EMITTED_BY: ClassVar[frozenset[Emitter]] = frozenset({Emitter.CONTROL})
    DESCRIPTION: ClassVar[str] = "A human approved or rejected `approval_id`; releases the waiting workflow."

    approval_id: Identifier
    decision: Literal["approved", "rejected"]
    decided_by: NonEmptyStr
    comment: Annotated[str, StringConstraints(max_length=4096)] = ""


WorkflowStatus = Literal["RUNNING", "PAUSED", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]


class WorkflowStatusChanged(EventData):
    DETAIL_TYPE: ClassVar[str] = "WorkflowStatusChanged"
    SOURCE: ClassVar[str] = WORKFLOWS_SOURCE
    EMITTED_BY: ClassVar[frozenset[Emitter]] = frozenset({Emitter.WORKFLOWS})
    DESCRIPTION: ClassVar[str] = "A workflow execution changed status; other workflows and consumers react to it."

    workflow: NonEmptyStr
    execution_arn: NonEmptyStr
    status: WorkflowStatus
    previous_status: WorkflowStatus | None = None
    reason: Annotated[str, StringConstraints(max_length=4096)] = ""


EVENTS: tuple[type[EventData], ...] = (
    AgentTaskRequested,
    AgentTaskCompleted,
    AgentTaskFailed,
    ApprovalRequested,
    ApprovalDecided,
    WorkflowStatusChanged,
)

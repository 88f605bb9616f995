"""The control plane's events: an operator paused or resumed a workflow execution (orchestrator/control/pausing.py).

`ExecutionResumed` is also the message a held execution waits for: the correlator (functions/correlator) hands it
to the execution's Hold task by its `pause_id` (asl/pause_points.py). `ExecutionPaused` only records
the pause on the bus (the control record in the WorkflowControl table is what holds the execution).
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import AwareDatetime, Field, StringConstraints

from schemas.envelope import Emitter, EventData, Identifier, NonEmptyStr

CONTROL_SOURCE = "orchestrator.control"

ExecutionArn = Annotated[
    str, StringConstraints(min_length=1, max_length=2048, pattern=r"^arn:aws[a-z-]*:states:[^:]*:\d{12}:execution:")
]


class ExecutionPaused(EventData):
    DETAIL_TYPE: ClassVar[str] = "ExecutionPaused"
    SOURCE: ClassVar[str] = CONTROL_SOURCE
    EMITTED_BY: ClassVar[frozenset[Emitter]] = frozenset({Emitter.CONTROL})
    DESCRIPTION: ClassVar[str] = "An operator paused a workflow execution: it holds at its next pause point."

    execution_arn: ExecutionArn
    pause_id: Identifier = Field(description="This pause: the resume that releases it names it.")
    paused_by: NonEmptyStr
    reason: str = Field(default="", max_length=1024)
    paused_at: AwareDatetime


class ExecutionResumed(EventData):
    DETAIL_TYPE: ClassVar[str] = "ExecutionResumed"
    SOURCE: ClassVar[str] = CONTROL_SOURCE
    EMITTED_BY: ClassVar[frozenset[Emitter]] = frozenset({Emitter.CONTROL})
    DESCRIPTION: ClassVar[str] = "An operator resumed a paused workflow execution: its Hold, if any, is released."

    execution_arn: ExecutionArn
    pause_id: Identifier = Field(description="The pause this resume ends.")
    resumed_by: NonEmptyStr
    resumed_at: AwareDatetime


EVENTS: tuple[type[EventData], ...] = (ExecutionPaused, ExecutionResumed)

"""The control plane's signals to a waiting execution, put on the bus as events: an approval decided, an agent task
completed or failed."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from orchestrator.control.errors import InvalidInput, NotFound
from orchestrator.control.events import EventOperations, PutResult
from orchestrator.control.tasks import WaitingTask, waiting_messages, waiting_tasks
from schemas.agents import AgentTaskCompleted, AgentTaskFailed, ApprovalDecided
from schemas.envelope import Metadata

ApprovalDecision = Literal["approved", "rejected"]


@dataclass(frozen=True)
class ApprovalSignal(PutResult):
    """An approval decided: the event put, the running executions waiting for it, and, when none waits, until when
    the correlator keeps the decision for one that comes (`note` says so)."""

    waited_by: tuple[str, ...] = ()
    kept_until: datetime.datetime | None = None
    note: str = ""


class SignalOperations(EventOperations):
    """Answer what an execution waits for, as a person or its agent would."""

    def signal_approval(
        self, approval_id: str, *, approved: bool, decided_by: str, comment: str = ""
    ) -> ApprovalSignal:
        """Decides the approval `approval_id` (the business key: a ticket's id) by putting ApprovalDecided; the
        correlator resumes the workflow waiting on that key, or keeps the decision until one waits (its message TTL,
        config `correlation.message_ttl_seconds`): then the answer says "kept until T; no workflow waits for it"."""
        decision: ApprovalDecision = "approved" if approved else "rejected"
        data = {"approval_id": approval_id, "decision": decision, "decided_by": decided_by, "comment": comment}
        # Who waits is read before the put: once put, the correlator may resume them before a read after it.
        waited_by = self._waiting_for(ApprovalDecided.DETAIL_TYPE, approval_id)
        put = self.put_event(ApprovalDecided.DETAIL_TYPE, data, correlation_id=approval_id)
        if waited_by:
            return ApprovalSignal(**vars(put), waited_by=waited_by)
        # The correlator counts from when it receives the decision, a moment after this: it keeps it at least so long.
        kept_until = self._utcnow() + datetime.timedelta(seconds=self.config.correlation.message_ttl_seconds)
        note = f"kept until {kept_until.isoformat(timespec='seconds')}; no workflow waits for it"
        return ApprovalSignal(**vars(put), kept_until=kept_until, note=note)

    def _waiting_for(self, message_name: str, key: str) -> tuple[str, ...]:
        """The running executions of the stage's workflows that wait for the message `message_name` on `key`."""
        with self._calls():
            return tuple(
                execution.arn
                for execution in self._running()
                if any(
                    (m.message_name, m.correlation_key) == (message_name, key)
                    for m in waiting_messages(self._history(execution.arn))
                )
            )

    def signal_task(
        self,
        task_id: str,
        *,
        result: Mapping[str, Any] | None = None,
        error: str | None = None,
        cause: str = "",
        execution_arn: str | None = None,
    ) -> PutResult:
        """Completes (with `result`) or fails (with `error`, `cause`) the agent task `task_id` that a running
        execution waits for, as its agent would: AgentTaskCompleted / AgentTaskFailed on the bus, which the
        callbacks consumer turns into SendTaskSuccess / SendTaskFailure. The token comes from the execution's
        history (`execution_arn`, else every running execution of the app's workflows), never from the operator."""
        if (result is None) == (error is None):
            raise InvalidInput("give either a result (complete) or an error (fail)", "not both", field="task")
        task = self._waiting_task(task_id, execution_arn)
        caused_by = Metadata.model_validate(task.metadata)
        base = {"task_id": task.task_id, "agent": task.agent, "task_token": task.task_token}
        if error is not None:
            data = {**base, "error": error, "cause": cause}
            return self.put_event(AgentTaskFailed.DETAIL_TYPE, data, caused_by=caused_by)
        return self.put_event(AgentTaskCompleted.DETAIL_TYPE, {**base, "output": result}, caused_by=caused_by)

    def _waiting_task(self, task_id: str, execution_arn: str | None) -> WaitingTask:
        with self._calls():
            if execution_arn is not None:
                self._describe(execution_arn)  # an unknown execution is NotFound, not "no such task"
                arns = [execution_arn]
            else:
                arns = [e.arn for e in self._running()]
            for arn in arns:
                for task in waiting_tasks(self._history(arn)):
                    if task.task_id == task_id:
                        return task
        raise NotFound(
            f"no running execution waits for agent task {task_id!r}",
            "`orch describe EXECUTION_ARN` lists the tasks it waits for",
        )

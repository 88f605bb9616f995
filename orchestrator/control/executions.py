"""The control plane's operations on executions: start, list, describe, history, terminate, redrive."""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from asl.pause_points import held_before
from functions.schema_guard.logic import MAX_REASONS, contract_errors
from orchestrator.control.connection import Execution
from orchestrator.control.definitions import DEFAULT_ALIAS
from orchestrator.control.errors import Conflict, InvalidInput
from orchestrator.control.pausing import PauseOperations, PauseRecord
from orchestrator.control.tasks import WaitingMessage, waiting_messages, waiting_tasks
from orchestrator.control.timeline import TimelineEntry, current_states, timeline

STATUSES: Final = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE")
TERMINATED_ERROR: Final = "orch.Terminated"  # the error a terminated execution records, with the reason as cause
REDRIVABLE: Final = ("FAILED", "TIMED_OUT", "ABORTED")  # what RedriveExecution restarts
STOP_WAIT_SECONDS: Final = 10.0  # how long `terminate` waits to see the execution ended
LIST_PROGRESS_EVERY: Final = 25  # `list_executions` reports progress every this many executions read
COUNT_LIMIT: Final = 1000  # `count_executions` reads at most this many of a workflow's executions


@dataclass(frozen=True)
class AgentTask:
    """An agent task an execution waits for (its token stays inside the control plane)."""

    task_id: str
    agent: str


@dataclass(frozen=True)
class ExecutionDetail:
    execution: Execution
    input: Any
    output: Any
    error: str
    cause: str
    current_states: list[str]  # where a RUNNING execution is now (waiting for an approval, say)
    waiting_tasks: list[AgentTask]  # agent tasks it waits for, to answer with `signal_task`
    pause: PauseRecord | None = None  # its pause, while one is in force (state PAUSED)
    held_before: str | None = None  # the pause point it is held before, once it got there
    # What it waits for through the correlator: an approval's decision by its business key, a DAG's signal, the
    # ExecutionResumed a paused execution's hold waits for.
    waiting_messages: list[WaitingMessage] = field(default_factory=list)


@dataclass(frozen=True)
class WorkflowCounts:
    workflow: str
    counts: dict[str, int]  # status -> executions started in the window (only the statuses seen)
    truncated: bool  # more than `COUNT_LIMIT` started in the window: the counts are of the newest only


@dataclass(frozen=True)
class ExecutionList:
    executions: list[Execution]
    truncated: bool  # more matched than `limit`


# On the pause operations because `describe` reports an execution's pause in force and the point it is held before.
class ExecutionOperations(PauseOperations):
    """Start executions, find and read them, stop and restart them."""

    def start(self, workflow: str, execution_input: Mapping[str, Any], *, name: str | None = None) -> str:
        """Starts `workflow` with `execution_input`; returns the execution's ARN. A workflow named (or its state
        machine) is started through its `live` alias, as its events start it: it runs the version the deploy or
        `shift` routed there. An ARN is started as given (a version's, to try it before shifting to it). An input
        shaped as an event (it has a `detail-type`) must honour its type's contract: one that does not is refused
        before anything starts, with each field and reason (the workflow's admission would only reject it once
        started)."""
        if "detail-type" in execution_input:
            _check_event(execution_input)
        machine = self._state_machine(workflow)
        arguments: dict[str, Any] = {
            "stateMachineArn": machine if workflow.startswith("arn:") else f"{machine}:{DEFAULT_ALIAS}",
            "input": json.dumps(execution_input),
        }
        if name:
            arguments["name"] = name
        with self._calls():
            return str(self._client("stepfunctions").start_execution(**arguments)["executionArn"])

    def list_executions(
        self,
        *,
        workflow: str | None = None,
        status: str | None = None,
        correlation_id: str | None = None,
        since: datetime.datetime | None = None,
        until: datetime.datetime | None = None,
        limit: int = 50,
    ) -> ExecutionList:
        """Executions newest first, of one workflow or all the app's, filtered by status, correlation id (read from
        each execution's input) and start time; at most `limit`, following the service's pages as needed."""
        if status is not None and status not in STATUSES:
            raise InvalidInput(f"unknown status {status!r}", f"use one of {', '.join(STATUSES)}", field="status")
        machines = [self._state_machine(workflow)] if workflow else list(self.workflows().values())
        found: list[Execution] = []
        read = 0
        with self._calls():
            for machine in machines:
                for summary in self._summaries(machine, status, since):
                    if until is not None and summary["startDate"] > until:
                        continue
                    # One DescribeExecution each (the correlation id is in the input): many take a while on AWS.
                    read += 1
                    if read % LIST_PROGRESS_EVERY == 0:
                        self.on_progress(f"read {read} executions, {len(found)} matching so far")
                    execution = self._execution(self._describe(summary["executionArn"]))
                    if correlation_id is None or execution.correlation_id == correlation_id:
                        found.append(execution)
        found.sort(key=lambda e: e.started, reverse=True)
        return ExecutionList(found[:limit], len(found) > limit)

    def count_executions(self, *, since: datetime.datetime | None = None) -> list[WorkflowCounts]:
        """Each of the app's workflows with how many of its executions started since `since` are in each status,
        from ListExecutions alone (no DescribeExecution each), by workflow name."""
        found: list[WorkflowCounts] = []
        with self._calls():
            for workflow, machine in sorted(self.workflows().items()):
                counts: dict[str, int] = {}
                more = False
                for read, summary in enumerate(self._summaries(machine, None, since)):
                    if read == COUNT_LIMIT:
                        more = True
                        break
                    counts[str(summary["status"])] = counts.get(str(summary["status"]), 0) + 1
                found.append(WorkflowCounts(workflow, counts, truncated=more))
        return found

    def describe(self, execution_arn: str) -> ExecutionDetail:
        """An execution with its input, output, error, and the states it is in now when it runs."""
        with self._calls():
            description = self._describe(execution_arn)
            status = str(description["status"])
            events = self._history(execution_arn) if status == "RUNNING" else []
            where = current_states(events, status) if events else []
            tasks = [AgentTask(t.task_id, t.agent) for t in waiting_tasks(events)]
            messages = waiting_messages(events)
            execution = self._execution(description)
            pause = self._pause_in_force(execution_arn) if status == "RUNNING" else None
            points = self._pause_points(execution_arn) if pause else []
        return ExecutionDetail(
            execution=execution,
            input=_json(description.get("input")),
            output=_json(description.get("output")),
            error=str(description.get("error", "")),
            cause=str(description.get("cause", "")),
            current_states=where,
            waiting_tasks=tasks,
            pause=pause,
            held_before=held_before(where, points),
            waiting_messages=messages,
        )

    def history(self, execution_arn: str, *, with_io: bool = False) -> list[TimelineEntry]:
        """The execution's timeline: each state visited, its outcome and duration (inputs and outputs on request)."""
        with self._calls():
            description = self._describe(execution_arn)
            events = self._history(execution_arn)
        return timeline(events, str(description["status"]), description["startDate"], with_io=with_io)

    def terminate(self, execution_arn: str, reason: str) -> Execution:
        """Stops a running execution (StopExecution), recording `reason` as its cause."""
        with self._calls():
            description = self._describe(execution_arn)
            if description["status"] != "RUNNING":
                raise Conflict(f"the execution is {description['status']}, not RUNNING", "nothing to terminate")
            self._client("stepfunctions").stop_execution(
                executionArn=execution_arn, error=TERMINATED_ERROR, cause=reason
            )
            # The stop is recorded at once on AWS; the local runtime ends the execution's thread first. Either way
            # the answer is the execution as it ended, or as it was when the wait gave up.
            deadline = time.monotonic() + STOP_WAIT_SECONDS
            if (description := self._describe(execution_arn))["status"] == "RUNNING":
                self.on_progress(f"stop requested; waiting up to {STOP_WAIT_SECONDS:.0f} s for the execution to end")
            while description["status"] == "RUNNING" and time.monotonic() < deadline:
                time.sleep(0.05)
                description = self._describe(execution_arn)
            return self._execution(description)

    def redrive(self, execution_arn: str) -> Execution:
        """Restarts a FAILED, TIMED_OUT or ABORTED execution in place (RedriveExecution): same ARN, from the state
        where it stopped, with the variables it had; the states that succeeded are not run again."""
        with self._calls():
            description = self._describe(execution_arn)
            if description["status"] not in REDRIVABLE:
                raise Conflict(
                    f"the execution is {description['status']}", "only a failed, timed-out or aborted one is redriven"
                )
            self._client("stepfunctions").redrive_execution(executionArn=execution_arn)
            return self._execution(self._describe(execution_arn))


def _json(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _check_event(event: Mapping[str, Any]) -> None:
    """Raises InvalidInput naming the first field of `event` that breaks its type's contract (the schema guard's
    check, functions/schema_guard/logic.py), and the next few."""
    errors = contract_errors(event)
    if not errors:
        return
    first, others = errors[0], errors[1:MAX_REASONS]
    more = len(errors) - MAX_REASONS
    listed = "; ".join(str(e) for e in others) + (f"; and {more} more" if more > 0 else "")
    also = f" (and: {listed})" if listed else ""
    raise InvalidInput(
        f"the input is not a valid {first.detail_type or 'event'}: {first.reason}{also}",
        "correct the event and start again",
        # data.* and metadata.* are fields of the detail; source and detail-type of the event itself.
        field=f"input.detail.{first.field}" if first.field.startswith(("data", "metadata")) else f"input.{first.field}",
    )

"""`ControlPlane`: every operator operation, once, over boto3 clients. The `orch` CLI calls it (and the HTTP API will).

    plane = ControlPlane.connect(endpoint_url="http://127.0.0.1:4566")     # or profile=..., region=... for AWS
    plane.put_event("TicketSubmitted", {...}, correlation_id="t-1")
    plane.list_executions(workflow="agent-pipeline", status="RUNNING")
    plane.signal_approval("t-1", approved=True, decided_by="lead@example.com")

No printing and no argument parsing here: operations return dataclasses and raise `ControlError` kinds
(orchestrator/control/errors.py). Resources are found by name and stage tag (orchestrator/control/discovery.py).
Events go through the project's validating publisher (functions/producer), breakers are read and written with the
handlers' own store and state (functions/breaker), so the rules live in one place.
"""

from __future__ import annotations

import datetime
import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

import boto3
from aws_lambda_powertools import Logger
from botocore.config import Config

from functions.breaker import BreakerState
from functions.breaker.dynamodb import DynamoDBBreakerStore
from functions.event_store.logic import correlation_of
from functions.producer import EventBridgeBus, EventPublisher, OutgoingEvent
from orchestrator.control import definitions
from orchestrator.control.definitions import DEFAULT_ALIAS, AliasChange, Definitions, Version
from orchestrator.control.discovery import Discovery
from orchestrator.control.drawing import draw
from orchestrator.control.errors import Conflict, ControlError, InvalidInput, NotFound, aws_errors
from orchestrator.control.event_store import ProcessHistory, process_history
from orchestrator.control.pausing import PauseRecord, PauseRecords, held_before, pause_points
from orchestrator.control.tasks import WaitingTask, waiting_tasks
from orchestrator.control.timeline import TimelineEntry, current_states, timeline
from schemas.agents import AgentTaskCompleted, AgentTaskFailed, ApprovalDecided
from schemas.control import ExecutionPaused, ExecutionResumed
from schemas.envelope import Metadata
from schemas.stages import ConfigError, StageConfig, load_stage
from schemas.tables import CIRCUIT_BREAKERS_TABLE, EVENT_STORE_TABLE, WORKFLOW_CONTROL_TABLE
from schemas.validation import EventValidationError

LOCAL_ENDPOINT: Final = "http://127.0.0.1:4566"  # `orch local up`'s default
LOCAL_REGION: Final = "us-east-1"  # the local runtime's region (orchestrator/local/runtime.py)
PRODUCER: Final = "orch"  # metadata.producer of the events the control plane puts
STATUSES: Final = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE")
TERMINATED_ERROR: Final = "orch.Terminated"  # the error a terminated execution records, with the reason as cause
REDRIVABLE: Final = ("FAILED", "TIMED_OUT", "ABORTED")  # what RedriveExecution restarts
STOP_WAIT_SECONDS: Final = 10.0  # how long `terminate` waits to see the execution ended
REPLAY_WAIT_SECONDS: Final = 3600.0  # how long `replay(wait=True)` follows a replay (AWS replays take minutes)
REPLAY_POLL_SECONDS: Final = 5.0
REPLAY_ENDED: Final = ("COMPLETED", "FAILED", "CANCELLED")
LIST_PROGRESS_EVERY: Final = 25  # `list_executions` reports progress every this many executions read

ApprovalDecision = Literal["approved", "rejected"]


@dataclass(frozen=True)
class PutResult:
    event_id: str  # the envelope's metadata.event_id
    eventbridge_id: str
    detail_type: str
    correlation_id: str


@dataclass(frozen=True)
class Execution:
    """An execution as the fleet view lists it."""

    arn: str
    workflow: str
    name: str
    status: str
    started: datetime.datetime
    stopped: datetime.datetime | None
    correlation_id: str  # the starting event's `detail.metadata.correlation_id`; "" when the input has none


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


@dataclass(frozen=True)
class PauseChange:
    """What `pause` or `resume` did: `changed` is False when the execution was paused, or resumed, already."""

    record: PauseRecord
    changed: bool


@dataclass(frozen=True)
class ExecutionList:
    executions: list[Execution]
    truncated: bool  # more matched than `limit`


@dataclass(frozen=True)
class Replay:
    """An EventBridge archive replay as DescribeReplay reports it."""

    name: str
    arn: str
    archive: str
    state: str
    events_from: datetime.datetime
    events_until: datetime.datetime
    started: datetime.datetime | None
    ended: datetime.datetime | None


@dataclass(frozen=True)
class BreakerChange:
    breaker_id: str
    before: BreakerState
    after: BreakerState


class ControlPlane:
    """Operations on one deployed stage of the app, through the clients of `session` (to `endpoint_url` if given)."""

    def __init__(
        self,
        session: boto3.Session,
        *,
        stage: str = "dev",
        config: StageConfig | None = None,
        endpoint_url: str | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.endpoint_url = endpoint_url
        self._session = session
        self._now = now
        # Told how a long operation gets on (one short line at a time); the CLI prints them on stderr.
        self.on_progress: Callable[[str], None] = lambda line: None
        self._clients: dict[str, Any] = {}
        # Given (the control API's function has it from its environment), or read from config/stages.json (the CLI).
        try:
            self.config: StageConfig = config or load_stage(stage)
        except ConfigError as error:
            raise InvalidInput(str(error), "pass a stage of config/stages.json with --stage", field="stage") from None
        self._discovery: Discovery | None = None

    @classmethod
    def connect(
        cls,
        *,
        endpoint_url: str | None = None,
        profile: str | None = None,
        region: str | None = None,
        stage: str = "dev",
        config: StageConfig | None = None,
    ) -> ControlPlane:
        """A control plane for AWS (profile, region) or, with `endpoint_url`, for a local endpoint, which takes any
        credentials: when none are configured it gets placeholder ones, as the AWS CLI needs some to sign."""
        with aws_errors(endpoint_url):
            session = boto3.Session(profile_name=profile, region_name=region)
            if endpoint_url is not None:
                if session.get_credentials() is None:
                    session = boto3.Session(
                        aws_access_key_id="local", aws_secret_access_key="local", region_name=region or LOCAL_REGION
                    )
                elif session.region_name is None:
                    session = boto3.Session(profile_name=profile, region_name=LOCAL_REGION)
        return cls(session, stage=stage, config=config, endpoint_url=endpoint_url)

    # -- plumbing ----------------------------------------------------------------------------------------------

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            # A local endpoint that refuses connections is down: one attempt says so at once.
            attempts = 1 if self.endpoint_url else 3
            config = Config(connect_timeout=5, retries={"mode": "standard", "max_attempts": attempts})
            with aws_errors(self.endpoint_url):
                self._clients[service] = self._session.client(service, endpoint_url=self.endpoint_url, config=config)
        return self._clients[service]

    def _calls(self) -> Any:
        return aws_errors(self.endpoint_url)

    @property
    def discovery(self) -> Discovery:
        if self._discovery is None:
            self._discovery = Discovery(self._client("stepfunctions"), self._client("dynamodb"), self.config)
        return self._discovery

    def workflows(self) -> dict[str, str]:
        """Workflow name -> state machine ARN of the deployed stage."""
        with self._calls():
            return dict(self.discovery.state_machines())

    def _state_machine(self, workflow: str) -> str:
        """The ARN of a workflow given by name (`order-saga`), state machine name or ARN."""
        if workflow.startswith("arn:"):
            return workflow
        machines = self.workflows()
        if workflow in machines:
            return machines[workflow]
        with self._calls():
            pages = self._client("stepfunctions").get_paginator("list_state_machines").paginate()
            for machine in (m for page in pages for m in page["stateMachines"]):
                if machine["name"] == workflow:
                    return str(machine["stateMachineArn"])
        known = ", ".join(sorted(machines)) or f"none deployed in stage {self.config.stage}"
        raise NotFound(f"no workflow {workflow!r}", f"use one of: {known}")

    # -- events ------------------------------------------------------------------------------------------------

    def put_event(
        self,
        detail_type: str,
        data: Mapping[str, Any],
        *,
        source: str | None = None,
        correlation_id: str | None = None,
        idempotency_key: str | None = None,
        caused_by: Metadata | None = None,
    ) -> PutResult:
        """Validates `data` against the event type's model, wraps it in the envelope and puts it on the stage's bus
        (`caused_by`: the event answered, whose correlation id the new one inherits)."""
        bus = EventBridgeBus(self._client("events"))
        publisher = EventPublisher(bus, self.config.bus_name, producer=PRODUCER, logger=_quiet_logger())
        outgoing = OutgoingEvent(detail_type, data, source, correlation_id, idempotency_key)
        try:
            with self._calls():
                (result,) = publisher.publish([outgoing], caused_by=caused_by)
        except EventValidationError as error:
            first = error.errors[0]
            fields = "; ".join(f"{e.field}: {e.reason}" for e in error.errors)
            fix = (
                "fix the field and put the event again" if len(error.errors) == 1 else "fix the fields and put it again"
            )
            raise InvalidInput(f"invalid {detail_type}: {fields}", fix, field=first.field) from None
        if not result.sent:
            raise ControlError(f"{detail_type} was not put: {result.error_code} {result.error_message}")
        return PutResult(result.event_id, str(result.eventbridge_id), detail_type, result.correlation_id)

    def signal_approval(self, approval_id: str, *, approved: bool, decided_by: str, comment: str = "") -> PutResult:
        """Decides the approval `approval_id` (the business key: a ticket's id) by putting ApprovalDecided; the
        correlator resumes the workflow waiting on that key, or keeps the decision until one waits."""
        decision: ApprovalDecision = "approved" if approved else "rejected"
        data = {"approval_id": approval_id, "decision": decision, "decided_by": decided_by, "comment": comment}
        return self.put_event(ApprovalDecided.DETAIL_TYPE, data, correlation_id=approval_id)

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

    def _running(self) -> Iterator[Execution]:
        for machine in self.workflows().values():
            for summary in self._summaries(machine, "RUNNING", None):
                yield self._execution(self._describe(summary["executionArn"]))

    # -- executions --------------------------------------------------------------------------------------------

    def start(self, workflow: str, execution_input: Mapping[str, Any], *, name: str | None = None) -> str:
        """Starts `workflow` with `execution_input`; returns the execution's ARN."""
        arguments: dict[str, Any] = {
            "stateMachineArn": self._state_machine(workflow),
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

    def _summaries(self, machine: str, status: str | None, since: datetime.datetime | None) -> Iterator[Any]:
        """The state machine's executions newest first (as ListExecutions returns them), down to `since`."""
        arguments: dict[str, Any] = {"stateMachineArn": machine}
        if status:
            arguments["statusFilter"] = status
        for page in self._client("stepfunctions").get_paginator("list_executions").paginate(**arguments):
            for summary in page["executions"]:
                if since is not None and summary["startDate"] < since:
                    return
                yield summary

    def describe(self, execution_arn: str) -> ExecutionDetail:
        """An execution with its input, output, error, and the states it is in now when it runs."""
        with self._calls():
            description = self._describe(execution_arn)
            status = str(description["status"])
            events = self._history(execution_arn) if status == "RUNNING" else []
            where = current_states(events, status) if events else []
            tasks = [AgentTask(t.task_id, t.agent) for t in waiting_tasks(events)]
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

    # -- pause and resume --------------------------------------------------------------------------------------

    def pause(self, execution_arn: str, *, paused_by: str, reason: str = "") -> PauseChange:
        """Pauses a running execution: it holds at its next pause point (asl/pause_points.py) until
        resumed. The state running now finishes. Pausing a paused execution changes nothing."""
        with self._calls():
            description = self._describe(execution_arn)
            # A state machine without pause points (one not of this app) can never hold, whatever its execution's
            # status: that is the answer to give first.
            if not self._pause_points(execution_arn):
                workflow = self.discovery.workflow_of(str(description["stateMachineArn"]))
                raise Conflict(f"workflow {workflow} has no pause points", "it cannot be paused; terminate it instead")
            if description["status"] != "RUNNING":
                raise Conflict(f"the execution is {description['status']}, not RUNNING", "nothing to pause")
            records = self._pause_records()
            record = records.pause(execution_arn, paused_by, reason, self._utcnow())
            if record is None:  # paused already: that pause stands
                current = records.read(execution_arn)
                if current is None or current.state != "PAUSED":
                    raise Conflict("the execution's pause changed while it was being paused", "run the command again")
                return PauseChange(current, changed=False)
        data = {
            "execution_arn": execution_arn,
            "pause_id": record.pause_id,
            "paused_by": paused_by,
            "reason": reason,
            "paused_at": record.paused_at.isoformat(),
        }
        self._put_control_event(ExecutionPaused.DETAIL_TYPE, data, description, f"pause:{record.pause_id}")
        return PauseChange(record, changed=True)

    def resume(self, execution_arn: str, *, resumed_by: str) -> PauseChange:
        """Resumes a paused execution: the pause record says RESUMED and ExecutionResumed goes on the bus, which the
        correlator hands to the execution's Hold (or keeps for it, if it is not there yet). Resuming a resumed
        execution puts the same ExecutionResumed again (a duplicate to the correlator): a resume whose event was
        lost is finished that way."""
        with self._calls():
            description = self._describe(execution_arn)
            records = self._pause_records()
            record = records.read(execution_arn)
            if record is None:
                raise Conflict("the execution is not paused", "`orch pause` holds it; nothing to resume")
            changed = record.state == "PAUSED"
            if changed:
                resumed = records.resume(record, resumed_by, self._utcnow())
                if resumed is None:
                    raise Conflict("the execution's pause changed while it was being resumed", "run the command again")
                record = resumed
        assert record.resumed_at is not None  # a RESUMED record says when
        data = {
            "execution_arn": execution_arn,
            "pause_id": record.pause_id,
            "resumed_by": record.resumed_by,
            "resumed_at": record.resumed_at.isoformat(),
        }
        self._put_control_event(ExecutionResumed.DETAIL_TYPE, data, description, f"resume:{record.pause_id}")
        return PauseChange(record, changed)

    def _put_control_event(
        self, detail_type: str, data: Mapping[str, Any], description: Mapping[str, Any], idempotency_key: str
    ) -> None:
        # The execution's business process, when an event started it; else the execution itself.
        correlation_id = correlation_of(description.get("input")) or str(description["name"])
        self.put_event(detail_type, data, correlation_id=correlation_id, idempotency_key=idempotency_key)

    def _pause_records(self) -> PauseRecords:
        return PauseRecords(self._table(WORKFLOW_CONTROL_TABLE))

    def _pause_in_force(self, execution_arn: str) -> PauseRecord | None:
        record = self._pause_records().read(execution_arn)
        return record if record is not None and record.state == "PAUSED" else None

    def _pause_points(self, execution_arn: str) -> list[str]:
        machine = self._client("stepfunctions").describe_state_machine_for_execution(executionArn=execution_arn)
        return pause_points(json.loads(machine["definition"]))

    def _utcnow(self) -> datetime.datetime:
        return datetime.datetime.fromtimestamp(self._now(), tz=datetime.UTC)

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

    def _describe(self, execution_arn: str) -> dict[str, Any]:
        if not execution_arn.startswith("arn:") or ":execution:" not in execution_arn:
            raise InvalidInput(f"not an execution ARN: {execution_arn!r}", "`orch list` shows them", field="execution")
        description: dict[str, Any] = self._client("stepfunctions").describe_execution(executionArn=execution_arn)
        return description

    def _history(self, execution_arn: str) -> list[dict[str, Any]]:
        pages = (
            self._client("stepfunctions").get_paginator("get_execution_history").paginate(executionArn=execution_arn)
        )
        return [event for page in pages for event in page["events"]]

    def _execution(self, description: Mapping[str, Any]) -> Execution:
        return Execution(
            arn=str(description["executionArn"]),
            workflow=self.discovery.workflow_of(str(description["stateMachineArn"])),
            name=str(description["name"]),
            status=str(description["status"]),
            started=description["startDate"],
            stopped=description.get("stopDate"),
            correlation_id=correlation_of(description.get("input")),
        )

    # -- business processes (the event store) ------------------------------------------------------------------

    def process_history(self, correlation_id: str, as_of: datetime.datetime | None = None) -> ProcessHistory:
        """The business process `correlation_id` rebuilt from its stored events up to `as_of` (default: all): its
        state, its events and their causal chain (orchestrator/control/event_store.py)."""
        if not correlation_id:
            raise InvalidInput("no correlation id", "pass the business key, e.g. an order id", field="correlation_id")
        table = self._table(EVENT_STORE_TABLE)
        with self._calls():
            history = process_history(table, correlation_id, as_of, self.discovery.workflow_of)
        if not history.events and as_of is None:
            raise NotFound(
                f"no stored event of correlation id {correlation_id!r}", "`orch list` shows the correlation ids"
            )
        return history

    def _table(self, logical_id: str) -> Any:
        """A boto3 Table resource of the State stack's table `logical_id`; NotFound when the stage has none."""
        with self._calls():
            name = self.discovery.table(logical_id)
        if name is None:
            raise NotFound(
                f"no {logical_id} table of stage {self.config.stage}",
                "deploy the stage (or start `orch local up`) and pass its --stage",
            )
        return self._session.resource("dynamodb", endpoint_url=self.endpoint_url).Table(name)

    # -- circuit breakers --------------------------------------------------------------------------------------

    def _breakers(self) -> tuple[Any, DynamoDBBreakerStore]:
        table = self._table(CIRCUIT_BREAKERS_TABLE)
        return table, DynamoDBBreakerStore(table)

    def list_breakers(self) -> list[BreakerState]:
        """Every breaker with a stored state (one without an item is CLOSED with no failures), by id."""
        table, store = self._breakers()
        with self._calls():
            ids: list[str] = []
            arguments: dict[str, Any] = {"ProjectionExpression": "breaker_id"}
            while True:
                page = table.scan(**arguments)
                ids += [str(item["breaker_id"]) for item in page["Items"]]
                if "LastEvaluatedKey" not in page:
                    break
                arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]
            # Read through the handlers' store: one decoding of the item layout (functions/breaker/dynamodb.py).
            return [store.read(breaker_id) for breaker_id in sorted(ids)]

    def reset_breaker(self, breaker_id: str) -> BreakerChange:
        """CLOSED with no failures. Written (not deleted) with the next version, so a probe or failure decided on
        the old item loses its conditional write instead of overwriting the reset."""
        return self._replace(
            breaker_id, lambda current, now: BreakerState(breaker_id, "CLOSED", current.version + 1, updated_at=now)
        )

    def force_open_breaker(self, breaker_id: str) -> BreakerChange:
        """OPEN from now: callers take their fallback until the cool-down has passed, then one probe goes through
        (the breaker's own rule; force-open again to keep it open longer)."""
        return self._replace(
            breaker_id,
            lambda current, now: BreakerState(breaker_id, "OPEN", current.version + 1, opened_at=now, updated_at=now),
        )

    def _replace(self, breaker_id: str, make: Callable[[BreakerState, int], BreakerState]) -> BreakerChange:
        _, store = self._breakers()
        with self._calls():
            current = store.read(breaker_id)
            new = make(current, round(self._now() * 1000))
            if not store.replace(current, new):  # conditional on the version read: someone wrote in between
                raise Conflict(f"breaker {breaker_id} changed while it was being written", "run the command again")
        return BreakerChange(breaker_id, current, new)

    # -- definitions -------------------------------------------------------------------------------------------

    def list_definitions(self, workflow: str) -> Definitions:
        """The workflow's state machine with its published versions and its aliases' routing."""
        machine = self._state_machine(workflow)
        with self._calls():
            return definitions.list_definitions(self._client("stepfunctions"), workflow, machine)

    def publish(self, workflow: str, description: str = "") -> Version:
        """Publishes the workflow's current definition as a new version."""
        machine = self._state_machine(workflow)
        with self._calls():
            return definitions.publish(self._client("stepfunctions"), machine, description)

    def shift(self, workflow: str, to: int, weight: int, alias: str = DEFAULT_ALIAS) -> AliasChange:
        """Routes `weight` % of `alias` to version `to`, the rest staying on its current version (a canary)."""
        machine = self._state_machine(workflow)
        with self._calls():
            return definitions.shift(self._client("stepfunctions"), machine, alias, to, weight)

    def rollback(self, workflow: str, alias: str = DEFAULT_ALIAS) -> AliasChange:
        """All of `alias` back on its stable version (the canary's first entry, or the version before the shift)."""
        machine = self._state_machine(workflow)
        with self._calls():
            return definitions.rollback(self._client("stepfunctions"), machine, alias)

    # -- replay ------------------------------------------------------------------------------------------------

    def replay(self, start: datetime.datetime, end: datetime.datetime, *, wait: bool = False) -> Replay:
        """Replays the events the stage's bus archived between `start` and `end` onto the bus (StartReplay), and
        returns the replay as described right after, or with `wait` once it has ended (reporting its progress:
        its state and how far it got). EventBridge replays to the bus's rules; it takes no event pattern (only rule
        ARNs), so the window is the whole selection."""
        if start >= end:
            raise InvalidInput("the replay window ends before it starts", "pass --since before --until", field="since")
        events = self._client("events")
        with self._calls():
            bus_arn = str(events.describe_event_bus(Name=self.config.bus_name)["Arn"])
            archives = events.list_archives(EventSourceArn=bus_arn)["Archives"]
            if not archives:
                raise NotFound(f"no archive of bus {self.config.bus_name}", "deploy the stage's event plane")
            archive = str(archives[0]["ArchiveName"])
            archive_arn = str(events.describe_archive(ArchiveName=archive)["ArchiveArn"])
            name = f"orch-{self.config.stage}-{round(self._now() * 1000)}"[:64]
            events.start_replay(
                ReplayName=name,
                Description=f"orch replay of {archive}",
                EventSourceArn=archive_arn,
                EventStartTime=start,
                EventEndTime=end,
                Destination={"Arn": bus_arn},
            )
            described = events.describe_replay(ReplayName=name)
            if wait:
                described = self._follow_replay(name, described)
        return Replay(
            name=name,
            arn=str(described["ReplayArn"]),
            archive=archive,
            state=str(described["State"]),
            events_from=described.get("EventStartTime", start),
            events_until=described.get("EventEndTime", end),
            started=described.get("ReplayStartTime"),
            ended=described.get("ReplayEndTime"),
        )

    def _follow_replay(self, name: str, described: dict[str, Any]) -> dict[str, Any]:
        """DescribeReplay until the replay ends (or REPLAY_WAIT_SECONDS pass), reporting each change."""
        deadline = time.monotonic() + REPLAY_WAIT_SECONDS
        reported = None
        while True:
            last = described.get("EventLastReplayedTime")
            progress = (described["State"], last)
            if progress != reported:
                up_to = f", events replayed up to {last:%Y-%m-%d %H:%M:%S}" if last else ""
                self.on_progress(f"replay {name}: {described['State']}{up_to}")
                reported = progress
            if described["State"] in REPLAY_ENDED or time.monotonic() > deadline:
                return described
            time.sleep(REPLAY_POLL_SECONDS)
            described = self._client("events").describe_replay(ReplayName=name)

    # -- pictures ----------------------------------------------------------------------------------------------

    def graph(self, workflow: str, execution: str | None = None, fmt: Literal["mermaid", "svg"] = "mermaid") -> str:
        """A workflow's state machine drawn as Mermaid text or SVG; with `execution`, each state coloured by what it
        did there (orchestrator/control/drawing.py)."""
        with self._calls():
            return draw(self._client("stepfunctions"), workflow, execution, fmt)

    # -- configuration -----------------------------------------------------------------------------------------

    def config_show(self) -> dict[str, Any]:
        """The stage's effective configuration (config/stages.json, validated as the CDK app reads it)."""
        return self.config.model_dump(mode="json")


def _json(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _quiet_logger() -> Logger:
    """The publisher logs each publish as JSON on stdout; an operator's terminal shows the result instead."""
    return Logger(service="orch", level="ERROR", logger_handler=logging.NullHandler())


__all__ = ["ControlPlane", "correlation_of"]

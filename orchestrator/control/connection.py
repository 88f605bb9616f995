"""What every group of the control plane's operations works through: one stage's boto3 clients, botocore's errors
made `ControlError` kinds, and the stage's resources found by name and tag (its workflows, executions and tables).

`ControlPlane` (plane.py) is this connection with the groups of operations on top: events.py, executions.py,
pausing.py, signals.py, workflows.py and breakers.py.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

import boto3
from botocore.config import Config

from functions.event_store.logic import correlation_of
from orchestrator.control.discovery import Discovery
from orchestrator.control.errors import InvalidInput, NotFound, aws_errors
from schemas.stages import ConfigError, StageConfig, load_stage

LOCAL_ENDPOINT: Final = "http://127.0.0.1:4566"  # `orch local up`'s default
LOCAL_REGION: Final = "us-east-1"  # the local runtime's region (orchestrator/local/runtime.py)


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


class Connection:
    """One deployed stage of the app, through the clients of `session` (to `endpoint_url` if given)."""

    def __init__(
        self,
        session: boto3.Session,
        *,
        stage: str = "dev",
        config: StageConfig | None = None,
        endpoint_url: str | None = None,
        now: Callable[[], float] = time.time,
        breakers: Collection[str] = (),
    ) -> None:
        self.endpoint_url = endpoint_url
        # The breakers the stage's workflows define (the Control stack's BREAKER_IDS, or `orch` from the same files):
        # the only ones a reset or force-open may write.
        self.breakers: frozenset[str] = frozenset(breakers)
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

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            # A local endpoint that refuses connections is down: one attempt says so at once.
            attempts = 1 if self.endpoint_url else 3
            config = Config(connect_timeout=5, retries={"mode": "standard", "max_attempts": attempts})
            with aws_errors(self.endpoint_url):
                self._clients[service] = self._session.client(service, endpoint_url=self.endpoint_url, config=config)
        return self._clients[service]

    def caller_arn(self) -> str:
        """The ARN of the identity this connection's credentials are (STS GetCallerIdentity): who an operator acting
        with them is, in the audit fields (`paused_by`, `decided_by`)."""
        with self._calls():
            return str(self._client("sts").get_caller_identity()["Arn"])

    def _calls(self) -> Any:
        return aws_errors(self.endpoint_url)

    def _utcnow(self) -> datetime.datetime:
        return datetime.datetime.fromtimestamp(self._now(), tz=datetime.UTC)

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

    def _running(self) -> Iterator[Execution]:
        for machine in self.workflows().values():
            for summary in self._summaries(machine, "RUNNING", None):
                yield self._execution(self._describe(summary["executionArn"]))

    @staticmethod
    def _check_execution_arn(execution_arn: str) -> None:
        """InvalidInput (field `execution`) unless it looks like an execution ARN: refused here, not by botocore."""
        if not execution_arn.startswith("arn:") or ":execution:" not in execution_arn:
            shown = execution_arn if len(execution_arn) <= 200 else execution_arn[:200] + "..."
            raise InvalidInput(f"not an execution ARN: {shown!r}", "`orch list` shows them", field="execution")

    def _describe(self, execution_arn: str) -> dict[str, Any]:
        self._check_execution_arn(execution_arn)
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

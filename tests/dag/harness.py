"""Runs a DAG spec on the local runtime with the test as its agents, on the local clock.

`deploy` compiles a spec as the CDK app does (`asl.dag.deploy.deployed_definition`) and creates its state
machine in a running LocalCloud, with the placeholders filled by the app's own resources (bus, correlator, tables):
the DAGs under test are not in the app, and one synth per test module would cost more than the tests.

`AgentPlayer` plays every `dagtest-*` agent: it taps AgentTaskRequested, and it is a discrete-event simulation on
the local clock. When the system is quiet, each new request is a task that starts now; the earliest pending task
finishes next: the clock advances to its end and the task is answered (SendTaskSuccess, or SendTaskFailure for the
tasks told to fail). So `started` / `finished` are exact local-clock times (seconds since the execution started),
and a task that waited for an unrelated one would show it in its start time.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from asl.dag import DagSpec, parse
from asl.dag.deploy import deployed_definition
from asl.dag.spec import load as load_spec
from orchestrator.local.cloud import LocalCloud, Stillness
from orchestrator.local.lambdas import LocalFunction
from schemas.dags import CustomerSignedUp
from schemas.stages import load_stage
from schemas.tables import claim_prefix
from tests.builders import sample_data
from tests.workflows.conftest import Tap

PREFIX = "dagtest-"
ONBOARDING_SPEC = Path(__file__).resolve().parents[2] / "state_machines" / "customer_onboarding.dag.yaml"
UNDO = f"{PREFIX}undo-"


def spec(name: str, tasks: list[dict[str, Any]], **extra: Any) -> DagSpec:
    """A test spec: each task's agent is `dagtest-<task>`, its compensation (if `undo: true`) `dagtest-undo-<task>`."""
    document = {
        "name": name,
        # A start event of the catalog: admission (functions/admission) validates it as it would any DAG's.
        "start": {"source": CustomerSignedUp.SOURCE, "detail_type": CustomerSignedUp.DETAIL_TYPE},
        "tasks": [
            {
                "agent": PREFIX + task["name"],
                **{k: v for k, v in task.items() if k != "undo"},
                **(
                    {"compensation": {"agent": UNDO + task["name"], "input": {"undo": "{% $result %}"}}}
                    if task.get("undo")
                    else {}
                ),
            }
            for task in tasks
        ],
        **extra,
    }
    return parse(yaml.safe_load(yaml.safe_dump(document)))


def deploy(cloud: LocalCloud, dag: DagSpec) -> str:
    """Creates the state machine of `dag` in `cloud`; returns its ARN."""
    lambdas, sfn = cloud.client("lambda"), cloud.client("stepfunctions")
    register = lambdas.get_function(FunctionName=cloud.physical_id("AWS::Lambda::Function", "CorrelatorRegister"))
    config = load_stage("dev")
    values = {
        "EventBusName": cloud.bus_name,
        "CorrelatorRegisterFunctionArn": register["Configuration"]["FunctionArn"],
        "WorkflowControlTableName": cloud.physical_id("AWS::DynamoDB::Table", "WorkflowControl"),
        "IdempotencyTableName": cloud.physical_id("AWS::DynamoDB::Table", "Idempotency"),
        "CircuitBreakersTableName": cloud.physical_id("AWS::DynamoDB::Table", "CircuitBreakers"),
        "MetricsNamespace": config.metrics_namespace,
    }
    text = json.dumps(deployed_definition(dag, config.agent_pipeline.specialist_breaker))
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    name = f"dagtest-{dag.name}-{uuid.uuid4().hex[:8]}"  # one cloud may hold several runs of a spec
    # Its role: the shipped DAG's, its start claims under its own prefix, as infra/constructs/dag.py grants them.
    shipped = sfn.describe_state_machine(stateMachineArn=_onboarding_arn(cloud))["roleArn"]
    shipped_claims = claim_prefix(load_spec(ONBOARDING_SPEC).name)
    shipped_admission = _onboarding_admission(cloud)
    admission = _admission_like(cloud, shipped_admission, name, shipped_claims, claim_prefix(dag.name))
    text = text.replace("${AdmissionFunctionArn}", admission.arn)
    role = cloud.iam.principals.add_role_like(
        shipped, name, lambda text: text.replace(shipped_admission.arn, admission.arn)
    )
    created = sfn.create_state_machine(name=name, definition=text, roleArn=role.arn)
    # The functions serving the shipped DAG (the correlator, the callback) may answer this one's tasks too.
    cloud.iam.principals.grant_alike(_onboarding_arn(cloud), str(created["stateMachineArn"]))
    return str(created["stateMachineArn"])


def _onboarding_admission(cloud: LocalCloud) -> LocalFunction:
    found = cloud.lambdas.find(cloud.physical_id("AWS::Lambda::Function", "DagCustomerOnboardingAdmission"))
    assert found is not None
    return found


def _admission_like(
    cloud: LocalCloud, shipped: LocalFunction, name: str, shipped_claims: str, claims: str
) -> LocalFunction:
    """The DAG's own admission function, as the app deploys one per workflow: the `shipped` DAG's, its grant on
    the claims under the test DAG's prefix."""
    function_name = f"{name}-admission"
    role = cloud.iam.principals.add_role_like(
        shipped.role, function_name, lambda text: text.replace(shipped_claims, claims)
    )
    function = dataclasses.replace(
        shipped, name=function_name, arn=shipped.arn.replace(shipped.name, function_name), role=role.arn
    )
    cloud.lambdas.register(function)
    return function


def _onboarding_arn(cloud: LocalCloud) -> str:
    machines = cloud.client("stepfunctions").list_state_machines()["stateMachines"]
    return str(next(m["stateMachineArn"] for m in machines if "DagCustomerOnboarding" in m["name"]))


@dataclass
class Run:
    execution: dict[str, Any]
    started: dict[str, float] = field(default_factory=dict)
    finished: dict[str, float] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # agents in request order
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)


class AgentPlayer:
    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud
        self.tap = Tap(
            cloud,
            cloud.bus_name,
            {"detail-type": ["AgentTaskRequested"], "detail": {"data": {"agent": [{"prefix": PREFIX}]}}},
            f"dagtest-agents-{uuid.uuid4().hex[:8]}",
        )

    def run(
        self,
        arn: str,
        durations: dict[str, float],
        *,
        fail: dict[str, int] | None = None,
        data: dict[str, Any] | None = None,
    ) -> Run:
        """Starts an execution of `arn` with `data` and plays its agents to the end: each task takes its `durations`
        (by agent suffix; 1 s by default), then succeeds, or fails the first `fail[task]` times it is requested."""
        sfn = self.cloud.client("stepfunctions")
        run_id = uuid.uuid4().hex
        metadata = {
            "event_id": f"e-{run_id}",
            "correlation_id": "dagtest",
            "idempotency_key": run_id,
            "schema_version": CustomerSignedUp.SCHEMA_VERSION,
            "occurred_at": "2026-12-07T00:00:00Z",
            "producer": "tests",
        }
        customer = {**sample_data("CustomerSignedUp"), "customer_id": f"C-{run_id}", **(data or {})}
        event = {
            "source": CustomerSignedUp.SOURCE,
            "detail-type": CustomerSignedUp.DETAIL_TYPE,
            "detail": {"data": customer, "metadata": metadata},
        }
        execution_arn = sfn.start_execution(stateMachineArn=arn, input=json.dumps(event))["executionArn"]
        return self.play(execution_arn, durations, fail=fail)

    def play(
        self,
        execution_arn: str,
        durations: dict[str, float],
        *,
        fail: dict[str, int] | None = None,
        played: int = 0,
        now: float = 0.0,
    ) -> Run:
        """Plays the agents of a started (or redriven) execution to its end: the tap's requests after the first
        `played` (those of an earlier `play`), on the clock's time counted from `now`."""
        failures = dict(fail or {})
        sfn = self.cloud.client("stepfunctions")
        run = Run({})
        pending: dict[str, tuple[str, float]] = {}  # token -> (agent suffix, end time)
        seen = played
        while True:
            terminal, stillness = self._settle(execution_arn)
            requests = self.tap.events()
            for request in requests[seen:]:
                task = request["detail"]["data"]
                name = task["agent"].removeprefix(PREFIX)
                run.started[name] = now
                run.order.append(name)
                run.inputs[name] = task["input"]
                pending[task["task_token"]] = (name, now + durations.get(name, 1.0))
            seen = len(requests)
            if terminal:
                break
            if not pending:
                # Quiet, running, no task out to an agent: it waits on the clock (a retry's backoff, a Wait state),
                # which moves to that moment; or for nothing the harness can give.
                waited = stillness.next_deadline_in
                assert waited is not None, f"the execution waits for nothing: {self.cloud.history(execution_arn)[-3:]}"
                self.cloud.runtime.clock.advance(waited)
                now += waited
                continue
            following = min(end for _, end in pending.values())
            self.cloud.runtime.clock.advance(following - now)
            now = following
            self._settle(execution_arn)  # what fell due meanwhile (a task's timeout) happens before the answers
            for token, (name, end) in list(pending.items()):
                if end == now:
                    del pending[token]
                    run.finished[name] = now
                    self._answer(token, name, now, failures)
        run.execution = sfn.describe_execution(executionArn=execution_arn)
        return run

    def _answer(self, token: str, name: str, now: float, failures: dict[str, int]) -> None:
        sfn = self.cloud.client("stepfunctions")
        try:
            if failures.get(name, 0) > 0:
                failures[name] -= 1
                sfn.send_task_failure(taskToken=token, error="TaskBroke", cause=f"{name} was told to fail")
            else:
                sfn.send_task_success(taskToken=token, output=json.dumps({"task": name, "at": now}))
        except (sfn.exceptions.TaskTimedOut, sfn.exceptions.InvalidToken):
            pass  # the workflow gave up on the task (its timeout): a late answer goes nowhere, as on AWS

    def _settle(self, execution_arn: str) -> tuple[bool, Stillness]:
        """Waits until the cloud is quiet (nothing in flight: the runtime's ledger says so, no thread is sampled);
        whether the execution has ended, and what the cloud waits for."""
        stillness = self.cloud.wait_until_quiet(timeout=60)
        status: str = self.cloud.client("stepfunctions").describe_execution(executionArn=execution_arn)["status"]
        return status != "RUNNING", stillness


def earliest_finish(dag: DagSpec, durations: dict[str, float]) -> dict[str, float]:
    """Each task's end when it starts the moment its dependencies are all done: its critical path."""
    graph, finish = dag.graph(), dict[str, float]()
    for task in graph.order:
        finish[task] = max((finish[d] for d in graph.dependencies[task]), default=0.0) + durations.get(task, 1.0)
    return finish

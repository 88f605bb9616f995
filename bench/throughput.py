"""The local runtime's workflows per second beside bare moto's (bench/local_runtime.py runs it and reports it).

Throughput: a minimal cloud assembly written here: a bus, a rule whose target is a state machine, and one
`lambda:invoke` task calling a trivial Python handler. Local: K events put on the bus with `LocalCloud.put_event`.
Bare moto: the same definition created directly on moto (whose Lambda without Docker answers an invoke with the
request body, running no code) and K StartExecution calls. A round lasts from just before the first put or start to
the stop date of its last execution, so neither side counts the time its waiting loop takes to notice the end. Each
side runs a one-workflow warm-up first (the handler's cold start, boto3 clients). moto's backends are process-wide:
each side has its own `mock_aws` context, never both at once, so no state leaks from one to the other.
"""

from __future__ import annotations

import gc
import io
import json
import statistics
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws

from bench.common import BenchError, Spread, order
from orchestrator.local.cloud import LocalCloud
from orchestrator.local.runtime import LOCAL_REGION, MOTO_CONFIG
from schemas.orders import OrderPlaced

STACK = "Bench-Throughput"
ASSET = "asset.bench-handler"
STATE_MACHINE_ID = "Workflow"
WAIT_TIMEOUT = 120.0  # seconds a round may take before the bench gives up on it
_POLL_SECONDS = 0.002

HANDLER_SOURCE = '''"""The benchmark's handler: as little work as a handler can do, so the figure is the runtime's."""


def handler(event, context):
    return {"order_id": event["detail"]["data"]["order_id"]}
'''


@dataclass(frozen=True)
class Round:
    workflows: int
    seconds: float  # from just before the first put (or start) to the last execution's stop date
    execution_seconds: list[float]  # each execution's stop date minus its start date

    @property
    def per_second(self) -> float:
        return self.workflows / self.seconds


@dataclass(frozen=True)
class Throughput:
    """Workflows per second over `rounds` rounds of `events` workflows each."""

    events: int
    rounds: int
    local: Spread  # event -> rule -> state machine -> Lambda, on the local runtime
    bare_moto: Spread  # StartExecution -> Lambda task, on bare moto
    local_execution_seconds: float  # median duration of one execution (start to stop)
    bare_execution_seconds: float
    ratio: float  # local / bare_moto, median over median


def workflow_definition(function_arn: str) -> str:
    """The benchmark's state machine: one Lambda task whose output is the function's answer."""
    return json.dumps(
        {
            "Comment": "bench: one Lambda task",
            "StartAt": "Invoke",
            "States": {
                "Invoke": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": function_arn, "Payload.$": "$"},
                    "OutputPath": "$.Payload",
                    "End": True,
                }
            },
        }
    )


def _role(service: str, action: str, resource: Any) -> dict[str, Any]:
    """A role `service` assumes, allowed `action` on `resource` and nothing else."""
    trust = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    allow = {"Effect": "Allow", "Action": action, "Resource": resource}
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [trust]},
            "Policies": [{"PolicyName": "Allow", "PolicyDocument": {"Version": "2012-10-17", "Statement": [allow]}}],
        },
    }


def write_throughput_assembly(directory: Path) -> Path:
    """A cloud assembly of one stack: bus -> rule (OrderPlaced) -> state machine -> Lambda; returns `directory`."""
    (directory / ASSET).mkdir(parents=True, exist_ok=True)
    (directory / ASSET / "handler.py").write_text(HANDLER_SOURCE, encoding="utf-8")
    resources = {
        "Bus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": "bench-bus"}},
        "Handler": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Handler": "handler.handler",
                "Runtime": "python3.12",
                "Code": {"S3Bucket": "bench-assets", "S3Key": "bench-handler.zip"},
                "Timeout": 30,
            },
            "Metadata": {"aws:asset:path": ASSET},
        },
        # The workflow's role may invoke the handler and nothing else, as a CDK app's would (IAM is enforced).
        "WorkflowRole": _role("states.amazonaws.com", "lambda:InvokeFunction", {"Fn::GetAtt": ["Handler", "Arn"]}),
        # The rule's role for its target: EventBridge assumes it to start executions (a CDK SfnStateMachine target's).
        "RuleRole": _role("events.amazonaws.com", "states:StartExecution", {"Fn::GetAtt": [STATE_MACHINE_ID, "Arn"]}),
        STATE_MACHINE_ID: {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                "DefinitionString": workflow_definition("${HandlerArn}"),
                "DefinitionSubstitutions": {"HandlerArn": {"Fn::GetAtt": ["Handler", "Arn"]}},
                "RoleArn": {"Fn::GetAtt": ["WorkflowRole", "Arn"]},
            },
        },
        "OrderPlacedRule": {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "EventBusName": {"Ref": "Bus"},
                "EventPattern": {"source": [OrderPlaced.SOURCE], "detail-type": [OrderPlaced.DETAIL_TYPE]},
                "Targets": [
                    {"Arn": {"Ref": STATE_MACHINE_ID}, "Id": "workflow", "RoleArn": {"Fn::GetAtt": ["RuleRole", "Arn"]}}
                ],
            },
        },
    }
    template_file = f"{STACK}.template.json"
    (directory / template_file).write_text(json.dumps({"Resources": resources}, indent=1), encoding="utf-8")
    manifest = {
        "version": "48.0.0",
        "artifacts": {STACK: {"type": "aws:cloudformation:stack", "properties": {"templateFile": template_file}}},
    }
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return directory


def measure_throughput(events: int = 50, rounds: int = 3, workdir: Path | None = None) -> Throughput:
    """Workflows per second on the local runtime, then on bare moto (the assembly is written to `workdir`, else to a
    temporary folder)."""
    with tempfile.TemporaryDirectory(prefix="bench-throughput-") as scratch:
        assembly_dir = write_throughput_assembly(workdir or Path(scratch))
        local = local_rounds(assembly_dir, events, rounds)
    bare = bare_moto_rounds(events, rounds)
    local_rate, bare_rate = Spread.of([r.per_second for r in local]), Spread.of([r.per_second for r in bare])
    return Throughput(
        events=events,
        rounds=rounds,
        local=local_rate,
        bare_moto=bare_rate,
        local_execution_seconds=statistics.median(s for r in local for s in r.execution_seconds),
        bare_execution_seconds=statistics.median(s for r in bare for s in r.execution_seconds),
        ratio=local_rate.median / bare_rate.median,
    )


def local_rounds(assembly_dir: Path, events: int, rounds: int) -> list[Round]:
    """Rounds of `events` OrderPlaced events put on the local cloud's bus, each until its workflows have ended."""
    with LocalCloud.from_assembly(assembly_dir) as cloud:
        sfn = cloud.client("stepfunctions")
        machine = cloud.physical_id("AWS::StepFunctions::StateMachine", STATE_MACHINE_ID)

        def one_round(tag: str, count: int) -> Round:
            seen = {e["executionArn"] for e in _executions(sfn, machine)}
            invoked = len(cloud.lambdas.invocations)
            gc.collect()  # as before a start-up run
            # Stop dates are on the runtime's clock: real time, as long as nothing advances it (nothing here does).
            started = time.time()
            for index in range(count):
                cloud.put_event(order(f"{tag}-{index}"))
            _wait_until_executions_end(cloud)
            invocations = cloud.lambdas.invocations[invoked:]
            failed = [i for i in invocations if i.error_type]
            if len(invocations) != count or failed:
                raise BenchError(f"{tag}: {len(invocations)} Lambda invocations of {count}, failed: {failed[:3]}")
            return _round(tag, started, [e for e in _executions(sfn, machine) if e["executionArn"] not in seen], count)

        one_round("warm-up", 1)
        return [one_round(f"round-{r}", events) for r in range(rounds)]


def _wait_until_executions_end(cloud: LocalCloud) -> None:
    """Quiet with no execution RUNNING: nothing in this workflow waits on the outside, so one still RUNNING is a
    defect of the runtime, not something to wait for."""
    waiting = cloud.wait_until_quiet(WAIT_TIMEOUT).waiting_executions
    if waiting:
        raise BenchError(f"{len(waiting)} executions still running once the system was still")


def bare_moto_rounds(events: int, rounds: int) -> list[Round]:
    """Rounds of `events` StartExecution calls of the same definition on bare moto, each until all have ended."""
    with mock_aws(config=MOTO_CONFIG):
        session = boto3.Session()
        sfn = session.client("stepfunctions", region_name=LOCAL_REGION)
        role = _bare_role(session.client("iam", region_name=LOCAL_REGION))
        function_arn = session.client("lambda", region_name=LOCAL_REGION).create_function(
            FunctionName="bench-handler",
            Runtime="python3.12",
            Role=role,
            Handler="handler.handler",
            Code={"ZipFile": _zipped_handler()},
        )["FunctionArn"]
        machine = sfn.create_state_machine(
            name="bench-workflow", definition=workflow_definition(function_arn), roleArn=role
        )["stateMachineArn"]

        def one_round(tag: str, count: int) -> Round:
            gc.collect()
            started = time.time()
            # Named: moto 5.2.5 names an unnamed execution "None", so a second one would already exist.
            arns = [
                sfn.start_execution(
                    stateMachineArn=machine, name=f"{tag}-{i}", input=json.dumps(_delivered(f"{tag}-{i}"))
                )["executionArn"]
                for i in range(count)
            ]
            return _round(tag, started, _wait_until_ended(sfn, arns), count)

        one_round("warm-up", 1)
        return [one_round(f"round-{r}", events) for r in range(rounds)]


def _delivered(order_id: str) -> dict[str, Any]:
    """An OrderPlaced event roughly as the rule hands it to the state machine on the local runtime."""
    return {
        "version": "0",
        "id": order_id,
        "detail-type": OrderPlaced.DETAIL_TYPE,
        "source": OrderPlaced.SOURCE,
        "account": "123456789012",
        "time": "2026-01-01T00:00:00Z",
        "region": LOCAL_REGION,
        "resources": [],
        "detail": {
            "metadata": {"event_id": order_id, "correlation_id": order_id, "producer": "bench"},
            "data": order(order_id).model_dump(mode="json"),
        },
    }


def _executions(sfn: Any, machine_arn: str) -> list[dict[str, Any]]:
    """Every execution of the state machine (moto pages them by 100)."""
    pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=machine_arn)
    return [execution for page in pages for execution in page["executions"]]


def _wait_until_ended(sfn: Any, arns: list[str]) -> list[dict[str, Any]]:
    pending, ended = list(arns), []
    deadline = time.monotonic() + WAIT_TIMEOUT
    while pending:
        if time.monotonic() > deadline:
            raise BenchError(f"{len(pending)} executions of {len(arns)} still running after {WAIT_TIMEOUT} s")
        described = [sfn.describe_execution(executionArn=arn) for arn in pending]
        ended += [e for e in described if e["status"] != "RUNNING"]
        pending = [e["executionArn"] for e in described if e["status"] == "RUNNING"]
        if pending:
            time.sleep(_POLL_SECONDS)
    return ended


def _round(tag: str, started: float, executions: list[dict[str, Any]], expected: int) -> Round:
    """The round's figures, once its executions are checked: exactly `expected` of them, every one SUCCEEDED."""
    not_succeeded = [e for e in executions if e["status"] != "SUCCEEDED"]
    if len(executions) != expected or not_succeeded:
        raise BenchError(f"{tag}: {len(executions)} executions of {expected}, not succeeded: {not_succeeded[:3]}")
    seconds = max(e["stopDate"].timestamp() for e in executions) - started
    if seconds <= 0:
        raise BenchError(f"{tag}: the last execution stopped {-seconds:.3f} s before the round started")
    durations = [(e["stopDate"] - e["startDate"]).total_seconds() for e in executions]
    return Round(expected, seconds, durations)


def _bare_role(iam: Any) -> str:
    trust = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    document = json.dumps({"Version": "2012-10-17", "Statement": [trust]})
    return str(iam.create_role(RoleName="bench-role", AssumeRolePolicyDocument=document)["Role"]["Arn"])


def _zipped_handler() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", HANDLER_SOURCE)
    return buffer.getvalue()

"""Benchmarks of the local runtime, each beside bare moto in the same run, so that the ratio is the figure to read
(it says what the local runtime adds; absolute figures say as much about the machine).

    python -m bench.local_runtime [--assembly cdk.out] [--startups 5] [--events 50] [--rounds 3] [--json]

Start-up: `LocalCloud.from_assembly(dir)`, `start()`, `stop()` on the synthesized app (synthesized into a temporary
folder unless `--assembly` names one), beside bare moto doing the same work minus the local runtime's own: `mock_aws`
start, the assembly's resources created with the same creators (none of the adapters' patches, no ticker, no
pollers), stop. The ratio of the two is what the local runtime adds to start-up. An empty `mock_aws` start + stop is
shown too, for scale.

Throughput: a minimal cloud assembly written here: a bus, a rule whose target is a state machine, and one
`lambda:invoke` task calling a trivial Python handler. Local: K events put on the bus with `LocalCloud.put_event`.
Bare moto: the same definition created directly on moto (whose Lambda without Docker answers an invoke with the
request body, running no code) and K StartExecution calls. A round lasts from just before the first put or start to
the stop date of its last execution, so neither side counts the time its waiting loop takes to notice the end. Each
side runs a one-workflow warm-up first (the handler's cold start, boto3 clients). moto's backends are process-wide:
each side has its own `mock_aws` context, never both at once, so no state leaks from one to the other.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import statistics
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws

from bench.common import BenchError, Spread, environment, order, prepare_environment, progress, synthesized
from orchestrator.assembly import CloudAssembly
from orchestrator.local.cloud import LocalCloud
from orchestrator.local.lambdas import LambdaRuntime
from orchestrator.local.pollers import Pollers
from orchestrator.local.provision import Provisioner
from orchestrator.local.runtime import LOCAL_REGION, MOTO_CONFIG, Runtime
from orchestrator.local.stepfunctions import StepFunctionsAdapter
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
class Startup:
    """Seconds, over `runs` warm runs (moto's backends and boto3's service models already loaded)."""

    runs: int
    resources: int  # resources in the assembly's templates
    first_local_cloud: float  # the process's first start: it also loads moto's backends and the service models
    local_cloud: Spread  # LocalCloud.from_assembly + start + stop
    bare_moto: Spread  # mock_aws start + the assembly's resources created + stop
    empty_moto: Spread  # mock_aws start + stop
    ratio: float  # local_cloud / bare_moto, median over median


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


@dataclass(frozen=True)
class Report:
    startup: Startup | None
    throughput: Throughput | None

    def as_json(self) -> dict[str, Any]:
        return {"environment": environment(), **asdict(self)}


# -- start-up --------------------------------------------------------------------------------------------------


def measure_startup(assembly_dir: Path, runs: int = 5) -> Startup:
    """Start-up of a local cloud from `assembly_dir`, beside bare moto. The first start in the process is timed on its
    own; after one untimed bare run, the three kinds of warm run take turns, so that each sees the same machine."""
    first = _timed(lambda: _local_cloud_start_stop(assembly_dir))
    _bare_moto_provision(assembly_dir)
    local: list[float] = []
    bare: list[float] = []
    empty: list[float] = []
    for _ in range(runs):
        empty.append(_timed(_empty_moto_start_stop))
        bare.append(_timed(lambda: _bare_moto_provision(assembly_dir)))
        local.append(_timed(lambda: _local_cloud_start_stop(assembly_dir)))
    resources = sum(len(s.template.get("Resources", {})) for s in CloudAssembly(assembly_dir).stacks())
    return Startup(
        runs=runs,
        resources=resources,
        first_local_cloud=first,
        local_cloud=Spread.of(local),
        bare_moto=Spread.of(bare),
        empty_moto=Spread.of(empty),
        ratio=statistics.median(local) / statistics.median(bare),
    )


def _timed(action: Callable[[], object]) -> float:
    # Every run starts with the garbage of the runs before it collected: a collection it inherits can take longer
    # than the run itself (moto's backends leave many objects behind), which would make the spread noise.
    gc.collect()
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _empty_moto_start_stop() -> None:
    with mock_aws(config=MOTO_CONFIG):
        pass


def _local_cloud_start_stop(assembly_dir: Path) -> None:
    with LocalCloud.from_assembly(assembly_dir):
        pass


def _bare_moto_provision(assembly_dir: Path) -> None:
    runtime = Runtime()
    lambdas = LambdaRuntime(runtime)
    # The creators LocalCloud provisions with; the adapters are not installed (no patches, no pollers running).
    creators = {
        **lambdas.creators(),
        **Pollers(runtime, lambdas).creators(),
        **StepFunctionsAdapter(runtime).creators(),
    }
    with mock_aws(config=MOTO_CONFIG):
        # One session for the provisioner and the adapters' clients, as LocalCloud has: a session loads each
        # service's model once.
        runtime.session = boto3.Session()
        provisioner = Provisioner(runtime.session, runtime.account, runtime.region, creators=creators)
        provisioner.provision(CloudAssembly(assembly_dir))


# -- throughput --------------------------------------------------------------------------------------------------


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
        STATE_MACHINE_ID: {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                "DefinitionString": workflow_definition("${HandlerArn}"),
                "DefinitionSubstitutions": {"HandlerArn": {"Fn::GetAtt": ["Handler", "Arn"]}},
            },
        },
        "OrderPlacedRule": {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "EventBusName": {"Ref": "Bus"},
                "EventPattern": {"source": [OrderPlaced.SOURCE], "detail-type": [OrderPlaced.DETAIL_TYPE]},
                "Targets": [{"Arn": {"Ref": STATE_MACHINE_ID}, "Id": "workflow"}],
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


# -- output ------------------------------------------------------------------------------------------------------


_LABEL = 64  # width of a row's label


def render(report: Report) -> str:
    """The report as an aligned table."""
    env = environment()
    lines = [f"Local runtime benchmark: Python {env['python']}, moto {env['moto']}, {env['cpus']} CPUs"]
    if report.startup is not None:
        s = report.startup
        lines += [
            "",
            _header(f"Start-up, {s.runs} warm runs, from the synthesized app ({s.resources} resources)"),
            _row("  local runtime: LocalCloud.from_assembly + start + stop", s.local_cloud, "{:.3f} s"),
            _row("  bare moto: mock_aws start + the same resources + stop", s.bare_moto, "{:.3f} s"),
            _row("  bare moto, empty: mock_aws start + stop", s.empty_moto, "{:.3f} s"),
            f"  local / bare moto: {s.ratio:.2f}x",
            f"  the process's first LocalCloud start + stop (cold: loads moto's backends): {s.first_local_cloud:.3f} s",
        ]
    if report.throughput is not None:
        t = report.throughput
        lines += [
            "",
            _header(f"Workflows per second, {t.rounds} rounds of {t.events}", "execution"),
            _row("  local runtime: PutEvents -> rule -> state machine -> Lambda", t.local, "{:.1f} /s")
            + f"{t.local_execution_seconds * 1000:>10.1f} ms",
            _row("  bare moto: StartExecution -> Lambda task (canned echo)", t.bare_moto, "{:.1f} /s")
            + f"{t.bare_execution_seconds * 1000:>10.1f} ms",
            f"  local / bare moto: {t.ratio:.2f} (bare moto runs {1 / t.ratio:.1f}x as many workflows per second)",
        ]
    return "\n".join(lines)


def _header(title: str, *extra: str) -> str:
    return (
        f"{title:<{_LABEL}}"
        + "".join(f"{c:>11}" for c in ("median", "min", "max"))
        + "".join(f"{c:>13}" for c in extra)
    )


def _row(label: str, spread: Spread, cell: str) -> str:
    values = (spread.median, spread.minimum, spread.maximum)
    return f"{label:<{_LABEL}}" + "".join(f"{cell.format(value):>11}" for value in values)


# -- command line ------------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.local_runtime", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--assembly", type=Path, help="assembly to start up (default: the app synthesized to a temp dir)"
    )
    parser.add_argument("--stage", default="dev", help="stage to synthesize (default dev)")
    parser.add_argument("--startups", type=int, default=5, help="start-up runs (default 5; 0 skips start-up)")
    parser.add_argument("--events", type=int, default=50, help="workflows per round (default 50; 0 skips throughput)")
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds (default 3)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.startups < 0 or args.events < 0:
        parser.error("--rounds must be at least 1, --startups and --events at least 0")
    prepare_environment()
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        startup = None
        if args.startups:
            assembly = args.assembly or synthesized(args.stage, Path(scratch) / "cdk.out")
            progress(f"start-up: {args.startups} runs from {assembly}")
            startup = measure_startup(assembly, args.startups)
        throughput = None
        if args.events:
            progress(f"throughput: {args.rounds} rounds of {args.events} workflows, local then bare moto")
            throughput = measure_throughput(args.events, args.rounds)
    report = Report(startup, throughput)
    print(json.dumps(report.as_json(), indent=2) if args.json else render(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())

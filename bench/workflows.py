"""What one execution of each workflow of the app costs, on its happy path and on its worst path, counted on the
local runtime from the execution history; and each handler module's cold import time beside boto3's (bench/imports.py).

    python -m bench.workflows [--assembly cdk.out] [--import-runs 5] [--import-warmups 1] [--no-workflows] [--json]

Each scenario puts its starting event on the orchestrator's bus of a `LocalCloud` running the synthesized app (the
real rules, state machines and handlers), then drives it to its end: whenever the system is still and the execution
waits, the scenario's answers run (a human's decision, say); when none has anything to answer, the local clock jumps
to the next deadline (a retry's backoff, a heartbeat timeout). Scenarios run one at a time in one cloud, so every
Lambda invocation between a scenario's start and its end is its own.

Counted per execution (see bench/README.md for why each is counted so):
- state transitions, as Step Functions bills them (https://aws.amazon.com/step-functions/pricing/: "a state
  transition each time a step of your workflow is executed ... including retries"): the history's `*StateEntered`
  events, plus one per retry (a task scheduled again after its attempt failed or timed out);
- history events: every event of GetExecutionHistory, all pages;
- Lambda invocations: in the history (`LambdaFunctionScheduled`, and `TaskScheduled` of the `lambda` resource type:
  the `lambda:invoke` integration), and outside it (the agents' and callbacks' SQS consumers, the schema guard on
  every event of the bus), from the local runtime's record of every handler run;
- cost per 1,000 executions at Standard-workflow prices in us-east-1: $0.025 per 1,000 state transitions, ignoring
  the free tier (4,000 transitions a month); plus Lambda requests at $0.20 per million, ignoring Lambda duration
  (GB-seconds) and every other service (EventBridge, SQS, DynamoDB, CloudWatch).

The counting and the prices are in bench/costs.py, the scenarios in bench/scenarios.py; here, driving them and the
report.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

from bench.common import BenchError, environment, prepare_environment, progress, synthesized
from bench.costs import EXECUTIONS, PRICE_PER_LAMBDA_REQUEST, PRICE_PER_TRANSITION, Cost, count_history
from bench.imports import Imports, measure_imports, render_imports
from bench.scenarios import Drive, Scenario, scenarios
from orchestrator.demo import BusTap, handler_logs_to
from orchestrator.local.cloud import LocalCloud
from orchestrator.local.lambdas import InvocationRecord

STATE_MACHINE: Final = "AWS::StepFunctions::StateMachine"
DRIVE_TIMEOUT: Final = 120.0  # seconds of real time a scenario may take before the bench gives up on it
_CDK_HASH: Final = re.compile(r"[0-9A-F]{8}$")  # the suffix the CDK adds to a logical id


# -- driving -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PathFigures:
    """One scenario's execution, counted."""

    workflow: str
    path: str
    description: str
    status: str
    states: list[str]  # the path: each state entered, in order of entry
    history_events: int
    state_transitions: int
    retries: int
    lambda_in_history: int
    lambda_outside: int
    lambda_by_function: dict[str, int]  # every invocation in the scenario, by function (logical id)
    clock_skipped_seconds: float  # how far the local clock jumped to reach the end
    answered: int  # events the scenario's answers put (a person's decisions)
    cost: Cost

    @property
    def lambda_invocations(self) -> int:
        return self.lambda_in_history + self.lambda_outside


def measure_workflows(assembly_dir: Path, chosen: Sequence[Scenario] | None = None) -> list[PathFigures]:
    """Drives each scenario to its end, one at a time, on one local cloud of the assembly; counts each."""
    with LocalCloud.from_assembly(assembly_dir) as cloud:
        tap = BusTap(cloud)
        return [run_scenario(cloud, tap, scenario) for scenario in (chosen or scenarios())]


def run_scenario(cloud: LocalCloud, tap: BusTap, scenario: Scenario) -> PathFigures:
    """Puts the scenario's event, drives it to its end and counts its execution."""
    machine = cloud.physical_id(STATE_MACHINE, scenario.state_machine)
    before = {e["executionArn"] for e in cloud.executions(machine)}
    first_invocation, offset = len(cloud.lambdas.invocations), cloud.runtime.clock.offset
    cloud.put_event(scenario.event, correlation_id=scenario.correlation_id, producer="bench")
    drive = _drive(cloud, tap, scenario)
    started = [e for e in cloud.executions(machine) if e["executionArn"] not in before]
    if len(started) != 1:
        raise BenchError(f"{scenario.name}: {len(started)} executions started, not one")
    (execution,) = started
    arn = execution["executionArn"]
    states = [visit.name for visit in cloud.stepfunctions.history_path(arn)]
    _check(scenario, execution["status"], states)
    counts = count_history(history(cloud, arn))
    invoked = cloud.lambdas.invocations[first_invocation:]
    outside = len(invoked) - counts.lambda_tasks
    if outside < 0:
        raise BenchError(f"{scenario.name}: {counts.lambda_tasks} Lambda tasks in the history, {len(invoked)} runs")
    return PathFigures(
        workflow=scenario.workflow,
        path=scenario.path,
        description=scenario.description,
        status=execution["status"],
        states=states,
        history_events=counts.events,
        state_transitions=counts.state_transitions,
        retries=counts.retries,
        lambda_in_history=counts.lambda_tasks,
        lambda_outside=outside,
        lambda_by_function=dict(Counter(_function_names(cloud, invoked))),
        clock_skipped_seconds=cloud.runtime.clock.offset - offset,
        answered=len(drive.answered),
        cost=Cost.per_thousand(counts.state_transitions, len(invoked)),
    )


def _drive(cloud: LocalCloud, tap: BusTap, scenario: Scenario) -> Drive:
    """Until nothing runs: wait until still; if something waits, answer it, else move the clock to its deadline."""
    drive = Drive()
    deadline = time.monotonic() + DRIVE_TIMEOUT
    while True:
        still = cloud.wait_until_quiet(max(deadline - time.monotonic(), 0.1))
        drive.events += tap.drain()
        if not still.waiting_executions:
            return drive
        if sum(answer(cloud, drive) for answer in scenario.answers):
            continue
        if not cloud.runtime.clock.advance_to_next_deadline():
            raise BenchError(f"{scenario.name}: the execution waits on something no answer of the bench gives")
        if time.monotonic() > deadline:
            raise BenchError(f"{scenario.name}: still running after {DRIVE_TIMEOUT} s")


def _check(scenario: Scenario, status: str, states: Sequence[str]) -> None:
    """The execution went where the scenario says, or its figures would be of another path."""
    missing = [state for state in scenario.visits if state not in states]
    if (scenario.status is not None and status != scenario.status) or missing:
        raise BenchError(f"{scenario.name}: ended {status} through {states}; expected {scenario.status}, via {missing}")


def history(cloud: LocalCloud, execution_arn: str) -> list[dict[str, Any]]:
    """Every event of the execution's history, every page (moto answers in one; AWS pages by up to 1,000)."""
    pages = cloud.client("stepfunctions").get_paginator("get_execution_history").paginate(executionArn=execution_arn)
    return [event for page in pages for event in page["events"]]


def _function_names(cloud: LocalCloud, invoked: Iterable[InvocationRecord]) -> Iterable[str]:
    """Each invocation's function by its logical id without the CDK's hash (physical names are generated)."""
    logical = {
        str(provisioned.ref): _CDK_HASH.sub("", logical_id)
        for stack in cloud.resources.values()
        for logical_id, provisioned in stack.items()
    }
    return (logical.get(record.function_name, record.function_name) for record in invoked)


# -- report ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    workflows: list[PathFigures] | None
    imports: Imports | None

    def as_json(self) -> dict[str, Any]:
        prices = {
            "usd_per_state_transition": PRICE_PER_TRANSITION,
            "usd_per_lambda_request": PRICE_PER_LAMBDA_REQUEST,
            "executions": EXECUTIONS,
        }
        workflows = None
        if self.workflows is not None:
            workflows = [
                {
                    **asdict(f),
                    "lambda_invocations": f.lambda_invocations,
                    "cost": {**asdict(f.cost), "total": f.cost.total},
                }
                for f in self.workflows
            ]
        imports = asdict(self.imports) if self.imports is not None else None
        return {"environment": environment(), "prices": prices, "workflows": workflows, "imports": imports}


_COLUMNS: Final = (
    ("status", 11),
    ("transitions", 12),
    ("retries", 8),
    ("history", 8),
    ("λ history", 10),
    ("λ outside", 10),
    ("λ total", 8),
    ("$ SFN", 9),
    ("$ Lambda", 9),
    ("$ total", 9),
)


def render(report: Report) -> str:
    """The report as aligned tables."""
    env = environment()
    lines = [f"Workflow benchmark: Python {env['python']}, moto {env['moto']}, {env['cpus']} CPUs"]
    if report.workflows is not None:
        lines += ["", *render_workflows(report.workflows)]
    if report.imports is not None:
        lines += ["", *render_imports(report.imports)]
    return "\n".join(lines)


def render_workflows(figures: Sequence[PathFigures]) -> list[str]:
    label = max(len(f"{f.workflow} {f.path}") for f in figures)
    header = f"  {'':<{label}}" + "".join(f"{title:>{width}}" for title, width in _COLUMNS)
    lines = [
        f"Per execution, from its history; cost in USD per {EXECUTIONS:,} executions (Standard, us-east-1)",
        header,
    ]
    for f in figures:
        cells = (
            f.status,
            f.state_transitions,
            f.retries,
            f.history_events,
            f.lambda_in_history,
            f.lambda_outside,
            f.lambda_invocations,
            f"{f.cost.step_functions:.4f}",
            f"{f.cost.lambda_requests:.4f}",
            f"{f.cost.total:.4f}",
        )
        row = "".join(f"{cell!s:>{width}}" for cell, (_, width) in zip(cells, _COLUMNS, strict=True))
        lines.append(f"  {f.workflow + ' ' + f.path:<{label}}{row}")
    lines += [f"  {f.workflow + ' ' + f.path + ':':<{label + 1}} {f.description}" for f in figures]
    lines += [
        "  transitions: *StateEntered events + retries (https://aws.amazon.com/step-functions/pricing/);",
        "  λ: Lambda invocations, in the history (lambda:invoke tasks) and outside it (SQS consumers, schema guard);",
        f"  $ SFN: transitions x ${PRICE_PER_TRANSITION * 1000:.3f}/1,000, free tier ignored; "
        f"$ Lambda: requests x ${PRICE_PER_LAMBDA_REQUEST * 1e6:.2f}/1M, duration not counted.",
    ]
    return lines


# -- command line ------------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.workflows", description=__doc__.split("\n\n")[0])
    parser.add_argument("--assembly", type=Path, help="assembly to run (default: the app synthesized to a temp dir)")
    parser.add_argument("--stage", default="dev", help="stage to synthesize (default dev)")
    parser.add_argument("--import-runs", type=int, default=5, help="timed imports per module (default 5; 0 skips)")
    parser.add_argument("--import-warmups", type=int, default=1, help="untimed imports first (default 1)")
    parser.add_argument("--no-workflows", action="store_true", help="only the import times")
    parser.add_argument("--logs", type=Path, help="where the handlers' logs go (default: discarded)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of tables")
    args = parser.parse_args(argv)
    if args.import_runs < 0 or args.import_warmups < 0:
        parser.error("--import-runs and --import-warmups must be at least 0")
    if args.no_workflows and not args.import_runs:
        parser.error("--no-workflows with --import-runs 0 leaves nothing to measure")
    prepare_environment()
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        assembly = args.assembly or synthesized(args.stage, Path(scratch) / "cdk.out")
        workflows = None
        if not args.no_workflows:
            progress(f"workflows: {len(scenarios())} scenarios on the local runtime, from {assembly}")
            with (args.logs or Path(os.devnull)).open("w", encoding="utf-8") as log, handler_logs_to(log):
                workflows = measure_workflows(assembly)
        imports = None
        if args.import_runs:
            progress(
                f"imports: {args.import_runs} runs after {args.import_warmups} untimed, each in a fresh interpreter"
            )
            imports = measure_imports(assembly, args.import_runs, args.import_warmups)
    report = Report(workflows, imports)
    print(json.dumps(report.as_json(), indent=2) if args.json else render(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Smoke test of `python -m bench.workflows` with the smallest settings: every workflow has its two rows, the counts
are sane and consistent, the costs follow from the counts by the published prices, every handler module is timed
beside the baseline. Never a threshold on time: how fast a machine is says nothing about the code."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bench.costs import count_history
from bench.imports import BASELINE_NAME, Imports, measure_imports
from bench.scenarios import Drive, decide_approvals
from bench.workflows import PathFigures, Report, main, measure_workflows, render
from orchestrator.demo import BusTap
from orchestrator.local.cloud import LocalCloud
from schemas.agents import ApprovalRequested

FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "POWERTOOLS_LOG_LEVEL": "WARNING",  # what `main` sets for itself, set here so that it is restored afterwards
}
WORKFLOWS = ("order saga", "agent pipeline")
# Every functions/*/handler.py, and the correlator's second entry point (the one workflows invoke to wait).
HANDLER_MODULES = sorted(
    [f"functions.{p.parent.name}.handler" for p in Path("functions").glob("*/handler.py")]
    + ["functions.correlator.register"]
)


@pytest.fixture(scope="module")
def module_env() -> Iterator[None]:
    """aws_credentials, for the module's fixtures (one workflow run and one import run serve every test)."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in FAKE_AWS.items():
            patch.setenv(name, value)
        patch.delenv("AWS_PROFILE", raising=False)
        yield


@pytest.fixture(scope="module")
def figures(assembly_dir: Path, module_env: None) -> dict[tuple[str, str], PathFigures]:
    return {(f.workflow, f.path): f for f in measure_workflows(assembly_dir)}


@pytest.fixture(scope="module")
def imports(assembly_dir: Path, module_env: None) -> Imports:
    return measure_imports(assembly_dir, runs=1, warmups=0)


def test_each_workflow_has_a_happy_and_a_worst_path(figures: dict[tuple[str, str], PathFigures]) -> None:
    assert sorted(figures) == sorted((w, p) for w in WORKFLOWS for p in ("happy", "worst"))
    for workflow in WORKFLOWS:
        happy, worst = figures[workflow, "happy"], figures[workflow, "worst"]
        assert happy.status == "SUCCEEDED"
        assert worst.state_transitions > happy.state_transitions, workflow
        assert worst.history_events > happy.history_events, workflow


def test_the_counts_are_positive_and_consistent(figures: dict[tuple[str, str], PathFigures]) -> None:
    for f in figures.values():
        assert f.state_transitions > 0 and f.history_events > f.state_transitions
        assert f.state_transitions >= len(f.states), "every state entered is a transition"
        assert f.lambda_in_history > 0 and f.lambda_outside > 0, "tasks invoke Lambda; every event is validated"
        assert sum(f.lambda_by_function.values()) == f.lambda_invocations
        assert f.lambda_by_function["SchemaGuardValidatorFunction"] > 0


def test_the_worst_paths_are_the_failures_the_scenarios_drive(figures: dict[tuple[str, str], PathFigures]) -> None:
    saga = figures["order saga", "worst"]
    assert (saga.status, saga.states[-1]) == ("FAILED", "CompensationEscalated")
    payments = saga.lambda_by_function["OrderSagaPaymentsServiceFunction"]
    assert saga.retries == payments - 2, "one charge, then the refund's first attempt and its retries"
    assert saga.clock_skipped_seconds > 0, "the retries' backoff was skipped on the local clock"
    pipeline = figures["agent pipeline", "worst"]
    assert {"AgentFailed", "AgentTimedOut"} <= set(pipeline.states)
    assert pipeline.clock_skipped_seconds > 0, "the heartbeat timeout was reached by moving the clock"


def test_costs_follow_from_the_counts_at_the_published_prices(figures: dict[tuple[str, str], PathFigures]) -> None:
    for f in figures.values():
        # Per 1,000 executions: $0.025 per 1,000 transitions, $0.20 per million Lambda requests.
        assert f.cost.step_functions == pytest.approx(f.state_transitions * 0.025)
        assert f.cost.lambda_requests == pytest.approx(f.lambda_invocations * 0.0002)
        assert f.cost.total == pytest.approx(f.cost.step_functions + f.cost.lambda_requests)


def test_every_handler_module_is_timed_beside_the_baseline(imports: Imports) -> None:
    assert sorted(t.subject for t in imports.handlers) == HANDLER_MODULES
    assert imports.baseline.subject == BASELINE_NAME and imports.baseline.ratio == 1
    for timed in [imports.baseline, *imports.handlers]:
        assert timed.seconds.median > 0 and timed.cpu_seconds > 0
        assert timed.ratio == pytest.approx(timed.seconds.median / imports.baseline.seconds.median)
    assert all(t.functions for t in imports.handlers), "each module names the functions it serves"
    assert imports.skipped == []


def test_the_tables_have_a_row_per_path_and_per_module(
    figures: dict[tuple[str, str], PathFigures], imports: Imports
) -> None:
    table = render(Report(list(figures.values()), imports)).splitlines()

    for workflow, path in figures:
        (row,) = [line for line in table if line.strip().startswith(f"{workflow} {path} ")]
        assert f"{figures[workflow, path].cost.total:.4f}" in row
    for module in [BASELINE_NAME, *HANDLER_MODULES]:
        assert len([line for line in table if line.strip().startswith(f"{module} ")]) == 1


def test_the_command_prints_the_workflow_figures_as_json(assembly_dir: Path, module_env: None, capsys: Any) -> None:
    assert main(["--assembly", str(assembly_dir), "--import-runs", "0", "--json"]) == 0

    report = json.loads(capsys.readouterr().out)  # the handlers' logs went elsewhere: stdout is only the report
    assert report["imports"] is None
    assert [(w["workflow"], w["path"]) for w in report["workflows"]] == [
        ("order saga", "happy"),
        ("order saga", "worst"),
        ("agent pipeline", "happy"),
        ("agent pipeline", "worst"),
    ]
    for row in report["workflows"]:
        assert row["cost"]["step_functions"] == pytest.approx(
            row["state_transitions"] * report["prices"]["usd_per_state_transition"] * 1000
        )


def test_a_retry_is_a_transition_and_map_iterations_do_not_look_like_retries() -> None:
    """A hand-written history: a Lambda task retried once, two Map iterations interleaved, a legacy Lambda task."""
    lam, put = {"resourceType": "lambda", "resource": "invoke"}, {"resourceType": "events"}
    events = [
        {"id": 1, "previousEventId": 0, "type": "ExecutionStarted"},
        {"id": 2, "previousEventId": 1, "type": "TaskStateEntered"},
        {"id": 3, "previousEventId": 2, "type": "TaskScheduled", "taskScheduledEventDetails": lam},
        {"id": 4, "previousEventId": 3, "type": "TaskFailed"},
        {"id": 5, "previousEventId": 4, "type": "TaskScheduled", "taskScheduledEventDetails": lam},
        {"id": 6, "previousEventId": 5, "type": "TaskSucceeded"},
        {"id": 7, "previousEventId": 6, "type": "TaskStateExited"},
        {"id": 8, "previousEventId": 7, "type": "MapStateEntered"},
        {"id": 9, "previousEventId": 8, "type": "TaskStateEntered"},
        {"id": 10, "previousEventId": 8, "type": "TaskStateEntered"},
        {"id": 11, "previousEventId": 9, "type": "TaskScheduled", "taskScheduledEventDetails": put},
        {"id": 12, "previousEventId": 10, "type": "TaskScheduled", "taskScheduledEventDetails": put},
        {"id": 13, "previousEventId": 12, "type": "TaskStateEntered"},
        {"id": 14, "previousEventId": 13, "type": "LambdaFunctionScheduled"},
        {"id": 15, "previousEventId": 14, "type": "ExecutionSucceeded"},
    ]  # fmt: skip

    counts = count_history(events)

    assert (counts.events, counts.states_entered, counts.retries) == (15, 5, 1)
    assert counts.state_transitions == 6
    assert counts.lambda_tasks == 3, "two attempts of the lambda:invoke task, one legacy Lambda task"


def test_the_approval_answer_decides_each_request_on_the_bus_once(assembly_dir: Path, module_env: None) -> None:
    """The answer the pipeline's happy path carries for the human approval step, on the bus of the app as it is."""
    expires = datetime.now(UTC) + timedelta(hours=1)
    request = ApprovalRequested(approval_id="approval-7", summary="Refund the duplicate charge", expires_at=expires)
    with LocalCloud.from_assembly(assembly_dir) as cloud:
        tap = BusTap(cloud)
        cloud.put_event(request, correlation_id="ticket-7")
        cloud.wait_until_quiet()
        drive, approve = Drive(events=tap.drain()), decide_approvals("approved")

        assert approve(cloud, drive) == 1
        assert approve(cloud, drive) == 0, "a request already decided is not decided again"
        cloud.wait_until_quiet()
        decided = [e["detail"] for e in tap.drain() if e["detail-type"] == "ApprovalDecided"]

    assert [(d["data"]["approval_id"], d["data"]["decision"]) for d in decided] == [("approval-7", "approved")]
    assert decided[0]["metadata"]["correlation_id"] == "ticket-7", "the decision carries the request's business key"
    assert drive.answered == {"approval-7"}

"""The local runtime on the real assembly: one `LocalCloud` per test (moto's backends are process-wide)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from asl.history import StateVisit
from asl.pause_points import is_pause_check
from orchestrator.local.cloud import LocalCloud
from tests.conftest import fake_aws_environment


@pytest.fixture
def cloud(assembly_dir: Path, aws_credentials: None) -> Iterator[LocalCloud]:
    with LocalCloud.from_assembly(assembly_dir) as local:
        yield local


@pytest.fixture(scope="module")
def module_cloud(assembly_dir: Path) -> Iterator[LocalCloud]:
    """One local cloud for a whole test module, for modules whose tests each run workflows of their own (starting a
    cloud costs seconds): the tests `orch new` writes, the examples'."""
    with pytest.MonkeyPatch.context() as patch:
        fake_aws_environment(patch)
        with LocalCloud.from_assembly(assembly_dir) as local:
            yield local


class Tap:
    """A rule of the test's own on a bus, copying every matching event to an SQS queue the test reads."""

    def __init__(self, cloud: LocalCloud, bus: str, pattern: dict[str, Any], name: str) -> None:
        self.url = cloud.tap(name, pattern, bus)
        self._sqs = cloud.client("sqs")
        self.seen: list[dict[str, Any]] = []

    def events(self) -> list[dict[str, Any]]:
        """Every event tapped so far, in arrival order."""
        while True:
            batch = self._sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return self.seen
            for message in batch:
                self.seen.append(json.loads(message["Body"]))
                self._sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])


def ended(cloud: LocalCloud, logical_id: str, picked: Callable[[dict[str, Any]], bool], count: int = 1) -> list[Any]:
    """The executions of the state machine `logical_id` that `picked` selects, once the cloud is quiet: for workflows
    that wait on nothing outside the cloud (a DAG played by its agents), quiet means every one of them has ended."""
    arn = cloud.physical_id("AWS::StepFunctions::StateMachine", logical_id)
    stillness = cloud.wait_until_quiet(timeout=60)
    executions = [e for e in cloud.executions(arn) if picked(e)]
    assert len(executions) >= count, f"{logical_id}: {len(executions)} of {count} executions started"
    running = [e["executionArn"] for e in executions if e["status"] == "RUNNING"]
    assert not running, f"{logical_id}: quiet with executions still running: {running}; waits: {stillness.waits}"
    return executions


def business_path(cloud: LocalCloud, execution_arn: str) -> list[StateVisit]:
    """The states an execution entered, in order, without the pause points' checks every execution passes
    (tests/workflows/test_pause_resume.py tests those)."""
    return [v for v in cloud.stepfunctions.history_path(execution_arn) if not is_pause_check(v.name)]


def task_timed_out_after(cloud: LocalCloud, execution_arn: str) -> float:
    """Seconds on the runtime's clock (the history's timestamps) from the execution's one timed-out task starting
    (TaskStarted: its timeout counts from there, not from TaskSubmitted, which comes once the request went out) to
    its timing out: what a timeout test checks, however much real time a busy machine took."""
    events = {e["id"]: e for e in cloud.history(execution_arn)}
    (timed_out,) = [e for e in events.values() if e["type"] == "TaskTimedOut"]
    started = events[timed_out["previousEventId"]]
    while started["type"] != "TaskStarted":
        started = events[started["previousEventId"]]
    return float((timed_out["timestamp"] - started["timestamp"]).total_seconds())

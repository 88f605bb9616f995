"""examples/scheduled_and_chained on the local runtime: the nightly workflow, started as its schedule starts it, puts
ReportsDue, and that event starts the reports archive."""

from __future__ import annotations

import json

from orchestrator.local.cloud import LocalCloud
from tests.conftest import WHOLE_APP
from tests.workflows.conftest import ended

NIGHTLY, ARCHIVE = "WorkflowNightlyReports", "WorkflowReportsArchive"


def fire_schedule(cloud: LocalCloud) -> str:
    """What EventBridge does at each tick of the schedule: starts the rule's target with the rule's input (the local
    runtime runs no schedules of its own)."""
    rule = cloud.physical_id("AWS::Events::Rule", f"{NIGHTLY}Schedule")
    # A rule on the default bus is known by its ARN; the API takes its name.
    (target,) = cloud.client("events").list_targets_by_rule(Rule=rule.rsplit("/", 1)[-1])["Targets"]
    started = cloud.client("stepfunctions").start_execution(stateMachineArn=target["Arn"], input=target["Input"])
    return str(started["executionArn"])


@WHOLE_APP
def test_the_nightly_run_starts_the_archive_with_its_event(module_cloud: LocalCloud) -> None:
    nightly_arn = fire_schedule(module_cloud)
    run_id = nightly_arn.rsplit(":", 1)[-1]

    (nightly,) = ended(module_cloud, NIGHTLY, lambda e: e["executionArn"] == nightly_arn)
    (archive,) = ended(module_cloud, ARCHIVE, lambda e: run_id in e["input"])

    assert nightly["status"] == "SUCCEEDED", nightly.get("cause")
    assert archive["status"] == "SUCCEEDED", archive.get("cause")
    assert json.loads(archive["output"]) == {"archived": run_id}
    started_by = json.loads(archive["input"])
    assert (started_by["source"], started_by["detail-type"]) == ("reports.schedules", "ReportsDue")
    assert started_by["detail"]["data"] == {"run_id": run_id, "schedule": "rate(1 day)"}

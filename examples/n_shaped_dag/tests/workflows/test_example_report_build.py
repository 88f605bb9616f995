"""examples/n_shaped_dag on the local runtime: the N-shaped report-build DAG runs to its end with the report agents,
and when the report fails, the fetches that completed are undone."""

from __future__ import annotations

import json

from orchestrator.local.cloud import LocalCloud
from schemas.report_requested import ReportRequested
from tests.conftest import WHOLE_APP
from tests.workflows.conftest import ended

STATE_MACHINE = "DagReportBuild"


def _report(cloud: LocalCloud, report_id: str) -> dict[str, object]:
    cloud.put_event(ReportRequested(report_id=report_id, period="2026-11"), correlation_id=report_id)
    (execution,) = ended(cloud, STATE_MACHINE, lambda e: report_id in e["input"])
    return dict(execution)


@WHOLE_APP
def test_the_report_is_built_from_both_fetches_and_the_costs_archived(module_cloud: LocalCloud) -> None:
    execution = _report(module_cloud, "R-1")

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    output = json.loads(str(execution["output"]))
    assert output["build"] == {"report_id": "R-1", "margin_cents": 450_000}
    assert output["archive_costs"] == {"archived": "costs-R-1"}


@WHOLE_APP
def test_a_failed_report_releases_what_the_fetches_held(module_cloud: LocalCloud) -> None:
    execution = _report(module_cloud, "R-2-fail-report-build")

    assert execution["status"] == "FAILED"
    assert execution["error"] == "ReportRefused"
    cause = json.loads(str(execution["cause"]))
    assert sorted(cause["compensated"]) == ["fetch_costs", "fetch_sales"]
    assert cause["not_compensated"] == []

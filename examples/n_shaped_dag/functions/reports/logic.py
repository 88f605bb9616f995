"""The report agents' work: deterministic, so the example runs the same in tests, locally and on AWS.

A report id holding `fail-<agent>` (`R-7-fail-report-build`) makes that agent refuse: the way the example reaches
the DAG's compensations, as the onboarding agents' `fail-<what>` emails do.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from functions.agents.kit import AgentRefused, AgentTask


def _request(task: AgentTask) -> dict[str, Any]:
    request: dict[str, Any] = task.input["request"]
    return request


def fetch_sales(task: AgentTask) -> dict[str, Any]:
    request = _request(task)
    return {"period": request["period"], "sales_cents": 1_250_000, "hold": "sales-" + request["report_id"]}


def fetch_costs(task: AgentTask) -> dict[str, Any]:
    request = _request(task)
    return {"period": request["period"], "costs_cents": 800_000, "hold": "costs-" + request["report_id"]}


def build(task: AgentTask) -> dict[str, Any]:
    margin = task.input["sales"]["sales_cents"] - task.input["costs"]["costs_cents"]
    return {"report_id": _request(task)["report_id"], "margin_cents": margin}


def archive_costs(task: AgentTask) -> dict[str, Any]:
    return {"archived": task.input["costs"]["hold"]}


def release(task: AgentTask) -> dict[str, Any]:
    """Compensation of a fetch: releases the hold it took on its source."""
    return {"released": task.input["fetched"]["hold"]}


AGENTS: dict[str, Callable[[AgentTask], dict[str, Any]]] = {
    "report-sales": fetch_sales,
    "report-costs": fetch_costs,
    "report-build": build,
    "report-archive": archive_costs,
    "report-release": release,
}


def work(task: AgentTask) -> dict[str, Any]:
    """The output of `task` for its agent; `AgentRefused` for an unknown agent or one told to fail."""
    if task.agent not in AGENTS:
        raise AgentRefused("UnknownAgent", f"no report agent is called {task.agent!r}")
    if f"fail-{task.agent}" in json.dumps(task.input):
        raise AgentRefused("ReportRefused", f"{task.agent} was told to fail")
    return AGENTS[task.agent](task)

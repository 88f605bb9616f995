"""A DAG whose agent no consumer serves is refused at synth (an error annotation: `cdk synth` and `cdk deploy` stop
on it), naming the spec file, the task, the field and the agent; before, it synthesized and ran, and each of its
tasks waited until it timed out (issue: bring your own)."""

from __future__ import annotations

from pathlib import Path

import pytest

from asl.dag import parse
from asl.dag.deploy import SPECS_DIRECTORY, dispatched_agents
from infra import extensions
from infra.app import build_app, synthesis_errors

UNSERVED = """
name: report-build
start: {source: shop.customers, detail_type: CustomerSignedUp}
tasks:
  - {name: fetch, agent: onboarding-identity}
  - name: build
    agent: report-builder
    depends_on: [fetch]
    compensation: {agent: report-cleaner, input: {}}
"""


def test_each_unserved_agent_is_named_with_its_task_and_field(tmp_path: Path) -> None:
    spec = parse(
        {
            "name": "x",
            "start": {"source": "s", "detail_type": "d"},
            "tasks": [
                {"name": "a", "agent": "billing"},
                {"name": "b", "agent": "onboarding-accounts", "compensation": {"agent": "nobody", "input": {}}},
                {"name": "c", "agent": "ghost"},
            ],
        }
    )

    declared = tmp_path / "functions" / "mine" / "agent.yaml"
    declared.parent.mkdir(parents=True)
    declared.write_text("description: mine\nserves: [billing, onboarding-*]\n", encoding="utf-8")

    found = extensions.unserved(Path("x.dag.yaml"), dispatched_agents(spec), extensions.agents(tmp_path))

    assert [line.split(": no agent consumer")[0] for line in found] == [
        "x.dag.yaml: tasks[1] (b).compensation.agent: nobody",
        "x.dag.yaml: tasks[2] (c).agent: ghost",
    ]


def test_the_app_does_not_synthesize_a_dag_whose_agents_nobody_serves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = tmp_path / "report_build.dag.yaml"
    spec.write_text(UNSERVED, encoding="utf-8")
    shipped = sorted(SPECS_DIRECTORY.glob("*.dag.yaml"))
    monkeypatch.setattr("infra.stacks.workflows.spec_files", lambda: [*shipped, spec])

    app, _ = build_app("dev", str(tmp_path / "cdk.out"))
    every = synthesis_errors(app.synth())
    errors = [e for e in every if "report_build.dag.yaml" in e]
    assert not [e for e in every if "customer_onboarding" in e], "the shipped DAG's agents are all served"

    why = (
        "no agent consumer serves it (no functions/*/agent.yaml lists it in serves), so its tasks would wait until "
        "they time out; add the agent (orch new agent) or fix the name"
    )
    assert [e.split(": ", 2)[2] for e in errors] == [
        f"{spec}: tasks[1] (build).agent: report-builder: {why}",
        f"{spec}: tasks[1] (build).compensation.agent: report-cleaner: {why}",
    ]

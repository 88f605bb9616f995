"""`orch new`'s writers (orchestrator/scaffold), offline: what each writes is what the app's conventions read (the
declaration parses, the spec compiles, the modules compile), nothing is overwritten, and bad names are refused with
the rule. That the written files synthesize and their tests pass on the local runtime is tests/extensions'."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from asl.dag import load
from asl.dag.deploy import deployed_definition
from infra import extensions
from orchestrator.cli import main
from orchestrator.scaffold import ScaffoldError, new_agent, new_event, new_workflow
from schemas.stages import load_stage

ROOT = Path(__file__).resolve().parents[2]


def _compiles(root: Path, written: list[Path]) -> None:
    for path in written:
        if path.suffix == ".py":
            compile((root / path).read_text(encoding="utf-8"), str(path), "exec")


def test_an_agent_is_a_package_whose_declaration_the_app_reads(tmp_path: Path) -> None:
    written = new_agent(tmp_path, "report-builder", serves=["report-fetch", "report-*"])

    assert [str(p) for p in written] == [
        "functions/report_builder/__init__.py",
        "functions/report_builder/logic.py",
        "functions/report_builder/handler.py",
        "functions/report_builder/agent.yaml",
        "tests/unit/test_report_builder_agent.py",
    ]
    _compiles(tmp_path, written)
    (declared,) = extensions.agents(tmp_path)
    assert declared.handler == "functions.report_builder.handler.handler"
    assert declared.construct_id == "ReportBuilderAgents"
    assert declared.declaration.pattern_values() == ["report-fetch", {"prefix": "report-"}]
    assert declared.declaration.emits == ["AgentTaskCompleted", "AgentTaskFailed"]


def test_a_dag_chains_its_agents_and_compiles(tmp_path: Path) -> None:
    written = new_workflow(
        tmp_path, "report-build", dag=True, start="CustomerSignedUp", source="shop.customers", agents=["a-one", "b-two"]
    )

    assert [str(p) for p in written] == [
        "state_machines/report_build.dag.yaml",
        "tests/workflows/test_report_build_workflow.py",
    ]
    _compiles(tmp_path, written)
    spec = load(tmp_path / written[0])
    assert [(t.name, t.agent, t.depends_on) for t in spec.tasks] == [
        ("a_one", "a-one", []),
        ("b_two", "b-two", ["a_one"]),
    ]
    assert deployed_definition(spec, load_stage("dev").agent_pipeline.specialist_breaker)["StartAt"]
    assert 'STATE_MACHINE = "DagReportBuild"' in (tmp_path / written[1]).read_text(encoding="utf-8")


def test_an_asl_workflow_admits_its_start_event_and_a_scheduled_one_starts_at_work(tmp_path: Path) -> None:
    started = new_workflow(tmp_path, "audit", start="CustomerSignedUp", source="shop.customers")
    scheduled = new_workflow(tmp_path, "sweep", schedule="rate(1 hour)")

    (audit,) = [w for w in extensions.workflows(tmp_path) if w.sidecar.name == "audit"]
    assert audit.sidecar.start is not None and audit.sidecar.start.detail_type == "CustomerSignedUp"
    assert json.loads(audit.definition_file.read_text(encoding="utf-8"))["StartAt"] == "Begin"
    (sweep,) = [w for w in extensions.workflows(tmp_path) if w.sidecar.name == "sweep"]
    assert (sweep.sidecar.start, sweep.sidecar.schedule) == (None, "rate(1 hour)")
    assert json.loads(sweep.definition_file.read_text(encoding="utf-8"))["StartAt"] == "Work"
    _compiles(tmp_path, started + scheduled)


def test_an_event_gets_its_module_test_and_registry_document(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas", ignore=shutil.ignore_patterns("__pycache__"))

    written = new_event(tmp_path, "ReportRequested", source="reports.app", emitted_by=["workflows", "agents"])

    assert [str(p) for p in written] == [
        "schemas/report_requested.py",
        "tests/unit/test_report_requested_event.py",
        "schemas/registry/reports.app@ReportRequested/v1.json",
    ]
    _compiles(tmp_path, written)
    module = (tmp_path / written[0]).read_text(encoding="utf-8")
    assert "frozenset({Emitter.WORKFLOWS, Emitter.AGENTS})" in module
    document = json.loads((tmp_path / written[2]).read_text(encoding="utf-8"))
    assert document["properties"]["source"] == {"type": "string", "enum": ["reports.app"]}


def test_nothing_is_overwritten(tmp_path: Path) -> None:
    new_agent(tmp_path, "report-builder")
    before = (tmp_path / "functions/report_builder/logic.py").read_text(encoding="utf-8")

    with pytest.raises(ScaffoldError, match=r"functions/report_builder/__init__.py.* exists already"):
        new_agent(tmp_path, "report-builder")
    assert (tmp_path / "functions/report_builder/logic.py").read_text(encoding="utf-8") == before


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["agent", "Report_Builder"], "'Report_Builder': an agent's name is lower case with dashes"),
        (["event", "reportRequested", "--source", "reports.app"], "an event name is PascalCase"),
        (["event", "ReportRequested", "--source", "Reports"], "a source is dotted lower case"),
        (["workflow", "w"], "a workflow's name is lower case with dashes"),
        (["workflow", "wf", "--schedule", "rate(1 day)", "--start", "X", "--source", "a.b"], "on an event"),
        (["workflow", "wf", "--start", "X", "--source", "a.b", "--agents", "a"], "--agents makes the tasks of a DAG"),
        (["workflow", "wf", "--dag", "--start", "X", "--source", "a.b"], "needs its agents"),
        (["workflow", "wf", "--schedule", "every day"], "a schedule is rate(...) or cron(...)"),
    ],
)
def test_orch_new_refuses_what_it_cannot_write_as_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    status = main(["new", "--root", str(tmp_path), *arguments])

    assert status == 2
    error = capsys.readouterr().err
    assert error.startswith("orch: ") and message in error
    assert list(tmp_path.iterdir()) == []

"""`orch new`'s writers (orchestrator/scaffold), offline: what each writes is what the app's conventions read (the
declaration parses, the spec compiles, the modules compile), nothing is overwritten, and bad names are refused with
the rule. That the written files synthesize and their tests pass on the local runtime is tests/extensions'."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from asl.dag import load
from asl.dag.deploy import deployed_definition
from infra import extensions
from orchestrator.cli import main
from orchestrator.scaffold import ScaffoldError, new_agent, new_event, new_workflow
from schemas.stages import load_stage

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """An empty project but for its settings (the formatter's among them)."""
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _compiles(root: Path, written: list[Path]) -> None:
    """Each Python file written compiles and passes the project's `make lint` (ruff check and format), as the user's
    project then does."""
    sources = [str(root / path) for path in written if path.suffix == ".py"]
    for source in sources:
        compile(Path(source).read_text(encoding="utf-8"), source, "exec")
    ruff = str(Path(sys.executable).parent / "ruff")
    for command in (["check"], ["format", "--check"]):
        done = subprocess.run(
            [ruff, *command, "--config", str(ROOT / "pyproject.toml"), *sources], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_an_agent_is_a_package_whose_declaration_the_app_reads(root: Path) -> None:
    written = new_agent(root, "report-builder", serves=["report-fetch", "report-*"])

    assert [str(p) for p in written] == [
        "functions/report_builder/__init__.py",
        "functions/report_builder/logic.py",
        "functions/report_builder/handler.py",
        "functions/report_builder/agent.yaml",
        "tests/unit/test_report_builder_agent.py",
    ]
    _compiles(root, written)
    (declared,) = extensions.agents(root)
    assert declared.handler == "functions.report_builder.handler.handler"
    assert declared.construct_id == "ReportBuilderAgents"
    assert declared.declaration.pattern_values() == ["report-fetch", {"prefix": "report-"}]
    assert declared.declaration.emits == ["AgentTaskCompleted", "AgentTaskFailed"]


def test_a_dag_chains_its_agents_and_compiles(root: Path) -> None:
    written = new_workflow(
        root, "report-build", dag=True, start="CustomerSignedUp", source="shop.customers", agents=["a-one", "b-two"]
    )

    assert [str(p) for p in written] == [
        "state_machines/report_build.dag.yaml",
        "tests/workflows/test_report_build_workflow.py",
    ]
    _compiles(root, written)
    spec = load(root / written[0])
    assert [(t.name, t.agent, t.depends_on) for t in spec.tasks] == [
        ("a_one", "a-one", []),
        ("b_two", "b-two", ["a_one"]),
    ]
    assert deployed_definition(spec, load_stage("dev").agent_pipeline.specialist_breaker)["StartAt"]
    assert 'STATE_MACHINE = "DagReportBuild"' in (root / written[1]).read_text(encoding="utf-8")


def test_an_asl_workflow_admits_its_start_event_and_a_scheduled_one_starts_at_work(root: Path) -> None:
    started = new_workflow(root, "audit", start="CustomerSignedUp", source="shop.customers")
    scheduled = new_workflow(root, "sweep", schedule="rate(1 hour)")

    (audit,) = [w for w in extensions.workflows(root) if w.sidecar.name == "audit"]
    assert audit.sidecar.start is not None and audit.sidecar.start.detail_type == "CustomerSignedUp"
    assert json.loads(audit.definition_file.read_text(encoding="utf-8"))["StartAt"] == "Begin"
    (sweep,) = [w for w in extensions.workflows(root) if w.sidecar.name == "sweep"]
    assert (sweep.sidecar.start, sweep.sidecar.schedule) == (None, "rate(1 hour)")
    assert json.loads(sweep.definition_file.read_text(encoding="utf-8"))["StartAt"] == "Work"
    _compiles(root, started + scheduled)


def test_an_event_gets_its_module_test_and_registry_document(root: Path) -> None:
    shutil.copytree(ROOT / "schemas", root / "schemas", ignore=shutil.ignore_patterns("__pycache__"))

    written = new_event(root, "ReportRequested", source="reports.app", emitted_by=["workflows", "agents"])

    assert [str(p) for p in written] == [
        "schemas/report_requested.py",
        "tests/unit/test_report_requested_event.py",
        "schemas/registry/reports.app@ReportRequested/v1.json",
    ]
    _compiles(root, written)
    module = (root / written[0]).read_text(encoding="utf-8")
    assert "frozenset({Emitter.WORKFLOWS, Emitter.AGENTS})" in module
    document = json.loads((root / written[2]).read_text(encoding="utf-8"))
    assert document["properties"]["source"] == {"type": "string", "enum": ["reports.app"]}


def test_nothing_is_overwritten(root: Path) -> None:
    new_agent(root, "report-builder")
    before = (root / "functions/report_builder/logic.py").read_text(encoding="utf-8")

    with pytest.raises(ScaffoldError, match=r"functions/report_builder/__init__.py.* exists already"):
        new_agent(root, "report-builder")
    assert (root / "functions/report_builder/logic.py").read_text(encoding="utf-8") == before


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
    root: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    status = main(["new", "--root", str(root), *arguments])

    assert status == 2
    error = capsys.readouterr().err
    assert error.startswith("orch: ") and message in error
    assert [path.name for path in root.iterdir()] == ["pyproject.toml"]


def test_the_longest_names_still_pass_lint(root: Path) -> None:
    agent, workflow, event = "a" * 24 + "-" + "b" * 23, "w" * 24 + "-" + "x" * 23, "E" + "v" * 63

    written = [
        *new_agent(root, agent, serves=[agent + "-*"]),
        *new_workflow(root, workflow, dag=True, start=event, source="some.long-source.name", agents=[agent]),
        *new_workflow(root, "z" * 24 + "-" + "q" * 23, schedule="cron(0 3 * * ? *)"),
    ]

    _compiles(root, written)

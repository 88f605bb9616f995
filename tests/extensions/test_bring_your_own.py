"""Issue 18's new user, and the examples, on a copy of the project (a fresh clone's files): `orch new` writes an event,
two agents (each serving a family of names), a DAG and two ASL workflows (one event-started, one scheduled); the user
makes the DAG N-shaped with a compensation (docs/extending.md's worked example); every example under examples/ is
copied in; the app synthesizes with no error, and the tests `orch new` wrote and those of the examples pass, running
each workflow on the local runtime.

The copy runs in a process of its own (its `schemas`, `functions` and `state_machines` are not this process's):
one pytest over every test to run there, whose session synthesizes the copy's app into its cdk.out
(ORCH_TEST_ASSEMBLY), where this module then reads the synthesis errors. One module fixture does it all, and each
test reads its part of the outcome.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ASSEMBLY_VARIABLE, WHOLE_APP

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(path for path in (ROOT / "examples").iterdir() if path.is_dir())
NEW = [
    ["event", "ShipmentBooked", "--source", "acme.shipments"],
    ["agent", "shipment-agents", "--serves", "shipment-*"],
    ["agent", "shipment-notices", "--serves", "notify-*"],
    [
        "workflow",
        "shipment-flow",
        "--dag",
        "--start",
        "ShipmentBooked",
        "--source",
        "acme.shipments",
        "--agents",
        "shipment-plan,notify-customer",
    ],
    ["workflow", "shipment-audit", "--start", "ShipmentBooked", "--source", "acme.shipments"],
    ["workflow", "shipment-sweep", "--schedule", "rate(1 hour)"],
]
# The user's edit of the generated spec (docs/extending.md): N-shaped, the plan undone if a later task fails.
N_SHAPED = """
name: shipment-flow
start: {source: acme.shipments, detail_type: ShipmentBooked}
tasks:
  - name: plan
    agent: shipment-plan
    input: {request: "{% $input %}"}
    compensation: {agent: shipment-unplan, input: {plan: "{% $result %}"}}
  - name: check
    agent: shipment-check
    input: {request: "{% $input %}"}
  - name: invoice
    agent: shipment-invoice
    depends_on: [check]
    input: {request: "{% $input %}"}
  - name: notify
    agent: notify-customer
    depends_on: [plan, check]
    input: {request: "{% $input %}", route: "{% $results.plan %}"}
"""
GENERATED = [
    "schemas/shipment_booked.py",
    "schemas/registry/acme.shipments@ShipmentBooked/v1.json",
    "tests/unit/test_shipment_booked_event.py",
    "functions/shipment_agents/__init__.py",
    "functions/shipment_agents/logic.py",
    "functions/shipment_agents/handler.py",
    "functions/shipment_agents/agent.yaml",
    "tests/unit/test_shipment_agents_agent.py",
    "functions/shipment_notices/__init__.py",
    "functions/shipment_notices/logic.py",
    "functions/shipment_notices/handler.py",
    "functions/shipment_notices/agent.yaml",
    "tests/unit/test_shipment_notices_agent.py",
    "state_machines/shipment_flow.dag.yaml",
    "tests/workflows/test_shipment_flow_workflow.py",
    "state_machines/shipment_audit.asl.json",
    "state_machines/shipment_audit.workflow.yaml",
    "tests/workflows/test_shipment_audit_workflow.py",
    "state_machines/shipment_sweep.asl.json",
    "state_machines/shipment_sweep.workflow.yaml",
    "tests/workflows/test_shipment_sweep_workflow.py",
]


@dataclass
class Project:
    root: Path
    printed: list[str]  # what each `orch new` printed
    added: list[str]  # files `orch new` added, relative to the root
    changed: list[str]  # files it changed
    synth_errors: list[str]
    typecheck: str  # mypy's last line over the files added and the examples'
    outcomes: dict[str, str]  # test file -> test name -> "passed", "failed: ...", "skipped: ..."


def _files(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in root.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def _copy_project(target: Path) -> None:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        if (ROOT / name).is_file() and not name.startswith("examples/"):
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    for example in EXAMPLES:  # each laid out as the project is: copied onto its root, as the docs say
        shutil.copytree(example, target, dirs_exist_ok=True)


def _synthesis_errors(assembly: Path) -> list[str]:
    """The error annotations of every stack of `assembly` (what stops `cdk synth`; `make synth` prints them)."""
    return [
        f"{path}: {entry['data']}"
        for metadata in sorted(assembly.glob("*.metadata.json"))
        for path, entries in json.loads(metadata.read_text(encoding="utf-8")).items()
        for entry in entries
        if entry["type"] == "aws:cdk:error"
    ]


def _outcomes(report: Path) -> dict[str, str]:
    found = {}
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        kind = next((child.tag for child in case if child.tag in ("failure", "error", "skipped")), "passed")
        detail = next((child.get("message", "") for child in case if child.tag != "system-out"), "")
        found[f"{case.get('classname')}::{case.get('name')}"] = kind if kind == "passed" else f"{kind}: {detail}"
    return found


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("project")
    _copy_project(root)
    before = _files(root)
    printed = []
    for arguments in NEW:
        # `orch` as the user runs it in the copy (its registry document is made by the copy's own modules).
        done = subprocess.run(
            [sys.executable, "-m", "orchestrator.cli", "new", "--root", str(root), *arguments],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(root)},
            check=False,
        )
        printed.append(done.stdout + done.stderr)
    after = _files(root)
    (root / "state_machines" / "shipment_flow.dag.yaml").write_text(N_SHAPED, encoding="utf-8")
    tests = sorted(
        str(path.relative_to(root))
        for path in [
            *(root / "tests").rglob("test_shipment_*.py"),
            *(root / "tests").rglob("test_example_*.py"),
        ]
    )
    report = root / "report.xml"
    # The session synthesizes the copy's app into its cdk.out (ORCH_TEST_ASSEMBLY), as `make synth` does there.
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}", *tests],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root), ASSEMBLY_VARIABLE: str(root / "cdk.out")},
        capture_output=True,
        check=False,
        timeout=600,
    )
    # mypy as `make typecheck` runs it, over what was added (the project's cache copied in, as a checkout has one after
    # `make typecheck`: only the new files are checked from scratch).
    if (ROOT / ".mypy_cache").is_dir():
        shutil.copytree(ROOT / ".mypy_cache", root / ".mypy_cache")
    examples = [str(path.relative_to(example)) for example in EXAMPLES for path in example.rglob("*.py")]
    typed = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            *[name for name in [*after.keys() - before.keys(), *examples] if name.endswith(".py")],
        ],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        check=False,
    )
    return Project(
        root=root,
        printed=printed,
        added=sorted(set(after) - set(before)),
        changed=sorted(name for name in before if after.get(name) != before[name]),
        synth_errors=_synthesis_errors(root / "cdk.out"),
        typecheck=typed.stdout.strip(),
        outcomes=_outcomes(report) if report.exists() else {},
    )


@WHOLE_APP
def test_orch_new_adds_the_files_of_an_event_an_agent_and_a_dag_and_changes_none(project: Project) -> None:
    assert project.changed == []
    assert project.added == sorted(GENERATED), project.printed
    assert not [name for name in project.added if name.startswith("infra/")]


@WHOLE_APP
def test_the_added_files_type_check(project: Project) -> None:
    assert project.typecheck.splitlines()[-1].startswith("Success: no issues found"), project.typecheck


@WHOLE_APP
def test_the_app_with_the_extensions_and_the_examples_synthesizes_without_an_error(project: Project) -> None:
    assert project.synth_errors == []
    workflows = (project.root / "cdk.out" / "Orchestrator-dev-Workflows.template.json").read_text(encoding="utf-8")
    for built in (
        "DagShipmentFlow",
        "ShipmentAgentsAgents",
        "ShipmentNoticesAgents",
        "DagReportBuild",
        "ReportsAgents",
        "TicketSummaryAgents",
    ):
        assert f'"{built}' in workflows, built
    assert '"WorkflowNightlyReportsSchedule' in workflows and '"WorkflowReportsArchiveStart' in workflows


@WHOLE_APP
def test_the_tests_orch_new_wrote_pass_the_dag_to_success_and_to_its_compensation_and_the_asl_workflows(
    project: Project,
) -> None:
    generated = {name: outcome for name, outcome in project.outcomes.items() if "shipment" in name}

    assert sorted(name.split(".", 2)[2] for name in generated) == [
        "test_shipment_agents_agent::test_it_answers_a_task",
        "test_shipment_agents_agent::test_it_refuses_a_task_told_to_fail",
        "test_shipment_agents_agent::test_the_app_finds_its_declaration",
        "test_shipment_audit_workflow::test_it_runs_to_its_end",
        "test_shipment_booked_event::test_a_sample_is_valid_and_an_undeclared_field_is_refused",
        "test_shipment_booked_event::test_its_registry_document_is_current",
        "test_shipment_booked_event::test_the_catalog_knows_it_from_its_source",
        "test_shipment_flow_workflow::test_it_compensates_what_completed_when_its_last_task_fails",
        "test_shipment_flow_workflow::test_it_runs_to_its_end",
        "test_shipment_notices_agent::test_it_answers_a_task",
        "test_shipment_notices_agent::test_it_refuses_a_task_told_to_fail",
        "test_shipment_notices_agent::test_the_app_finds_its_declaration",
        "test_shipment_sweep_workflow::test_it_runs_on_its_schedule",
    ]
    assert {name: outcome for name, outcome in generated.items() if outcome != "passed"} == {}


@WHOLE_APP
@pytest.mark.parametrize("example", [path.name for path in EXAMPLES])
def test_each_example_runs_on_the_local_runtime(project: Project, example: str) -> None:
    tests = sorted((ROOT / "examples" / example / "tests").rglob("test_*.py"))
    modules = {".".join(path.relative_to(ROOT / "examples" / example).with_suffix("").parts) for path in tests}
    ran = {name: outcome for name, outcome in project.outcomes.items() if name.split("::")[0] in modules}

    assert ran, f"no test of examples/{example} ran"
    assert {name: outcome for name, outcome in ran.items() if outcome != "passed"} == {}

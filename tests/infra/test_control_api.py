"""The control plane's HTTP API as deployed: every method IAM-authorized and routed to the control function, a
traced and access-logged stage, and a role scoped to the app's own state machines, table and bus."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from functions.control_api.openapi import document
from infra.stacks.control import EXECUTION_ACTIONS, REPLAY_ACTIONS, ROUTES, VERSION_ACTIONS
from tests.infra.helpers import only, resources

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def template(assembly_dir: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((assembly_dir / "Orchestrator-dev-Control.template.json").read_text())
    return loaded


def statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        s
        for p in resources(template, "AWS::IAM::Policy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]


def actions(statement: dict[str, Any]) -> list[str]:
    found = statement["Action"]
    return [found] if isinstance(found, str) else list(found)


def test_every_method_is_iam_authorized_and_the_routes_are_the_handlers(template: dict[str, Any]) -> None:
    methods = [m["Properties"] for m in resources(template, "AWS::ApiGateway::Method").values()]
    assert len(methods) == sum(len(m) for m in ROUTES.values()) == 21
    assert {m["AuthorizationType"] for m in methods} == {"AWS_IAM"}
    assert {m["Integration"]["Type"] for m in methods} == {"AWS_PROXY"}
    # The OpenAPI document's paths are the API Gateway paths, with the same methods.
    paths = json.loads(document())["paths"]
    assert {f"/{path}": {m.lower() for m in verbs} for path, verbs in ROUTES.items()} == {
        path: set(operations) for path, operations in paths.items()
    }


def test_stage_is_traced_and_access_logged(template: dict[str, Any]) -> None:
    stage = only(template, "AWS::ApiGateway::Stage")
    assert stage["TracingEnabled"] is True
    assert "caller" in stage["AccessLogSetting"]["Format"]


def test_the_role_is_scoped_to_the_apps_resources(template: dict[str, Any]) -> None:
    found = statements(template)
    wildcard = [s for s in found if s["Resource"] == "*"]
    assert sorted(a for s in wildcard for a in actions(s)) == [
        "dynamodb:ListTables",  # discovery: no resource-level permissions
        "events:ListArchives",  # replay: finding the bus's archive, the same
        "states:ListStateMachines",
        "xray:PutTelemetryRecords",  # tracing, as every function
        "xray:PutTraceSegments",
    ]
    (executions,) = [s for s in found if "states:StopExecution" in actions(s)]
    assert sorted(actions(executions)) == sorted(EXECUTION_ACTIONS)
    resolved = json.dumps(executions["Resource"])
    # Every workflow of the stage, the DAGs too (its discovery lists them all: a machine it may not read is skipped).
    assert resolved.count(":execution:") == 3
    assert all(name in resolved for name in ("AgentPipelineStateMachine", "OrderSaga", "DagCustomerOnboarding"))
    starts = [s for s in found if "states:StartExecution" in actions(s)]
    assert {json.dumps(s["Resource"]) for s in starts} == {
        json.dumps(s["Resource"]) for s in found if "states:ListExecutions" in actions(s)
    }
    assert len(starts) == 3 and all("Fn::ImportValue" in s["Resource"] for s in starts)
    tables = [s for s in found if any(a.startswith("dynamodb:") and a != "dynamodb:ListTables" for a in actions(s))]
    # The event store's Query grant is tests/event_store's; the other two: the breakers, and the pause records.
    table, pauses = sorted((s for s in tables if "dynamodb:Query" not in actions(s)), key=lambda s: "Condition" in s)
    assert sorted(actions(table)) == ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan"]
    assert "CircuitBreakers" in json.dumps(table["Resource"])
    # The pause records only: the correlator's items share the WorkflowControl table.
    assert sorted(actions(pauses)) == ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
    assert "WorkflowControl" in json.dumps(pauses["Resource"])
    assert pauses["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["pause#*"]}}
    # Versions and aliases are authorized on the state machine's own ARN (the qualifier is a condition key): granted
    # with the state machine's other actions, on each of the three, and on no `:*` wildcard.
    versions = [s for s in found if "states:UpdateStateMachineAlias" in actions(s)]
    assert len(versions) == 3 and all(set(VERSION_ACTIONS) <= set(actions(s)) for s in versions)
    assert all("Fn::ImportValue" in s["Resource"] for s in versions)
    (replay,) = [s for s in found if "events:StartReplay" in actions(s)]
    assert sorted(actions(replay)) == sorted(REPLAY_ACTIONS)
    assert [r["Fn::Join"][1][-1] for r in replay["Resource"]] == [":archive/*", ":replay/*"]
    # What the control plane emits, by source (tests/infra/test_event_classes.py checks the conditions).
    puts = [s for s in found if "events:PutEvents" in actions(s)]
    assert puts and all("EventBus" in json.dumps(put["Resource"]) for put in puts)


def test_the_function_runs_the_stage_it_is_deployed_in(template: dict[str, Any]) -> None:
    (function,) = [
        f["Properties"]
        for f in resources(template, "AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == "functions.control_api.handler.handler"
    ]
    assert function["Environment"]["Variables"]["STAGE"] == "dev"
    assert "CONTROL_ENDPOINT_URL" not in function["Environment"]["Variables"]


def _control_function(template: dict[str, Any]) -> dict[str, Any]:
    (function,) = [
        f
        for f in resources(template, "AWS::Lambda::Function").values()
        if f["Properties"].get("Handler") == "functions.control_api.handler.handler"
    ]
    return function


def _control_asset(assembly_dir: Path, template: dict[str, Any]) -> Path:
    """The function's code folder, through the stack's asset manifest (its S3 key is `<asset hash>.zip`)."""
    key = _control_function(template)["Properties"]["Code"]["S3Key"]
    manifest = json.loads((assembly_dir / "Orchestrator-dev-Control.assets.json").read_text(encoding="utf-8"))
    return assembly_dir / str(manifest["files"][key.removesuffix(".zip")]["source"]["path"])


def test_the_control_asset_ships_only_what_the_function_runs(assembly_dir: Path, template: dict[str, Any]) -> None:
    """The library, the handlers, the contracts and the pure ASL reading and drawing: no local runtime, no demo, no
    DAG compiler, no CDK app and no stage file (the function has its settings from its environment)."""
    asset = _control_asset(assembly_dir, template)
    top = sorted(p.name for p in asset.iterdir())
    assert top == ["asl", "functions", "orchestrator", "schemas"]
    assert sorted(p.name for p in (asset / "orchestrator").iterdir() if p.name != "__pycache__") == [
        "__init__.py",
        "control",
    ]
    assert sorted(p.name for p in (asset / "asl").iterdir() if p.name != "__pycache__") == [
        "__init__.py",
        "fields.py",
        "graph",
        "history.py",
        "pause_points.py",
        "rewrite.py",
    ]
    # The drawing package whole: the model, its layout and both renderers.
    assert sorted(p.name for p in (asset / "asl" / "graph").glob("*.py")) == sorted(
        p.name for p in (ROOT / "asl" / "graph").glob("*.py")
    )
    assert not list(asset.rglob("stages.json"))
    environment = _control_function(template)["Properties"]["Environment"]["Variables"]
    assert json.loads(environment["STAGE_CONFIG"])["bus_name"] == "orchestrator-dev"


def test_the_control_handler_imports_from_its_asset_alone(assembly_dir: Path, template: dict[str, Any]) -> None:
    """Run as Lambda would: the asset first on the path, the third-party packages after it, and not this project's
    own tree (no site hooks, so the editable install's finder is not there): an import the asset misses fails."""
    asset = _control_asset(assembly_dir, template)
    site = next(Path(p) for p in sys.path if p.endswith("site-packages"))
    probe = (
        f"import sys; sys.path[:] = [{str(asset)!r}, *sys.path[1:], {str(site)!r}]; "
        "import functions.control_api.handler as h; import orchestrator.control; "
        "assert h.__file__.startswith(sys.path[0]), h.__file__; print('imported')"
    )
    done = subprocess.run([sys.executable, "-S", "-c", probe], cwd=asset, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "imported"

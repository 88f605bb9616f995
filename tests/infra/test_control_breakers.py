"""The Control stack hands its function the breakers the app defines (`BREAKER_IDS`), the same list `orch` computes
from the same files: the control API and the CLI refuse the same ids."""

from __future__ import annotations

import json
from pathlib import Path

from orchestrator.cli.base import app_breakers


def test_the_control_function_knows_the_breakers_orch_knows(assembly_dir: Path) -> None:
    template = json.loads((assembly_dir / "Orchestrator-dev-Control.template.json").read_text(encoding="utf-8"))
    (variables,) = [
        r["Properties"]["Environment"]["Variables"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function"
        and r["Properties"].get("Handler") == "functions.control_api.handler.handler"
    ]
    assert json.loads(variables["BREAKER_IDS"]) == app_breakers()

"""`make synth STAGE=prod` synthesizes the prod stage (it used to write the dev stacks whatever STAGE said)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_app_py_synthesizes_the_stage_that_stage_names(tmp_path: Path) -> None:
    environment = {**os.environ, "STAGE": "prod", "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1"}
    environment.pop("CDK_OUTDIR", None)
    done = subprocess.run(
        [sys.executable, str(ROOT / "app.py")], cwd=tmp_path, env=environment, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    manifest = json.loads((tmp_path / "cdk.out" / "manifest.json").read_text(encoding="utf-8"))
    stacks = sorted(name for name, a in manifest["artifacts"].items() if a["type"] == "aws:cloudformation:stack")
    assert stacks and all(name.startswith("Orchestrator-prod-") for name in stacks), stacks

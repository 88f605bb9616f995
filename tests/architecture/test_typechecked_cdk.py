"""mypy follows only the CDK modules listed in pyproject.toml (the others are skipped: following all of them was ~90 s
of a fresh clone's `make typecheck`). A CDK module the project starts to use must be added there, or mypy would
type its uses as Any without a word: this test names the missing one."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("app.py", "infra", "orchestrator", "bench", "tests", "functions", "asl", "schemas")


def _cdk_modules_imported() -> dict[str, str]:
    """Each aws_cdk module the project imports, with one file that does."""
    found: dict[str, str] = {}
    files = [p for s in SCANNED for p in ([ROOT / s] if s.endswith(".py") else (ROOT / s).rglob("*.py"))]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from aws_cdk import aws_sqs` imports a module; `from aws_cdk import Stack` a name of aws_cdk.
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names if a.name.islower()]
            else:
                continue
            for name in names:
                if name == "aws_cdk" or name.startswith("aws_cdk."):
                    found.setdefault(name, str(path.relative_to(ROOT)))
    return found


def _followed() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]["overrides"]
    return {m for o in config if o.get("follow_imports") == "normal" for m in o["module"]}


def test_every_cdk_module_the_project_imports_is_type_checked() -> None:
    imported = _cdk_modules_imported()
    assert {"aws_cdk", "aws_cdk.aws_lambda"} <= imported.keys(), "the scan finds the app's imports"
    missing = {m: f for m, f in imported.items() if m not in _followed()}
    assert not missing, f"add to the followed CDK modules in pyproject.toml's [tool.mypy]: {missing}"

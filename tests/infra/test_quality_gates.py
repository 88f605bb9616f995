"""cdk-nag (AwsSolutions) and cfn-lint as tests: zero findings on the app, and both proven able to fail."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_sqs as sqs
from cfnlint.api import lint

from infra.nag import add_nag_checks
from tests.conftest import STACKS


def test_cdk_nag_reports_no_unacknowledged_finding(assembly_dir: Path) -> None:
    report = json.loads((assembly_dir / "validation-report.json").read_text(encoding="utf-8"))
    (aws_solutions,) = [r for r in report["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    assert aws_solutions["conclusion"] == "success"
    assert aws_solutions["violations"] == []
    for acknowledged in aws_solutions["suppressedViolations"]:
        assert len(acknowledged["reason"]) > 20, f"{acknowledged['ruleName']} needs a real reason"


def test_cdk_nag_fails_the_synth_on_a_finding(tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path))
    stack = Stack(app, "Careless")
    sqs.Queue(stack, "PlainQueue")  # no DLQ, no TLS-only policy: AwsSolutions-SQS3 and SQS4
    add_nag_checks(app)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text(encoding="utf-8"))
    rules = {v["ruleName"] for r in report["pluginReports"] for v in r["violations"]}
    assert {"AwsSolutions-SQS3", "AwsSolutions-SQS4"} <= rules


def _errors(template_text: str) -> list[str]:
    return [f"{m.rule.id}: {m.message}" for m in lint(template_text) if m.rule.id.startswith("E")]


@pytest.mark.parametrize("stack", STACKS)
def test_cfn_lint_finds_no_error(assembly_dir: Path, stack: str) -> None:
    text = (assembly_dir / f"Orchestrator-dev-{stack}.template.json").read_text(encoding="utf-8")
    assert _errors(text) == []


def test_cfn_lint_reports_an_error_in_a_broken_template(templates: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(templates["State"]))
    table = next(r for r in broken["Resources"].values() if r["Type"] == "AWS::DynamoDB::Table")
    table["Properties"]["BillingMode"] = "SOMETIMES"
    errors = _errors(json.dumps(broken))
    assert any(re.search(r"SOMETIMES", e) for e in errors), errors

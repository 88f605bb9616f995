"""`orch dag compile` prints what the CDK app deploys for a spec; `orch dag graph` draws it; a bad spec is a usage
error naming the task and the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator.cli import EXIT_OK, EXIT_USAGE, main
from tests.dag.test_spec import SHIPPED

ONBOARDING = next(path for path in SHIPPED if path.name == "customer_onboarding.dag.yaml")


def test_compile_prints_the_deployed_definition_with_its_breakers_wrapped(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dag", "compile", str(ONBOARDING)]) == EXIT_OK
    definition = json.loads(capsys.readouterr().out)

    assert definition["QueryLanguage"] == "JSONata"
    text = json.dumps(definition)
    # provision_workspace has `breaker: true`: its dispatch reads the breaker first
    assert '"provision_workspaceReadBreaker"' in text and "${CircuitBreakersTableName}" in text


def test_graph_draws_every_task_of_the_spec(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["dag", "graph", str(ONBOARDING)]) == EXIT_OK
    mermaid = capsys.readouterr().out
    assert mermaid.startswith("flowchart TD")
    for task in ("verify_identity", "screen_sanctions", "open_account", "credit_limit", "send_welcome"):
        assert f'["{task}<br/>' in mermaid

    out = tmp_path / "onboarding.svg"
    assert main(["dag", "graph", str(ONBOARDING), "--format", "svg", "--out", str(out)]) == EXIT_OK
    assert out.read_text(encoding="utf-8").startswith("<svg")


def test_an_invalid_spec_is_a_usage_error_naming_the_task(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    spec = tmp_path / "bad.dag.yaml"
    spec.write_text(
        "name: bad\nstart: {source: s, detail_type: D}\ntasks:\n"
        "  - {name: a, agent: w, depends_on: [b]}\n  - {name: b, agent: w, depends_on: [a]}\n",
        encoding="utf-8",
    )
    assert main(["dag", "compile", str(spec)]) == EXIT_USAGE
    assert "cycle a -> b -> a" in capsys.readouterr().err

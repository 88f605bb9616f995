"""`orch dag compile` prints what the CDK app deploys for a spec; `orch dag graph` draws its tasks and dependencies
(`--compiled`: the state machine); a bad spec is a usage error naming the task and the field."""

from __future__ import annotations

import json
import re
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


N_SHAPED = """
name: report-build
start: {source: shop.customers, detail_type: CustomerSignedUp}
tasks:
  - {name: a, agent: builder}
  - {name: b, agent: builder}
  - {name: c, agent: builder, depends_on: [a, b]}
  - {name: d, agent: builder, depends_on: [b], when: "$input.plan = 'business'"}
"""


def test_graph_draws_the_dependencies_as_written_and_compiled_draws_the_state_machine(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # An audit drew a 4-task DAG 3,464 px wide, JSONata as labels, pause and breaker states doubling the nodes.
    spec = tmp_path / "n.dag.yaml"
    spec.write_text(N_SHAPED, encoding="utf-8")

    assert main(["dag", "graph", str(spec)]) == EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    names = dict(re.findall(r'^\s+(t_\d+)\["(\w+)<br/>', "\n".join(lines), re.MULTILINE))
    edges = {
        (names.get(a, a), names.get(b, b))
        for a, b in (re.findall(r"^\s+(\S+) --> (\S+)$", "\n".join(lines), re.MULTILINE))
    }
    assert edges == {
        ("__start__", "a"), ("__start__", "b"), ("a", "c"), ("b", "c"), ("b", "d"), ("c", "__end__"), ("d", "__end__"),
    }  # fmt: skip
    assert "when $input.plan = 'business'" in "\n".join(lines)

    drawn, compiled = tmp_path / "n.svg", tmp_path / "n-compiled.svg"
    assert main(["dag", "graph", str(spec), "--format", "svg", "--out", str(drawn)]) == EXIT_OK
    assert main(["dag", "graph", str(spec), "--compiled", "--format", "svg", "--out", str(compiled)]) == EXIT_OK
    pictures = {path: path.read_text(encoding="utf-8") for path in (drawn, compiled)}
    width = {path: float(text.split('width="', 1)[1].split('"', 1)[0]) for path, text in pictures.items()}
    assert width[drawn] < 800 < width[compiled], width
    assert "PauseCheck" not in pictures[drawn] and "PauseCheck" in pictures[compiled]


def test_an_invalid_spec_is_a_usage_error_naming_the_task(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    spec = tmp_path / "bad.dag.yaml"
    spec.write_text(
        "name: bad\nstart: {source: s, detail_type: D}\ntasks:\n"
        "  - {name: a, agent: w, depends_on: [b]}\n  - {name: b, agent: w, depends_on: [a]}\n",
        encoding="utf-8",
    )
    assert main(["dag", "compile", str(spec)]) == EXIT_USAGE
    assert "cycle a -> b -> a" in capsys.readouterr().err

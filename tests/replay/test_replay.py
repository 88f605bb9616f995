"""Deterministic replay: the committed recordings of the shipped workflows (tests/fixtures/recordings, made from the
event store of a local run by `orchestrator.replay.recording.record`, as `orch replay-test --from-store ID --save
FILE` does) re-run on the current assembly and match; a definition changed here is reported at its first divergent
state. Each replay starts its own local runtime, so nothing else may run one in this process meanwhile (no cloud
fixture here)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator.cli import main
from orchestrator.replay.recording import Recording
from orchestrator.replay.runner import replay

RECORDINGS = Path(__file__).resolve().parents[1] / "fixtures" / "recordings"


@pytest.fixture(autouse=True)
def credentials(aws_credentials: None) -> None:
    """boto3 under moto never looks for real credentials."""


def test_the_agent_pipeline_recording_replays_clean(assembly_dir: Path) -> None:
    recording = Recording.load(RECORDINGS / "agent_pipeline_approved.json")
    replayed, report = replay(recording, assembly_dir)
    assert report.clean, report
    # Not vacuous: the replay ran the same path and the agents said the same things again.
    assert [e.path for e in replayed.executions] == [e.path for e in recording.executions]
    assert "AwaitApproval: succeeded" in replayed.executions[0].path
    assert len(replayed.emitted) == len(recording.emitted) == 6


def test_the_onboarding_dag_recording_replays_clean(assembly_dir: Path) -> None:
    recording = Recording.load(RECORDINGS / "customer_onboarding_business.json")
    replayed, report = replay(recording, assembly_dir)
    assert report.clean, report
    # Not vacuous: every task ran again, its branches listed alike, and the signals between branches were sent.
    (execution,) = replayed.executions
    assert execution.path == recording.executions[0].path
    assert set(execution.path) >= {
        "credit_limit: succeeded",
        "send_welcome: succeeded",
        "open_account: wait for screen_sanctions: succeeded",
    }
    assert [e["detail_type"] for e in replayed.emitted].count("DagTaskFinished") == 3


def test_orch_replay_test_replays_the_order_saga_recording_clean(
    assembly_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recording = RECORDINGS / "order_saga_no_carrier.json"
    code = main(["replay-test", str(recording), "--assembly", str(assembly_dir)])
    out = capsys.readouterr().out.rstrip("\n")
    assert code == 0, out
    assert "order-saga: recorded SUCCEEDED, replayed SUCCEEDED" in out
    assert "3     =  ArrangeShipping: caught NoCarrierAvailable  ArrangeShipping: caught NoCarrierAvailable" in out
    assert out.endswith("order-rec-1: replay matches the recording")


def test_orch_replay_test_output_json_is_json_alone_on_stdout(assembly_dir: Path) -> None:
    # A process of its own, as a user runs it: Powertools binds each service's logger to the stdout of the moment
    # it is first made, so only a fresh process shows where the handlers' logs go.
    recording = RECORDINGS / "order_saga_no_carrier.json"
    command = ["replay-test", str(recording), "--assembly", str(assembly_dir), "--output", "json"]
    ran = subprocess.run(  # noqa: S603 - the project's own CLI, arguments built here
        [sys.executable, "-m", "orchestrator.cli", *command], capture_output=True, text=True, timeout=300, check=False
    )

    assert ran.returncode == 0, ran.stderr[-2000:]
    report = json.loads(ran.stdout)  # the whole of stdout is one JSON document
    assert [e["replayed_status"] for e in report["executions"]] == ["SUCCEEDED"]
    assert '"service":"payments"' in ran.stderr, "the handlers' logs went to standard error"


def test_a_changed_definition_is_reported_at_its_first_divergent_state(assembly_dir: Path, tmp_path: Path) -> None:
    changed = tmp_path / "cdk.out"
    shutil.copytree(assembly_dir, changed)
    template_file = changed / "Orchestrator-dev-Workflows.template.json"
    template = json.loads(template_file.read_text(encoding="utf-8"))
    resources = template["Resources"].items()
    (saga,) = [r for k, r in resources if k.startswith("OrderSaga") and r["Type"] == "AWS::StepFunctions::StateMachine"]
    definition = json.loads(saga["Properties"]["DefinitionString"])
    assert definition["States"]["ReserveInventory"]["Next"] == "ChargePayment"
    definition["States"]["ReserveInventory"]["Next"] = "ArrangeShipping"  # the new version forgets to charge
    saga["Properties"]["DefinitionString"] = json.dumps(definition)
    template_file.write_text(json.dumps(template), encoding="utf-8")

    _, report = replay(Recording.load(RECORDINGS / "order_saga_no_carrier.json"), changed)

    assert not report.clean
    (saga_run,) = report.executions
    first = saga_run.first_divergence
    assert first is not None
    assert (first.index, first.recorded) == (2, "ChargePayment: succeeded")
    assert first.replayed is not None and first.replayed.startswith("ArrangeShipping")
    assert [s.same for s in saga_run.steps[:2]] == [True] * 2, "Begin and ReserveInventory as recorded"

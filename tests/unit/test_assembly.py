"""An assembly older than the app's files (orchestrator/assembly.py `changed_since_synth`) is never run as if it were
the app: `orch local up` synthesizes it again, `orch replay-test` refuses it. The report it answers: an invalid
OrderPlaced failed its saga at Begin with DynamoDB.SerializationException on a `cdk.out` synthesized before the
workflows' admission, whose Begin was a putItem of the event's fields (tests/workflows/test_admission.py)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from orchestrator.assembly import PROJECT_ROOT, changed_since_synth
from orchestrator.cli import EXIT_USAGE, main
from orchestrator.cli import local as local_cli
from orchestrator.local.cloud import LocalCloud, PortInUseError

RECORDING = PROJECT_ROOT / "tests" / "fixtures" / "recordings" / "order_saga_no_carrier.json"
DAY = 24 * 3600


def assembly(folder: Path, synthesized: float) -> Path:
    """An assembly folder whose manifest was written at `synthesized` (seconds since the epoch)."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest = folder / "manifest.json"
    manifest.write_text(json.dumps({"version": "36.0.0", "artifacts": {}}), encoding="utf-8")
    os.utime(manifest, (synthesized, synthesized))
    return folder


def project(root: Path) -> Path:
    """A project of a few files, each written a day ago; a compiled module written now."""
    for name in ("app.py", "infra/stacks/workflows.py", "state_machines/order_saga.asl.json", "docs/index.md"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x", encoding="utf-8")
        os.utime(root / name, (time.time() - DAY, time.time() - DAY))
    (root / "infra" / "__pycache__").mkdir()
    (root / "infra" / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"")
    return root


def test_the_files_a_synth_reads_changed_since_the_manifest_are_named_newest_first(tmp_path: Path) -> None:
    root = project(tmp_path / "project")
    later = time.time() - DAY / 2
    os.utime(root / "state_machines" / "order_saga.asl.json", (later + 60, later + 60))
    os.utime(root / "app.py", (later + 30, later + 30))

    changed = changed_since_synth(assembly(tmp_path / "old", later), root)

    # docs are not synthesized; compiled modules are written whenever one is imported.
    assert changed == [root / "state_machines" / "order_saga.asl.json", root / "app.py"]
    assert changed_since_synth(assembly(tmp_path / "new", time.time()), root) == []
    assert changed_since_synth(tmp_path / "missing", root) == [], "a missing assembly is another question"


def test_orch_local_up_synthesizes_an_assembly_older_than_the_app_again_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    synthesized: list[tuple[str, Path]] = []
    monkeypatch.setattr(local_cli, "synthesize", lambda stage, folder: synthesized.append((stage, folder)))

    def taken_port(*_: object, **__: object) -> LocalCloud:
        raise PortInUseError("stop here")

    monkeypatch.setattr(LocalCloud, "from_assembly", taken_port)
    stale, fresh = assembly(tmp_path / "stale", 0), assembly(tmp_path / "fresh", time.time() + DAY)

    local_cli.up(fresh, 0, "dev")
    assert synthesized == [], "an assembly newer than every file of the app is served as it is"
    local_cli.up(stale, 0, "dev")

    assert synthesized == [("dev", stale)]
    newest = changed_since_synth(stale)[0].relative_to(PROJECT_ROOT)
    assert (
        f"synthesizing stage dev into {stale} ({newest} changed since it was synthesized) ..."
        in capsys.readouterr().out
    )


def test_orch_replay_test_refuses_an_assembly_older_than_the_app(
    tmp_path: Path, aws_credentials: None, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = assembly(tmp_path / "stale", 0)

    code = main(["replay-test", str(RECORDING), "--assembly", str(stale)])

    err = capsys.readouterr().err
    assert code == EXIT_USAGE, err
    newest = changed_since_synth(stale)[0].relative_to(PROJECT_ROOT)
    assert f"{stale} is older than the app: {newest} changed since it was synthesized" in err
    assert "make synth" in err

"""`make demo`: every sample runs live on the local runtime; the demo prints each execution's timeline, the events
on the bus and a summary, and its exit status says whether every sample did what it expects."""

from __future__ import annotations

import copy
import datetime
import json
import re
from pathlib import Path
from typing import Any

import pytest

from orchestrator.demo import DEFAULT_SAMPLES, main, timeline

SAMPLES: list[dict[str, Any]] = json.loads(DEFAULT_SAMPLES.read_text(encoding="utf-8"))["samples"]


def run_demo(assembly_dir: Path, tmp_path: Path, *options: str) -> int:
    return main(["--assembly", str(assembly_dir), "--logs", str(tmp_path / "demo.log"), *options])


def section(output: str, name: str) -> str:
    """The lines the demo printed for one sample."""
    start = output.index(f"\n== {name}: ")
    ends = [i for i in (output.find("\n== ", start + 1), output.find("\nSummary", start)) if i >= 0]
    return output[start : min(ends)]


def summary_row(output: str, name: str) -> str:
    rows = re.findall(rf"^  {re.escape(name)}  .*$", output, re.MULTILINE)
    assert len(rows) == 1, output
    return str(rows[0])


def test_every_sample_does_what_it_expects_and_the_demo_exits_0(
    assembly_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = run_demo(assembly_dir, tmp_path)

    output = capsys.readouterr().out
    assert status == 0, output
    for sample in SAMPLES:
        printed = section(output, sample["name"])
        for state in sample["expect"].get("states") or []:
            assert re.search(rf"^    \+[\d:.]+ +(\[\d\] \w+ · )?{state} ", printed, re.MULTILINE), (state, printed)
        for detail_type in sample["expect"]["events"]:
            assert re.search(rf"^ +\d+  {detail_type} ", printed, re.MULTILINE), (detail_type, printed)
        assert summary_row(output, sample["name"]).endswith("  OK")
    # The stalled specialist's own iteration shows the heartbeat timeout, and that the wait was on the clock.
    stalled = section(output, "specialist-stalls")
    assert re.search(r"\[1\] technical · Dispatch +caught States\.HeartbeatTimeout .* waited .+ on the clock", stalled)
    assert re.search(r"\[0\] billing · Dispatch +succeeded ", stalled)
    malformed = section(output, "malformed")
    assert "no execution started" in malformed
    assert "quarantined by the schema guard: TicketSubmitted: source:" in malformed
    assert f"All {len(SAMPLES)} samples did what they expect." in output
    assert "not supported locally, not created:" in output.split("\nSummary")[1]
    # The handlers' output (Powertools logs, metrics) went to the log file, not among the demo's lines.
    assert '"_aws"' not in output and '"level"' not in output
    assert '"_aws"' in (tmp_path / "demo.log").read_text(encoding="utf-8")


def test_a_sample_whose_outcome_differs_from_its_expectation_makes_the_demo_exit_1_naming_it(
    assembly_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = copy.deepcopy(next(s for s in SAMPLES if s["name"] == "answered"))
    wrong["name"] = "expects-partial"
    wrong["expect"]["output"]["resolution"] = "partial"  # both specialists answer: the reply is complete
    samples = tmp_path / "samples.json"
    samples.write_text(json.dumps({"samples": [wrong]}), encoding="utf-8")

    status = run_demo(assembly_dir, tmp_path, "--samples", str(samples))

    output = capsys.readouterr().out
    assert status == 1
    assert summary_row(output, "expects-partial").endswith("  MISMATCH")
    assert "MISMATCH expects-partial: output.resolution: expected 'partial', got 'answered'" in output
    assert "1 of 1 rows did not match: expects-partial" in output


def test_a_sample_that_breaks_its_event_contract_stops_the_demo_before_it_starts(
    assembly_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = copy.deepcopy(SAMPLES[0])
    del broken["event"]["data"]["customer_id"]
    samples = tmp_path / "samples.json"
    samples.write_text(json.dumps({"samples": [broken]}), encoding="utf-8")

    status = run_demo(assembly_dir, tmp_path, "--samples", str(samples))

    assert status == 2
    assert "customer_id" in capsys.readouterr().err


def test_a_folder_that_is_not_an_assembly_stops_the_demo_with_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = run_demo(tmp_path, tmp_path)

    assert status == 2
    assert "run `make synth`" in capsys.readouterr().err


# -- the timeline of Map iterations running side by side ----------------------------------------------------------

T0 = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=datetime.UTC)


def event(event_id: int, previous: int, kind: str, seconds: float, **details: Any) -> dict[str, Any]:
    return {
        "id": event_id,
        "previousEventId": previous,
        "type": kind,
        "timestamp": T0 + datetime.timedelta(seconds=seconds),
        **details,
    }


def entered(name: str, item: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"stateEnteredEventDetails": {"name": name, "input": json.dumps(item or {})}}


def exited(name: str) -> dict[str, Any]:
    return {"stateExitedEventDetails": {"name": name, "output": "{}"}}


def iteration(index: int) -> dict[str, Any]:
    return {"mapIterationStartedEventDetails": {"name": "Specialists", "index": index}}


def test_each_map_iteration_is_paired_on_its_own_when_iterations_overlap() -> None:
    # Two iterations of the same Dispatch state overlap: billing's ends after 1 s, technical's times out at 60 s.
    history = [
        event(1, 0, "ExecutionStarted", 0),
        event(2, 1, "MapStateEntered", 0, **entered("Specialists")),
        event(3, 2, "MapStateStarted", 0),
        event(4, 3, "MapIterationStarted", 0, **iteration(0)),
        event(5, 4, "TaskStateEntered", 0, **entered("Dispatch", {"agent": "billing"})),
        event(6, 3, "MapIterationStarted", 0, **iteration(1)),
        event(7, 6, "TaskStateEntered", 0.5, **entered("Dispatch", {"agent": "technical"})),
        event(8, 5, "TaskSucceeded", 1),
        event(9, 8, "TaskStateExited", 1, **exited("Dispatch")),
        event(10, 9, "MapIterationSucceeded", 1),
        event(11, 7, "TaskTimedOut", 60, taskTimedOutEventDetails={"error": "States.HeartbeatTimeout"}),
        event(12, 11, "TaskStateExited", 60, **exited("Dispatch")),
        event(13, 12, "PassStateEntered", 60, **entered("AgentTimedOut")),
        event(14, 13, "PassStateExited", 60, **exited("AgentTimedOut")),
        event(15, 14, "MapIterationSucceeded", 60),
        event(16, 15, "MapStateSucceeded", 60),
        event(17, 15, "MapStateExited", 60, **exited("Specialists")),
        event(18, 17, "TaskStateEntered", 60, **entered("Synthesis")),
        event(19, 18, "TaskStateExited", 61, **exited("Synthesis")),
        event(20, 19, "ExecutionSucceeded", 61),
    ]

    steps = timeline(history, "SUCCEEDED")

    assert [
        (s.iteration, s.visit.name, s.visit.outcome, (s.visit.exited - s.visit.entered).total_seconds())
        for s in steps
        if s.visit.exited is not None
    ] == [
        ("", "Specialists", "succeeded", 60),
        ("[0] billing", "Dispatch", "succeeded", 1),
        ("[1] technical", "Dispatch", "caught States.HeartbeatTimeout", 59.5),
        ("[1] technical", "AgentTimedOut", "succeeded", 0),
        ("", "Synthesis", "succeeded", 1),
    ]
    assert [s.depth for s in steps] == [0, 1, 1, 1, 0]

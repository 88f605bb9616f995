"""Smoke test of `make bench`: with tiny counts, every figure is produced, counts every workflow, and is consistent.
Never a threshold on time: how fast a machine is says nothing about the code."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest

from bench.common import Spread
from bench.local_runtime import main
from bench.startup import measure_startup
from bench.throughput import bare_moto_rounds, local_rounds, write_throughput_assembly

pytestmark = pytest.mark.usefixtures("aws_credentials")


@pytest.fixture
def quiet_publisher(monkeypatch: pytest.MonkeyPatch) -> None:
    """What `main` would set for itself, set here so that the test restores it afterwards."""
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "WARNING")


def _consistent(spread: Spread) -> bool:
    return 0 < spread.minimum <= spread.median <= spread.maximum


def test_every_round_counts_each_workflow_once_on_both_sides(tmp_path: Path) -> None:
    assembly = write_throughput_assembly(tmp_path / "throughput.out")

    local = local_rounds(assembly, events=3, rounds=2)
    bare = bare_moto_rounds(events=3, rounds=2)

    for rounds in (local, bare):
        assert [r.workflows for r in rounds] == [3, 3]
        assert [len(r.execution_seconds) for r in rounds] == [3, 3]
        assert all(r.seconds > 0 and r.per_second > 0 for r in rounds)
        assert all(s > 0 for r in rounds for s in r.execution_seconds)


def test_startup_is_measured_against_bare_moto_on_the_same_assembly(tmp_path: Path) -> None:
    assembly = write_throughput_assembly(tmp_path / "throughput.out")

    startup = measure_startup(assembly, runs=2)

    assert startup.runs == 2
    assert startup.resources == 6  # bus, function, the workflow's and the rule's roles, state machine, rule
    assert all(_consistent(s) for s in (startup.local_cloud, startup.bare_moto, startup.empty_moto))
    assert startup.first_local_cloud > 0
    assert startup.ratio == pytest.approx(startup.local_cloud.median / startup.bare_moto.median)


@pytest.mark.usefixtures("quiet_publisher")
def test_the_command_prints_every_figure_as_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assembly = write_throughput_assembly(tmp_path / "cdk.out")

    assert main(["--assembly", str(assembly), "--startups", "1", "--events", "2", "--rounds", "1", "--json"]) == 0

    report = json.loads(capsys.readouterr().out)
    assert report["startup"]["runs"] == 1
    assert report["throughput"]["events"] == 2 and report["throughput"]["rounds"] == 1
    for side in ("local", "bare_moto"):
        assert _consistent(Spread(**report["throughput"][side]))
    assert report["throughput"]["ratio"] > 0
    assert report["environment"]["moto"]


@pytest.mark.usefixtures("quiet_publisher")
def test_the_command_prints_a_table_with_both_sides_and_the_ratio(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--startups", "0", "--events", "2", "--rounds", "1"]) == 0

    out = capsys.readouterr().out
    assert "Start-up" not in out  # --startups 0 skips it, and the synthesis with it
    rows = [line for line in out.splitlines() if line.rstrip().endswith(" ms")]
    assert [row.split(":")[0].strip() for row in rows] == ["local runtime", "bare moto"]
    assert "local / bare moto: " in out


def test_the_real_app_bench_counts_every_saga_and_reports_each_size(
    assembly_dir: Path, quiet_publisher: None, capsys: pytest.CaptureFixture[str]
) -> None:
    from bench.real_app import main as real_app_main

    arguments = ["--sizes", "2", "3", "--rounds", "2", "--quiet-samples", "2", "--iam-size", "2", "--iam-rounds", "1"]
    arguments.append("--json")
    assert real_app_main(["--assembly", str(assembly_dir), *arguments]) == 0

    figures = json.loads(capsys.readouterr().out)
    assert [size["sagas"] for size in figures["sizes"]] == [2, 3]
    assert all(size["seconds"] > 0 and size["quiet_after_seconds"] >= 0 for size in figures["sizes"])
    assert figures["growth"][1] == 1.5
    assert len(figures["growths"]) == 2 and figures["growth"][0] == statistics.median(figures["growths"])
    assert figures["transitions"] >= 3 + 4, "the three steps, and the claim, the event, the metric, the end"
    iam = figures["iam"]
    assert iam["sagas"] == 2 and min(iam["start_on"], iam["start_off"], iam["per_second_on"], iam["per_second_off"]) > 0

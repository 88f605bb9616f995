"""`orch local conformance` (orchestrator/local/conformance): every documented case passes on the local runtime or is
a known difference that says why; the runner can fail (a wrong expectation, a stale known-difference mark); and
DescribeExecution answers a string output as JSON text (the difference the conformance cases found)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import pytest

from orchestrator.cli import EXIT_OK, main
from orchestrator.local.cloud import LocalCloud
from orchestrator.local.conformance.asl_cases import CASES
from orchestrator.local.conformance.pattern_vectors import INVALID, VECTORS
from orchestrator.local.conformance.runner import empty_local_cloud, run, run_to_end
from orchestrator.local.stepfunctions.json_paths import is_definite


@pytest.fixture
def cloud() -> Iterator[LocalCloud]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        with empty_local_cloud() as local:
            yield local


def test_every_case_passes_or_is_a_known_difference_with_its_reason(cloud: LocalCloud) -> None:
    report = run(cloud)

    assert report.failed == 0, "\n".join(report.lines())
    counted = sum(c.total for c in report.categories.values())
    assert counted == len(VECTORS) + len(INVALID) + len(CASES)
    known = [k for c in report.categories.values() for k in c.known]
    assert len(known) == sum(1 for case in CASES if case.known_difference)
    assert all(case.cite.startswith("https://") for case in CASES)
    assert {c.split(": ")[1] for c in report.categories if c.startswith("asl: ")} >= {"choice", "errors"}


def test_a_wrong_expectation_and_a_stale_known_difference_are_failures(cloud: LocalCloud) -> None:
    passing = next(case for case in CASES if not case.known_difference and case.status == "SUCCEEDED")
    wrong = dataclasses.replace(passing, name="wrong", output={"not": "this"})
    stale = dataclasses.replace(passing, name="stale", known_difference="said to differ")
    failing = dataclasses.replace(passing, name="failing", status="FAILED", error="X")

    report = run(cloud, vectors=[], invalid=[], cases=[wrong, stale, failing])

    (category,) = report.categories.values()
    assert (category.passed, report.failed) == (0, 3)
    assert category.failures[0].startswith("wrong: output ")
    assert category.failures[1].startswith("stale: passes, but is marked as a known difference")
    assert category.failures[2].startswith("failing: SUCCEEDED")


def _pass(state: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": "S", "States": {"S": {"Type": "Pass", "End": True, **state}}}


def test_a_string_output_is_described_as_json_text(cloud: LocalCloud) -> None:
    # "output: The JSON output data of the execution" (DescribeExecution, Step Functions API Reference).
    ((said,), (nothing,)) = (run_to_end(cloud, _pass({"Result": r}), {}) for r in ("yes", None))

    assert (said["output"], nothing["output"]) == ('"yes"', "null")


def test_the_command_prints_the_counts_per_category_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["local", "conformance", "--output", "json"]) == EXIT_OK

    printed = json.loads(capsys.readouterr().out)
    assert printed["asl: choice"]["failures"] == []
    assert sum(c["cases"] for c in printed.values()) == len(VECTORS) + len(INVALID) + len(CASES)


def test_states_math_random_never_draws_its_end(cloud: LocalCloud) -> None:
    # "a random number between the specified start number (inclusive) and end number (exclusive)" (intrinsic-functions
    # page): with start 5 and end 6 every draw is 5 (moto's randint drew 6 half the time).
    ended = run_to_end(cloud, _pass({"Parameters": {"r.$": "States.MathRandom(5, 6)"}}), {}, runs=12)

    assert [json.loads(e["output"])["r"] for e in ended] == [5] * 12


@pytest.mark.parametrize(
    ("path", "definite"),
    [
        ("$", True),
        ("$.a.b", True),
        ("$[0].n", True),
        ("$.items[2]", True),
        ("$['a b'].c", True),
        ("$.items[*].n", False),
        ("$..n", False),
        ("$.items[?(@.n > 1)]", False),
        ("$.items[0:2]", False),
        ("$.items[0,1]", False),
    ],
)
def test_a_path_is_definite_unless_it_filters_scans_slices_unites_or_wildcards(path: str, definite: bool) -> None:
    assert is_definite(path) is definite


def test_a_definite_path_through_an_index_gives_the_value_and_a_filter_a_list(cloud: LocalCloud) -> None:
    parameters = {
        "first.$": "$.items[0].n",
        "big.$": "$.items[?(@.n > 1)].n",
        "one.$": "$.items[?(@.n == 1)].n",
        "none.$": "$.items[?(@.n > 5)].n",  # indefinite, nothing matched: an empty list, not an error
    }
    (ended,) = run_to_end(cloud, _pass({"Parameters": parameters}), {"items": [{"n": 1}, {"n": 2}]})

    assert json.loads(ended["output"]) == {"first": 1, "big": [2], "one": [1], "none": []}

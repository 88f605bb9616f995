"""A DAG spec is refused with an error naming the task and the field: bad fields, duplicate and unknown tasks,
cycles (named), results read from a task that is not a dependency, and unreachable tasks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from asl.dag import DagSpecError, load, parse
from asl.dag.spec import constant_false

SHIPPED = sorted((Path(__file__).resolve().parents[2] / "state_machines").glob("*.dag.yaml"))


def document(*tasks: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "spec",
        "start": {"source": "tests.dag", "detail_type": "Started"},
        "tasks": [{"agent": "worker", **task} for task in tasks],
    }


def refusal(*tasks: dict[str, Any]) -> str:
    with pytest.raises(DagSpecError) as refused:
        parse(document(*tasks))
    return str(refused.value)


def test_the_shipped_specs_are_valid() -> None:
    assert SHIPPED, "at least one DAG ships"
    for path in SHIPPED:
        assert load(path).tasks


def test_a_cycle_is_named_along_its_tasks() -> None:
    message = refusal(
        {"name": "start"},
        {"name": "a", "depends_on": ["start", "c"]},
        {"name": "b", "depends_on": ["a"]},
        {"name": "c", "depends_on": ["b"]},
    )
    assert "cycle a -> b -> c -> a" in message


def test_a_task_depending_on_itself_is_refused() -> None:
    assert "tasks[0] (a).depends_on: a task cannot depend on itself" in refusal({"name": "a", "depends_on": ["a"]})


def test_an_unknown_dependency_names_the_task_and_the_field() -> None:
    message = refusal({"name": "charge"}, {"name": "ship", "depends_on": ["chrage"]})
    assert "tasks[1] (ship).depends_on: unknown task 'chrage'" in message


def test_a_duplicate_task_is_refused() -> None:
    assert "duplicate task 'a'" in refusal({"name": "a"}, {"name": "b"}, {"name": "a"})


def test_a_field_error_names_the_task() -> None:
    message = refusal({"name": "a"}, {"name": "b", "timeout_seconds": 0})
    assert "tasks[1] (b).timeout_seconds: Input should be greater than or equal to 1" in message
    assert "tasks[0] (Bad).name" in refusal({"name": "Bad"})
    assert "tasks[0] (a).retries: Extra inputs are not permitted" in refusal({"name": "a", "retries": 3})


def test_reading_the_result_of_a_task_that_is_not_a_dependency_is_refused() -> None:
    message = refusal(
        {"name": "a"}, {"name": "b"}, {"name": "c", "depends_on": ["b"], "input": {"x": "{% $results.a %}"}}
    )
    assert "tasks[2] (c).input: reads $results.a, but 'a' is not among its dependencies" in message


def test_an_expression_that_is_not_jsonata_is_refused_naming_its_field() -> None:
    message = refusal(
        {"name": "a", "input": {"customer": {"id": "{% $input.id + %}"}}},
        {"name": "b", "when": "$input.plan = ", "depends_on": ["a"]},
        {"name": "c", "input": {"ok": "{% $input.id %}"}, "compensation": {"agent": "undo", "input": {"x": "{% ( %}"}}},
    )
    assert "tasks[0] (a).input: not JSONata: `$input.id +`: Unexpected end of expression" in message
    assert "tasks[1] (b).when: not JSONata: `$input.plan =`" in message
    assert "tasks[2] (c).compensation.input: not JSONata: `(`" in message
    assert "tasks[2] (c).input" not in message


def test_results_of_indirect_dependencies_may_be_read() -> None:
    spec = parse(
        document(
            {"name": "a"},
            {"name": "b", "depends_on": ["a"]},
            {"name": "c", "depends_on": ["b"], "when": "$results.a.ok"},
        )
    )
    assert spec.task("c").when == "$results.a.ok"


def test_a_condition_that_can_never_hold_makes_its_task_and_dependents_unreachable() -> None:
    message = refusal(
        {"name": "a"},
        {"name": "b", "depends_on": ["a"], "when": "{% 1 = 2 %}"},
        {"name": "c", "depends_on": ["b"]},
        {"name": "d", "depends_on": ["a"]},
    )
    assert "tasks[1] (b).when: unreachable: `1 = 2` can never hold" in message
    assert "tasks[2] (c).depends_on: unreachable: it depends on 'b', whose condition can never hold (b -> c)" in message
    assert "(d)" not in message


@pytest.mark.parametrize(
    ("expression", "never"),
    [("false", True), ("1 = 2", True), ("true", False), ("$input.vip", False), ("$input.x = 1 and false", False)],
)
def test_only_a_constant_false_condition_is_unreachable(expression: str, never: bool) -> None:
    # A condition reading the input may hold for some input: it is not refused.
    assert constant_false(expression) is never


def test_a_spec_that_is_not_yaml_is_refused_with_its_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.dag.yaml"
    path.write_text("name: [unclosed", encoding="utf-8")
    with pytest.raises(DagSpecError, match="broken.dag.yaml"):
        load(path)

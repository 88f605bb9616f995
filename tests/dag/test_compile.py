"""The compiler: series-parallel graphs nest (chain, diamond, fan-out), the rest joins by completion signals (the
"N"), compensations run in reverse dependency order; every compiled definition is well formed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from asl.dag import compile_spec, parse
from asl.dag.graph import Graph, Join, Leaf, Parallel, Series
from tests.dag.test_spec import SHIPPED, document

CHAIN = {"a": (), "b": ("a",), "c": ("b",)}
DIAMOND = {"a": (), "b": ("a",), "c": ("a",), "d": ("b", "c")}
FAN_OUT = {"root": (), **{f"leaf{i}": ("root",) for i in range(12)}, "sink": tuple(f"leaf{i}" for i in range(12))}
N_SHAPE = {"a": (), "b": (), "c": ("a", "b"), "d": ("b",)}


def spec_of(graph: dict[str, tuple[str, ...]], **per_task: dict[str, Any]) -> Any:
    return parse(
        document(*({"name": name, "depends_on": list(deps), **per_task.get(name, {})} for name, deps in graph.items()))
    )


def states_of(definition: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """Every (name, state, the branch holding it), at any depth."""
    for name, state in definition["States"].items():
        yield name, state, definition
        for branch in state.get("Branches", []):
            yield from states_of(branch)


def test_a_chain_is_a_sequence() -> None:
    assert Graph(CHAIN).decompose() == Series((Leaf("a"), Leaf("b"), Leaf("c")))
    states = compile_spec(spec_of(CHAIN)).definition["States"]
    assert (states["Begin"]["Next"], states["a"]["Next"], states["b"]["Next"], states["c"]["Next"]) == (
        "a",
        "b",
        "c",
        "Done",
    )


def test_a_diamond_is_a_fork_between_two_tasks() -> None:
    assert Graph(DIAMOND).decompose() == Series((Leaf("a"), Parallel((Leaf("b"), Leaf("c"))), Leaf("d")))
    states = compile_spec(spec_of(DIAMOND)).definition["States"]
    assert states["a"]["Next"] == "Fork1" and states["Fork1"]["Next"] == "d"
    assert [branch["StartAt"] for branch in states["Fork1"]["Branches"]] == ["b", "c"]


def test_a_wide_fan_out_is_one_fork_of_every_leaf() -> None:
    states = compile_spec(spec_of(FAN_OUT)).definition["States"]
    assert [branch["StartAt"] for branch in states["Fork1"]["Branches"]] == [f"leaf{i}" for i in range(12)]
    assert states["Fork1"]["Next"] == "sink"


def test_the_n_is_not_series_parallel_and_joins_by_signals_per_edge() -> None:
    assert Graph(N_SHAPE).decompose() == Join(("a", "b", "c", "d"))
    states = {name: state for name, state, _ in states_of(compile_spec(spec_of(N_SHAPE)).definition)}
    # d waits for b only: a's signal goes to c alone.
    assert [e["Detail"]["data"]["dependent"] for e in states["a: signal"]["Arguments"]["Entries"]] == ["c"]
    assert [e["Detail"]["data"]["dependent"] for e in states["b: signal"]["Arguments"]["Entries"]] == ["c", "d"]
    assert states["c: wait for a"]["Next"] == "c: wait for b" and states["c: wait for b"]["Next"] == "c"
    assert states["d: wait for b"]["Next"] == "d"
    assert "d: wait for a" not in states
    # the wait is a correlator registration (task token), keyed by the edge
    assert states["d: wait for b"]["Resource"] == "arn:aws:states:::lambda:invoke.waitForTaskToken"
    assert "#b->d" in states["d: wait for b"]["Arguments"]["Payload"]["correlation_key"]


def test_an_n_inside_a_larger_graph_is_only_the_part_that_needs_it() -> None:
    graph = {"s": (), "a": ("s",), "b": ("s",), "c": ("a", "b"), "d": ("b",), "e": ("c", "d")}
    assert Graph(graph).decompose() == Series((Leaf("s"), Join(("a", "b", "c", "d")), Leaf("e")))


def test_a_chain_inside_a_join_runs_in_one_branch_without_signals() -> None:
    graph = {**N_SHAPE, "e": ("d",), "f": ("e",)}
    definition = compile_spec(spec_of(graph)).definition
    (join,) = [state for _, state, _ in states_of(definition) if state["Type"] == "Parallel"]
    branch = next(b for b in join["Branches"] if "d" in b["States"])
    assert branch["States"]["d"]["Next"] == "e" and branch["States"]["e"]["Next"] == "f"
    assert "d: signal" not in branch["States"] and "e: wait for d" not in branch["States"]


def test_compensations_run_in_reverse_dependency_order_after_the_body() -> None:
    undo = {"compensation": {"agent": "undoer"}}
    definition = compile_spec(spec_of(DIAMOND, a=undo, b=undo, c=undo, d=undo)).definition
    states = definition["States"]
    assert states["Run"]["Catch"][0]["Next"] == "Undo d?"
    order, current = [], "Undo d?"
    while current != "Failed":
        order.append(current.removeprefix("Undo ").removesuffix("?"))
        current = states[f"Undo {order[-1]}: completed?"]["Default"]
        assert states[f"Undo {order[-1]}"]["Next"] == current
    assert order == ["d", "c", "b", "a"]
    # only a completed task is compensated: its completion is recorded when it succeeds
    body = {name: state for name, state, _ in states_of(states["Run"]["Branches"][0])}
    assert body["b: recorded"]["Resource"] == "arn:aws:states:::dynamodb:putItem"


def test_a_task_behind_a_breaker_is_named_for_wrapping_with_its_fallback() -> None:
    compiled = compile_spec(spec_of(CHAIN, b={"breaker": True}))
    (call,) = compiled.breakers
    assert (call.state, call.agent) == ("b", "worker")
    assert compiled.definition["States"][call.fallback]["Error"] == "BreakerOpen"


@pytest.mark.parametrize(
    "dag",
    [CHAIN, DIAMOND, FAN_OUT, N_SHAPE],
    ids=["chain", "diamond", "fan-out", "N"],
)
def test_every_transition_has_a_target_in_its_branch_and_names_are_unique(dag: dict[str, tuple[str, ...]]) -> None:
    definition = compile_spec(spec_of(dag, c={"when": "$input.go", "compensation": {"agent": "undoer"}})).definition
    names = [name for name, _, _ in states_of(definition)]
    assert len(names) == len(set(names))
    for name, state, branch in states_of(definition):
        assert len(name) <= 80
        targets = [state.get("Next"), state.get("Default"), *(c["Next"] for c in state.get("Catch", []))]
        targets += [rule["Next"] for rule in state.get("Choices", [])]
        for target in filter(None, targets):
            assert target in branch["States"], f"{name} -> {target}"
        assert state.get("End") or state.get("Next") or state["Type"] in ("Choice", "Succeed", "Fail")


def test_the_shipped_dags_compile() -> None:
    for path in SHIPPED:
        from asl.dag import load

        assert compile_spec(load(path)).definition["QueryLanguage"] == "JSONata"

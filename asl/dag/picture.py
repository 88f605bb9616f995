"""A DAG as its author wrote it, for `orch dag graph`: one node per task (its agent, and its condition if it has one,
beneath), one edge per dependency, from Start to the tasks that depend on nothing and from the tasks nothing depends
on to End; drawn by asl/graph like a state machine. The compiled ASL (pause checks, breakers, the signals between
branches) is what `--compiled` draws. `task_outcomes` colours the chart by what each task did in one execution."""

from __future__ import annotations

from collections.abc import Mapping

from asl.dag.spec import DagSpec
from asl.graph.model import END, START, Edge, Frame, Node
from asl.graph.outcomes import FAILED


def dependency_chart(spec: DagSpec) -> Frame:
    ids = {task.name: f"t_{number}" for number, task in enumerate(spec.tasks)}
    depended_on = {dependency for task in spec.tasks for dependency in task.depends_on}
    nodes = [Node(START, "Start", "Start")]
    edges = []
    for task in spec.tasks:
        detail = task.agent + (f" · when {task.when}" if task.when else "")
        nodes.append(Node(ids[task.name], task.name, "Task", detail))
        if not task.depends_on:
            edges.append(Edge(START, ids[task.name]))
        edges += [Edge(ids[dependency], ids[task.name]) for dependency in task.depends_on]
        if task.name not in depended_on:
            edges.append(Edge(ids[task.name], END))
    nodes.append(Node(END, "End", "End"))
    return Frame(spec.name, tuple(nodes), tuple(edges))


def task_outcomes(spec: DagSpec, state_outcomes: Mapping[str, str]) -> dict[str, str]:
    """Each task's outcome in one execution of the compiled DAG, from its states' (`graph.outcomes_of`): a task
    failed when its Fail state (`<task>: failed`, `<task>: breaker open`) was reached, whatever its dispatch shows
    (a Catch took that one: "caught"); otherwise it is what its dispatch state did. A task that was stopped because
    another branch failed is "aborted", never "failed": only the task that failed is marked so."""
    found: dict[str, str] = {}
    for task in spec.tasks:
        if any(f"{task.name}: {end}" in state_outcomes for end in ("failed", "breaker open")):
            found[task.name] = FAILED
        elif task.name in state_outcomes:
            found[task.name] = state_outcomes[task.name]
    return found

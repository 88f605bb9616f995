"""A compiled DAG as the CDK app deploys it: a pause check before each task, and its agents' calls each wrapped in a
circuit breaker (`agent:<agent>`); what `orch dag compile` prints and the tests run."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

from asl.breaker_steps import CircuitBreakerStep
from asl.dag.compile import CompiledDag, compile_spec
from asl.dag.spec import DagSpec
from asl.pause_points import PausePoints
from schemas.stages import WorkflowBreaker
from schemas.tables import AGENT_BREAKER_PREFIX


def breakers(compiled: CompiledDag, settings: WorkflowBreaker) -> list[CircuitBreakerStep]:
    return [
        CircuitBreakerStep(
            call=call.state,
            fallback=call.fallback,
            breaker_id=f"'{AGENT_BREAKER_PREFIX}{call.agent}'",
            correlation_id="$metadata.correlation_id",
            settings=settings,
        )
        for call in compiled.breakers
    ]


SPECS_DIRECTORY: Final = Path(__file__).resolve().parents[2] / "state_machines"


def spec_files(directory: Path = SPECS_DIRECTORY) -> list[Path]:
    """Every DAG spec of the app, in name order."""
    return sorted(directory.glob("*.dag.yaml"))


def breaker_ids(spec: DagSpec) -> list[str]:
    """The breakers the deployed DAG guards its agents with (`agent:<agent>` of each task with `breaker: true`)."""
    return sorted({f"{AGENT_BREAKER_PREFIX}{task.agent}" for task in spec.tasks if task.breaker})


def defined_breakers(specialists: Iterable[str], specs: Iterable[DagSpec]) -> list[str]:
    """Every breaker the app's workflows define: the agent pipeline's one per specialist (`agent:<specialist>`) and
    each DAG's. What the Control stack hands its function, and what `orch` computes from the same files."""
    ids = {f"{AGENT_BREAKER_PREFIX}{agent}" for agent in specialists}
    for spec in specs:
        ids.update(breaker_ids(spec))
    return sorted(ids)


def pause_points(spec: DagSpec) -> PausePoints:
    """An operator's pause holds each task not yet dispatched (never a compensation: a paused DAG that fails still
    undoes what it did); the tasks running go on, and so do the signals between branches."""
    return PausePoints(tuple(task.name for task in spec.tasks))


def deployed_definition(spec: DagSpec, settings: WorkflowBreaker) -> dict[str, Any]:
    """The definition as deployed: compiled, a pause check before each task, its breaker calls wrapped (what
    `orch dag compile` prints)."""
    compiled = compile_spec(spec)
    definition = pause_points(spec).wrap(compiled.definition)
    for step in breakers(compiled, settings):
        definition = step.wrap(definition)
    return definition


def dispatched_agents(spec: DagSpec) -> list[tuple[str, str]]:
    """Each agent `spec` dispatches to, as (`tasks[i] (name).agent` or `.compensation.agent`, agent): what some
    agent consumer must serve, else its tasks wait until they time out."""
    found = []
    for index, task in enumerate(spec.tasks):
        found.append((f"tasks[{index}] ({task.name}).agent", task.agent))
        if task.compensation:
            found.append((f"tasks[{index}] ({task.name}).compensation.agent", task.compensation.agent))
    return found

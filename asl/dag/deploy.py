"""A compiled DAG as the CDK app deploys it: a pause check before each task, and its agents' calls each wrapped in a
circuit breaker (`agent:<agent>`); what `orch dag compile` prints and the tests run."""

from __future__ import annotations

from typing import Any

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

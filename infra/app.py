"""Builds the CDK app of one stage: the stacks, split by lifecycle, with cdk-nag on."""

from __future__ import annotations

from aws_cdk import App, Stack, Tags, cx_api

from infra.nag import acknowledge_known_findings, add_nag_checks
from infra.stacks.control import ControlStack
from infra.stacks.event_plane import EventPlaneStack
from infra.stacks.ingestion import IngestionStack
from infra.stacks.schema_registry import SchemaRegistryStack
from infra.stacks.state import StateStack
from infra.stacks.workflows import WorkflowsStack
from schemas.stages import DEFAULT_STAGE, StageConfig, load_stage


def build_stacks(app: App, config: StageConfig) -> list[Stack]:
    """Adds the stage's stacks to `app` and returns them in deployment order."""
    state = StateStack(
        app,
        f"{config.prefix}-State",
        config=config,
        description="Orchestrator state: idempotency, circuit breakers, workflow control, event store",
    )
    event_plane = EventPlaneStack(
        app,
        f"{config.prefix}-EventPlane",
        config=config,
        # The event store's appender writes into the State stack's table: State is deployed first.
        event_store_table=state.event_store,
        description="Orchestrator event plane: bus, archive, schema guard, quarantine, event store appender",
    )
    registry = SchemaRegistryStack(
        app,
        f"{config.prefix}-Schemas",
        config=config,
        description="Orchestrator schema registry: one schema per event type and version",
    )
    ingestion = IngestionStack(
        app,
        f"{config.prefix}-Ingestion",
        config=config,
        bus=event_plane.bus,
        description="Orchestrator HTTP ingestion: validated events onto the bus",
    )
    workflows = WorkflowsStack(
        app,
        f"{config.prefix}-Workflows",
        config=config,
        bus=event_plane.bus,
        # A cross-stack reference: CDK exports the table name and makes Workflows depend on State.
        idempotency_table=state.idempotency,
        workflow_control_table=state.workflow_control,
        breakers_table=state.circuit_breakers,
        description="Orchestrator workflows: the order saga, the agent pipeline and the agent consumers",
    )
    control = ControlStack(
        app,
        f"{config.prefix}-Control",
        config=config,
        bus=event_plane.bus,
        # Every workflow of the stage: the control plane finds them by their tags, and may read only these.
        state_machines=workflows.state_machines,
        breakers_table=state.circuit_breakers,
        breaker_ids=workflows.breaker_ids,
        workflow_control_table=state.workflow_control,
        event_store_table=state.event_store,
        description="Orchestrator control plane HTTP API: the orch CLI's operations, IAM-authorized",
    )
    stacks: list[Stack] = [state, event_plane, registry, ingestion, workflows, control]
    for stack in stacks:
        Tags.of(stack).add("project", "event-orchestrator")
        Tags.of(stack).add("stage", config.stage)
        acknowledge_known_findings(stack)
    add_nag_checks(app)
    return stacks


def build_app(stage: str | None = None, outdir: str | None = None) -> tuple[App, list[Stack]]:
    """A new app for `stage` (default: the `stage` context, else dev) with its stacks."""
    app = App(outdir=outdir) if outdir else App()
    config = load_stage(stage or app.node.try_get_context("stage") or DEFAULT_STAGE)
    return app, build_stacks(app, config)


def synthesis_errors(assembly: cx_api.CloudAssembly) -> list[str]:
    """The error annotations of `assembly`'s stacks, one line each: the CDK CLI stops `cdk synth` and `cdk deploy`
    on them; `python app.py` writes the assembly anyway (the local runtime needs no deployable stage), and prints
    them."""
    return [
        f"{stack.stack_name}: {message.id}: {message.entry.data}"
        for stack in assembly.stacks
        for message in stack.messages
        if message.level == cx_api.SynthesisMessageLevel.ERROR
    ]

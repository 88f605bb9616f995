"""Workflows: the state machines started by events (the agent pipeline, the order saga, every DAG spec and every
ASL workflow with a sidecar), the agent consumers that do their dispatched work (one per `functions/*/agent.yaml`),
and the correlator that resumes workflows waiting for external events. What a user adds is found by
infra/extensions.py, checked there (an error annotation naming the file and the fix), and wired here.

Agents and the callback are shared by every workflow that dispatches agent tasks: each such workflow grants the
agents heartbeats on its tasks and the callback the answers to them (`_serve`). The agent protocol's events:
AgentTaskRequested (source `orchestrator.workflows`) in, AgentTaskCompleted / AgentTaskFailed (`orchestrator.agents`)
out, then back to the waiting workflow.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from aws_cdk import Annotations, CfnOutput, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from asl.dag.deploy import defined_breakers, dispatched_agents
from infra import extensions
from infra.constructs.agent_consumer import AgentConsumer
from infra.constructs.agent_pipeline import AgentPipeline
from infra.constructs.alerts import alerts_topic
from infra.constructs.asl_workflow import AslWorkflow
from infra.constructs.correlator import Correlator
from infra.constructs.dag import DagWorkflow, spec_files
from infra.constructs.emitting import grant_emit_types
from infra.constructs.lambda_function import grant_idempotency_records
from infra.constructs.order_saga import OrderSaga
from infra.extensions import Agent
from schemas.stages import StageConfig

# What Powertools' DynamoDBPersistenceLayer calls on its table: no query, scan or batch.
IDEMPOTENCY_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")

WORKFLOWS_SOURCE = "orchestrator.workflows"
AGENTS_SOURCE = "orchestrator.agents"
# The agents the agent pipeline dispatches to (functions/agents/reasoning.py `SPECIALISTS`, served as declared in
# functions/agents/agent.yaml; tests tie them).
SPECIALISTS = ("billing", "technical", "account", "general")
# The workflows built by constructs of their own, by name (infra/extensions.py says why they have no sidecar).
BUILT_IN = {"agent-pipeline": "infra/constructs/agent_pipeline.py", "order-saga": "infra/constructs/order_saga.py"}


class WorkflowsStack(Stack):
    @property
    def breaker_ids(self) -> list[str]:
        """Every breaker the stage's workflows guard a downstream with: the agent pipeline's one per specialist, and
        each DAG's on its tasks with `breaker: true`. The control plane forces open or resets these only."""
        return defined_breakers(SPECIALISTS, (dag.spec for dag in self.dags.values()))

    @property
    def state_machines(self) -> list[sfn.StateMachine]:
        """Every workflow's state machine."""
        return [
            self.agent_pipeline.state_machine,
            self.order_saga.state_machine,
            *(dag.state_machine for dag in self.dags.values()),
            *(workflow.state_machine for workflow in self.workflows.values()),
        ]

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        bus: events.IEventBus,
        idempotency_table: dynamodb.ITable,
        workflow_control_table: dynamodb.ITable,
        breakers_table: dynamodb.ITable,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.alerts = alerts_topic(self, config)
        self.declared = extensions.agents()
        self.consumers = self._agents(config=config, bus=bus, idempotency_table=idempotency_table)
        self.agents = self.consumers["agents"]  # the specialists
        self.callbacks = AgentConsumer(
            self,
            "Callbacks",
            config=config,
            bus=bus,
            alerts=self.alerts,
            event_pattern=events.EventPattern(
                source=[AGENTS_SOURCE], detail_type=["AgentTaskCompleted", "AgentTaskFailed"]
            ),
            handler="functions.callback.handler.handler",
            service="callback",
            description="Callback: resumes the workflow task waiting on an agent's outcome",
            environment={"IDEMPOTENCY_TABLE": idempotency_table.table_name},
        )
        grant_idempotency_records(self.callbacks.function, idempotency_table, IDEMPOTENCY_ACTIONS, config)
        self.correlator = Correlator(
            self, "Correlator", config=config, bus=bus, alerts=self.alerts, table=workflow_control_table
        )
        self.agent_pipeline = AgentPipeline(
            self,
            "AgentPipeline",
            config=config,
            bus=bus,
            alerts=self.alerts,
            correlator=self.correlator,
            breakers_table=breakers_table,
            idempotency_table=idempotency_table,
            workflow_control_table=workflow_control_table,
        )
        self._serve(self.agent_pipeline.state_machine, SPECIALISTS)
        self.correlator.serve("AgentPipeline", self.agent_pipeline.state_machine)
        CfnOutput(self, "AgentPipelineArn", value=self.agent_pipeline.state_machine.state_machine_arn)
        self.order_saga = OrderSaga(
            self,
            "OrderSaga",
            config=config,
            bus=bus,
            alerts=self.alerts,
            idempotency_table=idempotency_table,
            idempotency_actions=IDEMPOTENCY_ACTIONS,
            workflow_control_table=workflow_control_table,
            correlator=self.correlator,
        )
        self.correlator.serve("OrderSaga", self.order_saga.state_machine)
        CfnOutput(self, "OrderSagaArn", value=self.order_saga.state_machine.state_machine_arn)
        self._named = dict(BUILT_IN)  # workflow name -> where it is defined: each name once
        self._dags(config, bus, idempotency_table, workflow_control_table, breakers_table)
        self._workflows(config, bus, idempotency_table)
        CfnOutput(self, "OrderSagaEscalationsQueueUrl", value=self.order_saga.escalations.queue.queue_url)
        for consumer in self.consumers.values():
            CfnOutput(self, f"{consumer.node.id}DeadLetterQueueUrl", value=consumer.dead_letters.queue.queue_url)
        CfnOutput(self, "CallbacksDeadLetterQueueUrl", value=self.callbacks.dead_letters.queue.queue_url)
        CfnOutput(self, "CorrelatorDeadLetterQueueUrl", value=self.correlator.deliveries.dead_letters.queue.queue_url)

    def _agents(
        self, *, config: StageConfig, bus: events.IEventBus, idempotency_table: dynamodb.ITable
    ) -> dict[str, AgentConsumer]:
        """A consumer per declared agent package (infra/extensions.py), by package: it does the AgentTaskRequested of
        the agents it serves (an event pattern on `data.agent`), puts the outcome (and the other events it declares)
        on the bus, and keeps Powertools' idempotency records."""
        consumers: dict[str, AgentConsumer] = {}
        for problem in extensions.twice_served(self.declared):
            Annotations.of(self).add_error(problem)
        for agent in self.declared:
            problems = extensions.emission_errors(agent)
            for problem in problems:
                Annotations.of(self).add_error(problem)
            if not problems:
                consumers[agent.package] = self._consumer(agent, config, bus, idempotency_table)
        return consumers

    def _consumer(
        self, agent: Agent, config: StageConfig, bus: events.IEventBus, idempotency_table: dynamodb.ITable
    ) -> AgentConsumer:
        consumer = AgentConsumer(
            self,
            agent.construct_id,
            config=config,
            bus=bus,
            alerts=self.alerts,
            event_pattern=events.EventPattern(
                source=[WORKFLOWS_SOURCE],
                detail_type=["AgentTaskRequested"],
                detail={"data": {"agent": agent.declaration.pattern_values()}},
            ),
            handler=agent.handler,
            service=agent.package,
            description=agent.declaration.description,
            environment={
                "EVENT_BUS_NAME": bus.event_bus_name,
                **agent.environment(config),
                "IDEMPOTENCY_TABLE": idempotency_table.table_name,
            },
        )
        grant_emit_types(bus, consumer.function, extensions.emitted_types(agent))
        for permission in agent.declaration.permissions:
            consumer.function.add_to_role_policy(
                iam.PolicyStatement(
                    actions=permission.actions,
                    resources=[r.format(region=self.region, account=self.account) for r in permission.resources],
                )
            )
        grant_idempotency_records(consumer.function, idempotency_table, IDEMPOTENCY_ACTIONS, config)
        return consumer

    def _dags(
        self,
        config: StageConfig,
        bus: events.IEventBus,
        idempotency_table: dynamodb.ITable,
        workflow_control_table: dynamodb.ITable,
        breakers_table: dynamodb.ITable,
    ) -> None:
        """Every `state_machines/*.dag.yaml`, served by the consumers of its agents."""
        self.dags: dict[str, DagWorkflow] = {}
        for spec_file in spec_files():
            construct_id = extensions.dag_construct_id(spec_file)
            dag = DagWorkflow(
                self,
                construct_id,
                spec_file=spec_file,
                config=config,
                bus=bus,
                alerts=self.alerts,
                register=self.correlator.register,
                idempotency_table=idempotency_table,
                workflow_control_table=workflow_control_table,
                breakers_table=breakers_table,
            )
            dispatched = dispatched_agents(dag.spec)
            problems = [
                *self._named_once(dag.spec.name, spec_file),
                *extensions.start_errors(spec_file, dag.spec.start),
                *extensions.unserved(spec_file, dispatched, self.declared),
            ]
            for problem in problems:
                Annotations.of(dag).add_error(problem)
            self._serve(dag.state_machine, [agent for _, agent in dispatched])
            self.correlator.serve(construct_id, dag.state_machine)
            CfnOutput(self, f"{construct_id}Arn", value=dag.state_machine.state_machine_arn)
            self.dags.setdefault(dag.spec.name, dag)

    def _workflows(self, config: StageConfig, bus: events.IEventBus, idempotency_table: dynamodb.ITable) -> None:
        """Every `state_machines/*.workflow.yaml` with its ASL file, served by the consumers of its agents; one that
        fails a check is not built (its errors stop the synth anyway)."""
        self.workflows: dict[str, AslWorkflow] = {}
        for workflow in extensions.workflows():
            sidecar = workflow.sidecar
            problems = [
                *self._named_once(sidecar.name, workflow.file),
                *extensions.start_errors(workflow.file, sidecar.start),
                *extensions.unserved(
                    workflow.file, [(f"agents[{i}]", a) for i, a in enumerate(sidecar.agents)], self.declared
                ),
                *extensions.admission_errors(workflow),
                *extensions.jsonata_errors(workflow),
            ]
            if not workflow.definition_file.is_file():
                problems.append(
                    f"{extensions.shown(workflow.file)}: no {workflow.definition_file.name} beside it; add the "
                    "definition or remove the sidecar"
                )
            for problem in problems:
                Annotations.of(self).add_error(problem)
            if problems:
                continue
            built = AslWorkflow(
                self,
                workflow.construct_id,
                workflow=workflow,
                config=config,
                bus=bus,
                alerts=self.alerts,
                idempotency_table=idempotency_table,
            )
            if sidecar.agents:
                self._serve(built.state_machine, sidecar.agents)
            CfnOutput(self, f"{workflow.construct_id}Arn", value=built.state_machine.state_machine_arn)
            self.workflows[sidecar.name] = built

    def _named_once(self, name: str, file: Path) -> list[str]:
        """A line if another workflow has `name` already (two workflows sharing a name); records it otherwise."""
        problems = extensions.name_clash(self._named, name, extensions.shown(file))
        self._named.setdefault(name, extensions.shown(file))
        return problems

    def _serve(self, state_machine: sfn.StateMachine, dispatched: Iterable[str]) -> None:
        """Lets the consumers of the `dispatched` agents and the callback answer tasks of `state_machine`, and
        nothing more."""
        for agent in extensions.served_by(self.declared, dispatched):
            consumer = self.consumers.get(agent.package)
            if consumer is not None:
                consumer.function.add_to_role_policy(
                    iam.PolicyStatement(
                        actions=["states:SendTaskHeartbeat"], resources=[state_machine.state_machine_arn]
                    )
                )
        self.callbacks.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["states:SendTaskSuccess", "states:SendTaskFailure"],
                resources=[state_machine.state_machine_arn],
            )
        )

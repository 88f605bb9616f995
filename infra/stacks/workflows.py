"""Workflows: the state machines started by events (the agent pipeline, the order saga), the agent consumers
that do their dispatched work, and the correlator that resumes workflows waiting for external events.

Agents and the callback are shared by every workflow that dispatches agent tasks: each such workflow grants the
agents heartbeats on its tasks and the callback the answers to them (`_serve`). The agent protocol's events:
AgentTaskRequested (source `orchestrator.workflows`) in, AgentTaskCompleted / AgentTaskFailed (`orchestrator.agents`)
out, then back to the waiting workflow.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Annotations, CfnOutput, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from asl.dag.deploy import defined_breakers, unserved_agents
from infra.constructs.agent_consumer import AgentConsumer
from infra.constructs.agent_pipeline import AgentPipeline
from infra.constructs.alerts import alerts_topic
from infra.constructs.correlator import Correlator
from infra.constructs.dag import DagWorkflow, spec_files
from infra.constructs.emitting import grant_emit
from infra.constructs.lambda_function import grant_idempotency_records
from infra.constructs.order_saga import OrderSaga
from schemas.envelope import Emitter
from schemas.stages import StageConfig
from schemas.tables import ONBOARDING_AGENT_PREFIX

# What Powertools' DynamoDBPersistenceLayer calls on its table: no query, scan or batch.
IDEMPOTENCY_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")

WORKFLOWS_SOURCE = "orchestrator.workflows"
AGENTS_SOURCE = "orchestrator.agents"
# The agents the specialists' function serves (functions/agents/reasoning.py `SPECIALISTS`; a test ties them): other
# agents' tasks (the DAGs' onboarding-*) go to their own consumers.
SPECIALISTS = ("billing", "technical", "account", "general")


class WorkflowsStack(Stack):
    @property
    def breaker_ids(self) -> list[str]:
        """Every breaker the stage's workflows guard a downstream with: the agent pipeline's one per specialist, and
        each DAG's on its tasks with `breaker: true`. The control plane forces open or resets these only."""
        return defined_breakers(SPECIALISTS, (dag.spec for dag in self.dags.values()))

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
        self.agents = self._agents(
            "Agents",
            list(SPECIALISTS),
            "functions.agents.handler.handler",
            "agents",
            "Specialist agents: do each AgentTaskRequested and emit its outcome",
            config=config,
            bus=bus,
            idempotency_table=idempotency_table,
            environment={"REASONER": config.agent_pipeline.reasoner},
        )
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
        self._serve(self.agent_pipeline.state_machine)
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
        self._dags(config, bus, idempotency_table, workflow_control_table, breakers_table)
        CfnOutput(self, "OrderSagaEscalationsQueueUrl", value=self.order_saga.escalations.queue.queue_url)
        CfnOutput(self, "AgentsDeadLetterQueueUrl", value=self.agents.dead_letters.queue.queue_url)
        CfnOutput(self, "CallbacksDeadLetterQueueUrl", value=self.callbacks.dead_letters.queue.queue_url)
        CfnOutput(self, "CorrelatorDeadLetterQueueUrl", value=self.correlator.deliveries.dead_letters.queue.queue_url)

    def _agents(
        self,
        construct_id: str,
        agents: list[Any],
        handler: str,
        service: str,
        description: str,
        *,
        config: StageConfig,
        bus: events.IEventBus,
        idempotency_table: dynamodb.ITable,
        environment: dict[str, str] | None = None,
    ) -> AgentConsumer:
        """A consumer doing the AgentTaskRequested of `agents` (an event pattern's values for `data.agent`): it puts
        the outcome on the bus and keeps Powertools' idempotency records."""
        consumer = AgentConsumer(
            self,
            construct_id,
            config=config,
            bus=bus,
            alerts=self.alerts,
            event_pattern=events.EventPattern(
                source=[WORKFLOWS_SOURCE], detail_type=["AgentTaskRequested"], detail={"data": {"agent": agents}}
            ),
            handler=handler,
            service=service,
            description=description,
            environment={
                "EVENT_BUS_NAME": bus.event_bus_name,
                **(environment or {}),
                "IDEMPOTENCY_TABLE": idempotency_table.table_name,
            },
        )
        grant_emit(bus, consumer.function, Emitter.AGENTS)
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
        """Every `state_machines/*.dag.yaml`, and the onboarding agents the shipped one dispatches."""
        self.onboarding_agents = self._agents(
            "OnboardingAgents",
            [{"prefix": ONBOARDING_AGENT_PREFIX}],
            "functions.onboarding.handler.handler",
            "onboarding",
            "Onboarding agents: do each AgentTaskRequested of the customer onboarding DAG",
            config=config,
            bus=bus,
            idempotency_table=idempotency_table,
        )
        self.dags: dict[str, DagWorkflow] = {}
        for spec_file in spec_files():
            construct_id = "Dag" + "".join(part.title() for part in spec_file.name.removesuffix(".dag.yaml").split("_"))
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
            # Only the onboarding consumer serves DAGs (`_serve` below grants it their task tokens and heartbeats).
            for unserved in unserved_agents(dag.spec, (), (ONBOARDING_AGENT_PREFIX,)):
                Annotations.of(dag).add_error(
                    f"{spec_file.name}: {unserved}: no agent consumer serves it for a DAG (served: "
                    f"{ONBOARDING_AGENT_PREFIX}*), so its tasks would wait until they time out"
                )
            self._serve(dag.state_machine, self.onboarding_agents.function)
            self.correlator.serve(construct_id, dag.state_machine)
            CfnOutput(self, f"{construct_id}Arn", value=dag.state_machine.state_machine_arn)
            self.dags[dag.spec.name] = dag

    def _serve(self, state_machine: sfn.StateMachine, *agents: lambda_.IFunction) -> None:
        """Lets the agents (the specialists, else those given) and the callback answer tasks of `state_machine`,
        and nothing more."""
        for function in agents or (self.agents.function,):
            function.add_to_role_policy(
                iam.PolicyStatement(actions=["states:SendTaskHeartbeat"], resources=[state_machine.state_machine_arn])
            )
        self.callbacks.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["states:SendTaskSuccess", "states:SendTaskFailure"],
                resources=[state_machine.state_machine_arn],
            )
        )

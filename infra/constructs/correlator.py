"""The correlator: workflows wait for external events by business key, not by task token (functions/correlator).

Two functions on the State stack's WorkflowControl table: `Register`, which a workflow invokes with
`lambda:invoke.waitForTaskToken` to wait for a message, and `Deliveries`, the consumer of the correlated events
(rule -> queue -> function, as every consumer: retries, alarmed dead-letter queues, partial batch failures).
`serve(workflow, state_machine)` lets both answer that workflow's tasks, and nothing more.
"""

from __future__ import annotations

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.constructs.agent_consumer import AgentConsumer
from infra.constructs.alerts import AlertsTopic
from infra.constructs.lambda_function import PythonFunction
from schemas.stages import StageConfig
from schemas.tables import MESSAGE_PARTITION_PREFIX

# The correlated events (functions/correlator/messages.py `CORRELATED`; infra reads no models, a test ties them).
CORRELATED_SOURCES = ("orchestrator.approvals", "orchestrator.control", "orchestrator.workflows")
CORRELATED_DETAIL_TYPES = ("ApprovalDecided", "DagTaskFinished", "ExecutionResumed")

# The correlator's partitions in the WorkflowControl table (functions/correlator/logic.py `Subject.partition`).
PARTITION_PREFIX = MESSAGE_PARTITION_PREFIX

# What the correlator does on its table: items by key, a partition's waiters and messages, and the transaction
# that matches one of each (TransactWriteItems is authorised per item as UpdateItem).
TABLE_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
)


class Correlator(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        bus: events.IEventBus,
        alerts: AlertsTopic,
        table: dynamodb.ITable,
    ) -> None:
        super().__init__(scope, construct_id)
        self.register: lambda_.Function = PythonFunction(
            self,
            "Register",
            config=config,
            handler="functions.correlator.register.handler",
            service="correlator",
            description="Correlator: a workflow waits for a message by business key (waitForTaskToken)",
            environment={"WORKFLOW_CONTROL_TABLE": table.table_name},
        ).function
        self.deliveries = AgentConsumer(
            self,
            "Deliveries",
            config=config,
            bus=bus,
            alerts=alerts,
            event_pattern=events.EventPattern(
                source=list(CORRELATED_SOURCES), detail_type=list(CORRELATED_DETAIL_TYPES)
            ),
            handler="functions.correlator.handler.handler",
            service="correlator",
            description="Correlator: resumes the workflow waiting for each correlated event, or buffers it",
            environment={
                "WORKFLOW_CONTROL_TABLE": table.table_name,
                "MESSAGE_TTL_SECONDS": str(config.correlation.message_ttl_seconds),
            },
        )
        for function in (self.register, self.deliveries.function):
            # Only the correlation items (`msg#...`): pause/resume control records share the table.
            function.add_to_role_policy(
                iam.PolicyStatement(
                    actions=list(TABLE_ACTIONS),
                    resources=[table.table_arn],
                    conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{PARTITION_PREFIX}*"]}},
                )
            )

    def serve(self, workflow: str, state_machine: sfn.StateMachine) -> None:
        """Lets the correlator resume the tasks of `state_machine` (named `workflow`) that wait for a message."""
        # A policy of its own rather than the functions' default policies: the state machine invokes Register, so
        # its role's policy needs Register's ARN, and Register (a function depends on its default policy) would
        # need the state machine's ARN: a cycle CloudFormation refuses.
        iam.Policy(
            self,
            f"Serve{workflow}",
            statements=[
                iam.PolicyStatement(actions=["states:SendTaskSuccess"], resources=[state_machine.state_machine_arn])
            ],
            roles=[function.role for function in (self.register, self.deliveries.function) if function.role],
        )

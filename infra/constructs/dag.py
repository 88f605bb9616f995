"""A declarative DAG workflow (`state_machines/<name>.dag.yaml`) deployed like a hand-written state machine.

The spec is compiled at synth time (asl/dag; its module docstrings explain the construction) and set up
as every workflow is (infra/constructs/workflow.py): logs ALL, X-Ray, alarms, the rule that starts it on the spec's
`start` event. Tasks with `breaker: true` have their dispatch wrapped in the project's circuit breaker (`agent:<agent>`,
the specialists' settings: one breaker per agent, whoever calls it). The role may put events on the bus (agent tasks,
completion signals), invoke the correlator's Register function (a task waiting for a dependency's signal), put its
start claims (`<dag name>#...` in the Idempotency table: a redelivered start event ends in `Duplicate`), read its
pause records (`pause#...`: a pause check before each task, asl/pause_points.py), read and write its own
completion records (`dag#...` in WorkflowControl, sagas only) and its breakers' items, nothing else.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from asl.breaker_steps import TABLE_PLACEHOLDER
from asl.dag import compile_spec, load
from asl.dag.deploy import breakers, deployed_definition, spec_files
from asl.dag.states import MARKER_PREFIX, REGISTER, TABLE
from infra.constructs.alerts import AlertsTopic
from infra.constructs.workflow import (
    grant_breaker_steps,
    start_rule,
    workflow_state_machine,
)
from schemas.stages import StageConfig
from schemas.tables import AGENT_BREAKER_PREFIX


def _placeholder(value: str) -> str:
    return value.removeprefix("${").removesuffix("}")


class DagWorkflow(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec_file: Path,
        config: StageConfig,
        bus: events.IEventBus,
        alerts: AlertsTopic,
        register: lambda_.IFunction,
        idempotency_table: dynamodb.ITable,
        workflow_control_table: dynamodb.ITable,
        breakers_table: dynamodb.ITable,
    ) -> None:
        super().__init__(scope, construct_id)
        self.spec = load(spec_file)
        settings = config.agent_pipeline.specialist_breaker
        compiled = compile_spec(self.spec)
        steps = breakers(compiled, settings)
        self.log_group, self.state_machine = workflow_state_machine(
            self,
            workflow=self.spec.name,
            config=config,
            bus=bus,
            definition=deployed_definition(self.spec, settings),
            functions={_placeholder(REGISTER): register},
            substitutions={
                # Pause records, and completion records (sagas); breakers' items only if it has breakers.
                _placeholder(TABLE): workflow_control_table.table_name,
                **({TABLE_PLACEHOLDER: breakers_table.table_name} if steps else {}),
            },
            pause_records=workflow_control_table,
            start_claims=idempotency_table,
        )
        if steps:
            grant_breaker_steps(self.state_machine, breakers_table, key_prefix=AGENT_BREAKER_PREFIX)
        if self.spec.is_saga:
            self.state_machine.add_to_role_policy(
                iam.PolicyStatement(
                    actions=["dynamodb:GetItem", "dynamodb:PutItem"],
                    resources=[workflow_control_table.table_arn],
                    conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{MARKER_PREFIX}*"]}},
                )
            )
        self.rule = start_rule(
            self,
            "Start",
            config=config,
            bus=bus,
            alerts=alerts,
            state_machine=self.state_machine,
            description=f"Starts the {self.spec.name} DAG on every {self.spec.start.detail_type}",
            source=self.spec.start.source,
            detail_types=[self.spec.start.detail_type],
        )


__all__ = ["DagWorkflow", "deployed_definition", "spec_files"]

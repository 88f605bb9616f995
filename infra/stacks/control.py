"""The control plane's HTTP API: API Gateway (IAM authorization on every method) in front of one Powertools Lambda
(functions/control_api) that runs the same `ControlPlane` as the `orch` CLI, with the least privilege it calls for.

What the library calls (orchestrator/control/plane.py, discovery.py, drawing.py) and so what the role may do:
find the app's state machines by name and stage tag (states:ListStateMachines, dynamodb:ListTables: no resource-level
permissions, so '*', in a policy of their own), read and tag-check those state machines and list, start, describe,
read the history of, stop and redrive their executions; read and conditionally write the CircuitBreakers table and
the pause records of the WorkflowControl table (`pause#` keys only); query the EventStore table's index (a business
process's events); put events (approvals, agent task answers, pauses) on the bus; publish versions of those state
machines and route their aliases (`<state machine arn>:<version or alias>`); replay the bus's archive onto the bus.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, Final

from aws_cdk import ArnFormat, CfnOutput, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.constructs.alerts import api_alarm
from infra.constructs.emitting import grant_emit
from infra.constructs.lambda_function import PythonFunction
from infra.nag import EXECUTIONS_REASON, acknowledge_wildcards
from infra.stacks.ingestion import stage_options
from schemas.envelope import Emitter
from schemas.stages import StageConfig
from schemas.tables import BY_CORRELATION_INDEX
from schemas.tables import PAUSE_PARTITION_PREFIX as PAUSE_PREFIX

# Besides functions/ and schemas/, the handler runs the control-plane library and what it reads histories and draws
# definitions with (asl/, but not the DAG compiler nor the breaker steps); its settings come from its environment.
CONTROL_CODE: Final = (
    "orchestrator/__init__.py",
    "orchestrator/control",
    "asl/__init__.py",
    "asl/fields.py",
    "asl/graph",
    "asl/history.py",
    "asl/pause_points.py",
    "asl/rewrite.py",
)

MACHINE_ACTIONS: Final = ("states:DescribeStateMachine", "states:ListExecutions", "states:ListTagsForResource")
# Publishing is UpdateStateMachine with `publish` (orchestrator/control/definitions.py); aliases and versions are
# `<state machine arn>:<name or number>`.
DEFINITION_ACTIONS: Final = (
    "states:UpdateStateMachine",
    "states:PublishStateMachineVersion",  # UpdateStateMachine with `publish` needs it too
    "states:ListStateMachineVersions",
    "states:ListStateMachineAliases",
)
# Actions on versions and aliases: Step Functions authorizes them on the state machine's own (unqualified) ARN, the
# version or alias being the `states:StateMachineQualifier` condition key (developer guide, "Authorization for
# versions and aliases"), so they are granted on the state machines themselves.
VERSION_ACTIONS: Final = (
    "states:DescribeStateMachine",
    "states:DescribeStateMachineAlias",
    "states:CreateStateMachineAlias",
    "states:UpdateStateMachineAlias",
)
REPLAY_ACTIONS: Final = ("events:DescribeArchive", "events:StartReplay", "events:DescribeReplay")
REPLAYS_REASON: Final = (
    "orch replay replays the stage bus's archive (named by CloudFormation) in replays it names itself: archives and "
    "replays of this account and region; ListArchives, which finds the archive, takes no resource-level permissions."
)
EXECUTION_ACTIONS: Final = (
    "states:DescribeExecution",
    "states:GetExecutionHistory",
    "states:StopExecution",
    "states:RedriveExecution",
    "states:DescribeStateMachineForExecution",
)

# Path (under the API's root) -> methods, mirroring the `orch` commands (functions/control_api/handler.py).
ROUTES: Final[dict[str, tuple[str, ...]]] = {
    "executions": ("GET", "POST"),
    "executions/{arn}": ("GET",),
    "executions/{arn}/history": ("GET",),
    "executions/{arn}/terminate": ("POST",),
    "executions/{arn}/pause": ("POST",),
    "executions/{arn}/resume": ("POST",),
    "executions/{arn}/redrive": ("POST",),
    "signals/approvals/{key}": ("POST",),
    "signals/tasks/{task_id}": ("POST",),
    "breakers": ("GET",),
    "breakers/{breaker_id}/reset": ("POST",),
    "breakers/{breaker_id}/force-open": ("POST",),
    "config": ("GET",),
    "workflows/{workflow}/graph": ("GET",),
    "workflows/{workflow}/definitions": ("GET",),
    "workflows/{workflow}/versions": ("POST",),
    "workflows/{workflow}/aliases/{alias}/shift": ("POST",),
    "workflows/{workflow}/aliases/{alias}/rollback": ("POST",),
    "replays": ("POST",),
    "processes/{correlation_id}/history": ("GET",),
}


class ControlStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        bus: events.IEventBus,
        state_machines: Sequence[sfn.StateMachine],
        breakers_table: dynamodb.ITable,
        workflow_control_table: dynamodb.ITable,
        event_store_table: dynamodb.ITable,
        breaker_ids: Sequence[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.function = PythonFunction(
            self,
            "ControlApi",
            config=config,
            handler="functions.control_api.handler.handler",
            service="control-api",
            description="The orch control plane over HTTP: executions, signals, breakers, configuration",
            include=CONTROL_CODE,
            # The stage's settings, so that the function never reads the CDK's stage file (not in its asset); not who
            # hears the alarms (addresses are personal data, and nothing the control plane does needs them). And the
            # breakers its workflows define: the only ones it may reset or force open (no item made for others).
            environment={
                "STAGE_CONFIG": config.model_dump_json(exclude={"alert_subscriptions"}),
                "BREAKER_IDS": json.dumps(sorted(breaker_ids)),
            },
        ).function
        self._grant(self.function, bus, state_machines, breakers_table)
        # The pause records only (orchestrator/control/pausing.py): the correlator's items share the table.
        self.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
                resources=[workflow_control_table.table_arn],
                conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{PAUSE_PREFIX}*"]}},
            )
        )
        # A process's events by correlation id: the event store's index, read only (functions/event_store).
        self.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["dynamodb:Query"], resources=[f"{event_store_table.table_arn}/index/{BY_CORRELATION_INDEX}"]
            )
        )
        self.api = self._api(config, self.function)
        CfnOutput(self, "ControlApiUrl", value=self.api.url)

    def _grant(
        self,
        function: lambda_.Function,
        bus: events.IEventBus,
        state_machines: Sequence[sfn.StateMachine],
        breakers_table: dynamodb.ITable,
    ) -> None:
        for machine in state_machines:
            machine.grant(function, *MACHINE_ACTIONS, *DEFINITION_ACTIONS, *VERSION_ACTIONS)
            machine.grant_start_execution(function)
        grant_emit(bus, function, Emitter.CONTROL)
        breakers_table.grant(function, "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan")
        assert function.role is not None  # a Function made here always has its role
        # Each wildcard in a policy of its own, so that its acknowledgment sits on it alone (infra/nag.py): the
        # executions of the app's state machines (any name, so '*' after the machine's name), their versions and
        # aliases, the bus's archive and its replays.
        executions = [self._executions_of(machine) for machine in state_machines]
        statement = iam.PolicyStatement(actions=list(EXECUTION_ACTIONS), resources=executions)
        self._wildcard_policy(function.role, "Executions", [statement], executions, EXECUTIONS_REASON)
        replays = [
            self.format_arn(service="events", resource="archive", resource_name="*"),
            self.format_arn(service="events", resource="replay", resource_name="*"),
        ]
        statements = [
            iam.PolicyStatement(actions=list(REPLAY_ACTIONS), resources=replays),
            iam.PolicyStatement(actions=["events:DescribeEventBus"], resources=[bus.event_bus_arn]),
            # Finding the bus's archive: ListArchives takes no resource-level permissions.
            iam.PolicyStatement(actions=["events:ListArchives"], resources=["*"]),
        ]
        self._wildcard_policy(function.role, "Replays", statements, [*replays, "*"], REPLAYS_REASON)
        iam.Policy(
            self,
            "Discovery",
            roles=[function.role],
            statements=[
                iam.PolicyStatement(actions=["states:ListStateMachines", "dynamodb:ListTables"], resources=["*"])
            ],
        )

    def _wildcard_policy(
        self,
        role: iam.IRole,
        name: str,
        statements: list[iam.PolicyStatement],
        wildcards: list[str],
        reason: str,
    ) -> None:
        policy = iam.Policy(self, name, roles=[role], statements=statements)
        acknowledge_wildcards(policy, wildcards, reason)

    def _executions_of(self, machine: sfn.StateMachine) -> str:
        """`arn:...:execution:<state machine name>:*`, as Step Functions names a state machine's executions. The
        name is the state machine's own `Name` attribute rather than split out of its ARN (as `grant_execution`
        does), which also holds where the local runtime stands a placeholder ARN in for it."""
        return self.format_arn(
            service="states",
            resource="execution",
            resource_name=f"{machine.state_machine_name}:*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )

    def _api(self, config: StageConfig, function: lambda_.Function) -> apigw.RestApi:
        api = apigw.RestApi(
            self,
            "Api",
            rest_api_name=f"orchestrator-control-{config.stage}",
            description="The orch control plane: executions, signals, breakers, configuration (IAM authorization)",
            cloud_watch_role=True,
            deploy_options=stage_options(self, config),
        )
        # The edge checks that every path parameter is there; the function validates bodies and query strings
        # against its models, naming the field (openapi/control-api.json).
        validator = api.add_request_validator("RequestValidator", validate_request_parameters=True)
        integration = apigw.LambdaIntegration(function)
        for path, methods in ROUTES.items():
            resource = api.root.resource_for_path(path)
            parameters = {f"method.request.path.{name}": True for name in re.findall(r"{(\w+)}", path)}
            for method in methods:
                resource.add_method(
                    method,
                    integration,
                    authorization_type=apigw.AuthorizationType.IAM,
                    request_parameters=parameters or None,
                    request_validator=validator,
                )
        api_alarm(api, config=config)
        return api

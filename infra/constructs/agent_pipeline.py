"""The support-ticket agent pipeline: the state machine, its triage and synthesis functions, and its start rule.

The workflow is `state_machines/agent_pipeline.asl.json` (JSONata). Its `"${Name}"` placeholders are filled two
ways: the agents' timeout, heartbeat and concurrency are numbers from the stage config, written in at synth time
(`with_numbers`), because ASL wants numbers there and CloudFormation substitutes only strings; the functions' ARNs
and the bus name, known at deploy time, are definition substitutions. TicketSubmitted on the bus starts an execution
(rule target with retries and a DLQ). The role may invoke those two functions and put events on this bus, nothing
else; every execution logs ALL and is traced.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import RemovalPolicy
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.alerts import AlertsTopic
from infra.constructs.lambda_function import PROJECT_ROOT, PythonFunction, log_retention
from infra.constructs.rule_targets import reliable_target_options

DEFINITION_FILE = PROJECT_ROOT / "state_machines" / "agent_pipeline.asl.json"

# The event that starts the pipeline (`schemas.support.TicketSubmitted`; infra reads no models, a test ties them).
START_SOURCE = "support.tickets"
START_DETAIL_TYPE = "TicketSubmitted"


def numbers(config: StageConfig) -> dict[str, int]:
    """The definition's numeric placeholders and their values for a stage."""
    pipeline = config.agent_pipeline
    return {
        "AgentTimeoutSeconds": pipeline.agent_timeout_seconds,
        "AgentHeartbeatSeconds": pipeline.agent_heartbeat_seconds,
        "MaxConcurrency": pipeline.max_concurrency,
    }


def with_numbers(definition: str, values: Mapping[str, int]) -> str:
    """`definition` with every `"${Name}"` of `values` replaced by the bare number (the quotes go too)."""
    for name, value in values.items():
        placeholder = f'"${{{name}}}"'
        if placeholder not in definition:
            raise ValueError(f"the definition has no {placeholder} placeholder")
        definition = definition.replace(placeholder, str(int(value)))
    return definition


class AgentPipeline(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        bus: events.IEventBus,
        alerts: AlertsTopic,
    ) -> None:
        super().__init__(scope, construct_id)
        environment = {"REASONER": config.agent_pipeline.reasoner}
        self.triage = PythonFunction(
            self,
            "Triage",
            config=config,
            handler="functions.triage.handler.handler",
            service="triage",
            description="Agent pipeline: decides which specialist agents a support ticket needs",
            environment=environment,
        ).function
        self.synthesis = PythonFunction(
            self,
            "Synthesis",
            config=config,
            handler="functions.synthesis.handler.handler",
            service="synthesis",
            description="Agent pipeline: writes the reply to a ticket from the specialists' findings",
            environment=environment,
        ).function
        self.state_machine = self._state_machine(config, bus)
        self.rule = self._start_rule(config, bus, alerts)

    def _state_machine(self, config: StageConfig, bus: events.IEventBus) -> sfn.StateMachine:
        self.log_group = logs.LogGroup(
            self,
            "ExecutionLogs",
            retention=log_retention(config.log_retention_days),
            removal_policy=RemovalPolicy.DESTROY if config.destroy_on_removal else RemovalPolicy.RETAIN,
        )
        state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            # The file is the source, read here into DefinitionString. `DefinitionBody.from_file` would stage it as
            # an S3 asset (DefinitionS3Location), which cfn-lint cannot check, template tests cannot read and the
            # local runtime cannot provision without S3 uploads.
            definition_body=sfn.DefinitionBody.from_string(
                with_numbers(DEFINITION_FILE.read_text(encoding="utf-8"), numbers(config))
            ),
            definition_substitutions={
                "TriageFunctionArn": self.triage.function_arn,
                "SynthesisFunctionArn": self.synthesis.function_arn,
                "EventBusName": bus.event_bus_name,
            },
            state_machine_type=sfn.StateMachineType.STANDARD,
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
            tracing_enabled=True,
        )
        # The unqualified ARNs only, as the definition calls them: no version or alias wildcard.
        state_machine.add_to_role_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[self.triage.function_arn, self.synthesis.function_arn],
            )
        )
        bus.grant_put_events_to(state_machine)
        return state_machine

    def _start_rule(self, config: StageConfig, bus: events.IEventBus, alerts: AlertsTopic) -> events.Rule:
        rule = events.Rule(
            self,
            "TicketSubmitted",
            event_bus=bus,
            description="Starts the agent pipeline for every submitted support ticket",
            event_pattern=events.EventPattern(source=[START_SOURCE], detail_type=[START_DETAIL_TYPE]),
        )
        rule.add_target(
            targets.SfnStateMachine(
                self.state_machine, **reliable_target_options(self, "StartDeadLetters", config=config, alerts=alerts)
            )
        )
        return rule

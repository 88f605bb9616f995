"""The support-ticket agent pipeline: the state machine, its triage and synthesis functions, and its start rule.

The workflow is `state_machines/agent_pipeline.asl.json` (JSONata), set up as every workflow is
(infra/constructs/workflow.py). Its first state is its admission (asl/admission.py, functions/admission): an invalid
TicketSubmitted ends in `Rejected` with nothing done; a valid one's ticket id is claimed in the Idempotency table, so
that a redelivery ends in `Duplicate`. The agents' timeout, heartbeat and concurrency are numbers from the stage
config, written in at synth time; the functions' ARNs and the bus name are definition substitutions. TicketSubmitted
on the bus starts an execution (rule target with retries and a DLQ). The drafted reply waits for approval through the
correlator (infra/constructs/correlator.py), whose Register function the definition invokes. Each dispatch runs
inside a circuit breaker per specialist (asl/breaker_steps.py, DynamoDB direct integrations on the State stack's
CircuitBreakers table). The role may invoke its functions (admission, triage, synthesis, Register), put events on
this bus, read its pause records and read and write the breakers' items, nothing else (the admission function puts
the start claims); every execution logs ALL and is traced.
"""

from __future__ import annotations

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from asl.breaker_steps import TABLE_PLACEHOLDER, CircuitBreakerStep
from asl.pause_points import REGISTER_PLACEHOLDER, PausePoints
from asl.pause_points import TABLE_PLACEHOLDER as CONTROL_TABLE_PLACEHOLDER
from infra.constructs.alerts import AlertsTopic
from infra.constructs.correlator import Correlator
from infra.constructs.lambda_function import PROJECT_ROOT, PythonFunction
from infra.constructs.workflow import (
    grant_breaker_steps,
    start_rule,
    workflow_state_machine,
)
from schemas.stages import StageConfig
from schemas.tables import AGENT_BREAKER_PREFIX

DEFINITION_FILE = PROJECT_ROOT / "state_machines" / "agent_pipeline.asl.json"

# The event that starts the pipeline (`schemas.support.TicketSubmitted`; infra reads no models, a test ties them).
START_SOURCE = "support.tickets"
START_DETAIL_TYPE = "TicketSubmitted"
# An operator's pause holds the pipeline before its next step (not inside the specialists' Map, not while it waits
# for the approval, which is a hold already: asl/pause_points.py).
PAUSE_POINTS = PausePoints(("Triage", "Specialists", "Synthesis", "RequestApproval"))


def numbers(config: StageConfig) -> dict[str, int]:
    """The definition's numeric placeholders and their values for a stage."""
    pipeline = config.agent_pipeline
    return {
        "AgentTimeoutSeconds": pipeline.agent_timeout_seconds,
        "AgentHeartbeatSeconds": pipeline.agent_heartbeat_seconds,
        "MaxConcurrency": pipeline.max_concurrency,
        "ApprovalTimeoutSeconds": pipeline.approval_timeout_seconds,
    }


class AgentPipeline(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        bus: events.IEventBus,
        alerts: AlertsTopic,
        correlator: Correlator,
        breakers_table: dynamodb.ITable,
        idempotency_table: dynamodb.ITable,
        workflow_control_table: dynamodb.ITable,
    ) -> None:
        super().__init__(scope, construct_id)
        self._idempotency_table = idempotency_table
        self._workflow_control_table = workflow_control_table
        self._correlator = correlator
        self._breakers_table = breakers_table
        # Each specialist behind its own breaker: one that keeps failing is skipped (its record says BreakerOpen)
        # until a probe after the cool-down finds it well again.
        self.dispatch_breaker = CircuitBreakerStep(
            call="Dispatch",
            fallback="BreakerOpen",
            breaker_id=f"'{AGENT_BREAKER_PREFIX}' & $states.input.agent",
            correlation_id="$ticket.ticket_id",
            settings=config.agent_pipeline.specialist_breaker,
        )
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
        self.log_group, state_machine = workflow_state_machine(
            self,
            workflow="agent-pipeline",
            config=config,
            bus=bus,
            definition_file=DEFINITION_FILE,
            numbers=numbers(config),
            functions={
                "TriageFunctionArn": self.triage,
                "SynthesisFunctionArn": self.synthesis,
                REGISTER_PLACEHOLDER: self._correlator.register,
            },
            substitutions={
                TABLE_PLACEHOLDER: self._breakers_table.table_name,
                CONTROL_TABLE_PLACEHOLDER: self._workflow_control_table.table_name,
            },
            transform=lambda definition: PAUSE_POINTS.wrap(self.dispatch_breaker.wrap(definition)),
            pause_records=self._workflow_control_table,
            start_claims=self._idempotency_table,
        )
        grant_breaker_steps(state_machine, self._breakers_table, key_prefix=AGENT_BREAKER_PREFIX)
        return state_machine

    def _start_rule(self, config: StageConfig, bus: events.IEventBus, alerts: AlertsTopic) -> events.Rule:
        return start_rule(
            self,
            "TicketSubmitted",
            config=config,
            bus=bus,
            alerts=alerts,
            state_machine=self.state_machine,
            description="Starts the agent pipeline for every submitted support ticket",
            source=START_SOURCE,
            detail_types=[START_DETAIL_TYPE],
        )

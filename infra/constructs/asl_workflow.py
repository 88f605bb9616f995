"""A workflow a user brings as an ASL file with a sidecar (`state_machines/<name>.asl.json` + `<name>.workflow.yaml`,
infra/extensions.py), set up as every workflow is (infra/constructs/workflow.py): logs ALL, X-Ray, alarms, the role
putting exactly the entries its definition puts.

The sidecar says what starts it: an event (`start`, a rule on the bus, as the DAGs' and the shipped workflows'), or a
schedule (`schedule`, `rate(...)` or `cron(...)`: a rule on the account's default bus, where EventBridge keeps
schedules, whose input is a `ScheduledRun` event naming the workflow and its schedule; the time is the execution's
start, `$states.context.Execution.StartTime`). Its `substitutions` fill the definition's other `"${Name}"`
placeholders; the bus fills `${EventBusName}`. A definition naming `${AdmissionFunctionArn}` (asl/admission.py
`begin_state`) gets its own admission function and start claims, as the shipped workflows do.
"""

from __future__ import annotations

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from constructs import Construct

from asl.admission import PLACEHOLDER as ADMISSION
from infra.constructs.alerts import AlertsTopic
from infra.constructs.live_alias import live_alias
from infra.constructs.rule_targets import reliable_target_options
from infra.constructs.workflow import execution_alarms, start_rule, workflow_state_machine
from infra.extensions import Workflow
from schemas.stages import StageConfig

# The `detail-type` and `source` of the input a scheduled execution gets (the scheduled rule's input).
SCHEDULED_DETAIL_TYPE = "ScheduledRun"
SCHEDULED_SOURCE = "orchestrator.schedules"


class AslWorkflow(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        workflow: Workflow,
        config: StageConfig,
        bus: events.IEventBus,
        alerts: AlertsTopic,
        idempotency_table: dynamodb.ITable,
    ) -> None:
        super().__init__(scope, construct_id)
        sidecar = workflow.sidecar
        self.name = sidecar.name
        text = workflow.definition_file.read_text(encoding="utf-8")
        self.log_group, self.state_machine = workflow_state_machine(
            self,
            workflow=sidecar.name,
            config=config,
            bus=bus,
            definition_file=workflow.definition_file,
            functions={},
            substitutions=sidecar.substitutions,
            start_claims=idempotency_table if f"${{{ADMISSION}}}" in text else None,
        )
        self.rule: events.Rule | None = None
        if sidecar.start is not None:
            self.rule = start_rule(
                self,
                "Start",
                config=config,
                bus=bus,
                alerts=alerts,
                state_machine=self.state_machine,
                description=f"Starts the {sidecar.name} workflow on every {sidecar.start.detail_type}",
                source=sidecar.start.source,
                detail_types=[sidecar.start.detail_type],
            )
        if sidecar.schedule is not None:
            self.schedule = events.Rule(
                self,
                "Schedule",
                schedule=events.Schedule.expression(sidecar.schedule),
                description=f"Starts the {sidecar.name} workflow {sidecar.schedule}",
            )
            # Through the `live` alias, as an event-started workflow (infra/constructs/live_alias.py): a canary shift
            # applies to scheduled runs too.
            self.schedule.add_target(
                live_alias(self.state_machine).start_target(
                    input=events.RuleTargetInput.from_object(
                        {
                            "detail-type": SCHEDULED_DETAIL_TYPE,
                            "source": SCHEDULED_SOURCE,
                            "detail": {"workflow": sidecar.name, "schedule": sidecar.schedule},
                        }
                    ),
                    **reliable_target_options(self, "ScheduleDeadLetters", config=config, alerts=alerts),
                )
            )
            if self.rule is None:  # the start rule sets the execution alarms up; a scheduled-only workflow here
                execution_alarms(self, self.state_machine, alerts=alerts, config=config)

"""The schema guard: a catch-all rule that validates every non-AWS event on the bus against its model.

Events that fail (from producers that bypassed the SDK and the ingestion API) go to the quarantine queue with the
reason attached, and the quarantine's alarm fires. Valid events are left alone: the guard observes, it does not
filter, so consumers still see everything that was put on the bus.
"""

from __future__ import annotations

from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from constructs import Construct

from infra.constructs.alerts import AlarmedQueue, AlertsTopic
from infra.constructs.lambda_function import PythonFunction
from infra.constructs.rule_targets import reliable_target_options
from schemas.stages import StageConfig


class SchemaGuard(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: StageConfig, bus: events.IEventBus, alerts: AlertsTopic
    ) -> None:
        super().__init__(scope, construct_id)
        self.quarantine = AlarmedQueue(
            self, "Quarantine", config=config, alerts=alerts, threshold=config.alarms.quarantine_depth
        )
        # Where an event goes when the validator itself keeps failing on it (EventBridge invokes it asynchronously:
        # Lambda retries twice, then this queue). The rule target's DLQ only covers failing to hand the event over.
        self.failures = AlarmedQueue(
            self, "ValidatorFailures", config=config, alerts=alerts, threshold=config.alarms.dead_letter_depth
        )
        self.function = PythonFunction(
            self,
            "Validator",
            config=config,
            handler="functions.schema_guard.handler.handler",
            service="schema-guard",
            description="Validates every event on the bus; quarantines the invalid ones with the reason",
            environment={"QUARANTINE_QUEUE_URL": self.quarantine.queue.queue_url},
            dead_letter_queue=self.failures.queue,
        ).function
        self.quarantine.queue.grant_send_messages(self.function)
        self.rule = events.Rule(
            self,
            "EveryEvent",
            event_bus=bus,
            description="Catch-all: every event not from an AWS service goes through the schema guard",
            event_pattern=events.EventPattern(source=events.Match.anything_but_prefix("aws.")),
        )
        self.rule.add_target(
            targets.LambdaFunction(
                self.function, **reliable_target_options(self, "GuardDeadLetters", config=config, alerts=alerts)
            )
        )

"""An event consumer: a rule on the bus puts matching events in a queue, and a function drains it in batches.

Every part fails visibly: the rule target retries and then dead-letters what it cannot deliver; the queue hands a
message to the function up to `max_receive_count` times, then moves it to its own dead-letter queue; both
dead-letter queues are alarmed. The function reports partial batch failures, so one bad message is retried alone.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.alerts import AlarmedQueue, AlertsTopic
from infra.constructs.lambda_function import PythonFunction
from infra.constructs.removal import removal_policy
from infra.constructs.rule_targets import reliable_target_options
from schemas.stages import StageConfig


class AgentConsumer(Construct):
    """Rule (pattern) -> queue (DLQ, alarmed) -> function (SQS event source, ReportBatchItemFailures)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        bus: events.IEventBus,
        alerts: AlertsTopic,
        event_pattern: events.EventPattern,
        handler: str,
        service: str,
        description: str,
        environment: dict[str, str] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.function: lambda_.Function = PythonFunction(
            self,
            "Consumer",
            config=config,
            handler=handler,
            service=service,
            description=description,
            environment=environment,
        ).function
        self.queue = self._queue(config, alerts)
        self.rule = self._rule(config, bus, alerts, event_pattern, description)
        self.event_source_mapping = self._event_source(config)

    def _queue(self, config: StageConfig, alerts: AlertsTopic) -> sqs.Queue:
        self.dead_letters = AlarmedQueue(
            self, "DeadLetters", config=config, alerts=alerts, threshold=config.alarms.dead_letter_depth
        )
        return sqs.Queue(
            self,
            "Queue",
            # SSE-SQS, because EventBridge cannot deliver to a queue encrypted with the AWS-managed KMS key.
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(4),
            removal_policy=removal_policy(config),
            visibility_timeout=Duration.seconds(config.consumer_visibility_timeout_seconds),
            dead_letter_queue=sqs.DeadLetterQueue(
                max_receive_count=config.consumers.max_receive_count, queue=self.dead_letters.queue
            ),
        )

    def _rule(
        self,
        config: StageConfig,
        bus: events.IEventBus,
        alerts: AlertsTopic,
        event_pattern: events.EventPattern,
        description: str,
    ) -> events.Rule:
        rule = events.Rule(self, "Rule", event_bus=bus, event_pattern=event_pattern, description=description)
        rule.add_target(
            targets.SqsQueue(
                self.queue, **reliable_target_options(self, "TargetDeadLetters", config=config, alerts=alerts)
            )
        )
        return rule

    def _event_source(self, config: StageConfig) -> event_sources.SqsEventSource:
        source = event_sources.SqsEventSource(
            self.queue, batch_size=config.consumers.batch_size, report_batch_item_failures=True
        )
        self.function.add_event_source(source)
        return source

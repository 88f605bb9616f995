"""The event store's write path (functions/event_store): every event of the stage's bus and every Step Functions
execution status change, appended to the State stack's EventStore table, each once.

Rules -> queue -> appender (EventBridge -> SQS -> Lambda, the project's consumer construct), rather than the rules
invoking the function directly:
- the store sees every event of the stage, so it is the busiest consumer: the queue hands the function batches
  (`consumers.batch_size`), one invocation per batch instead of per event;
- a message that fails (DynamoDB throttling, say) is retried alone (partial batch failures) for as long as the queue
  keeps it, then kept whole in an alarmed dead-letter queue, from which it can be redriven as it was; an invoked
  function would get two retries within minutes, then a dead-letter queue of its own;
- the two rules (the stage's bus, and the default bus where AWS puts status changes) share one queue and function.
A duplicate costs a conditional put that fails, which is why at-least-once delivery is enough here.

What is stored is redacted (no task token, no field an event model declares sensitive) and expires after the stage's
`event_store_retention_days` (functions/event_store/logic.py).

Status changes come from every state machine of the account and region (the pattern cannot name the stage's: they
live in a stack deployed after this one); the appender keeps those whose state machine carries this stage's tag.
"""

from __future__ import annotations

from typing import Final

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.constructs.agent_consumer import AgentConsumer
from infra.constructs.alerts import AlertsTopic
from infra.constructs.rule_targets import reliable_target_options
from infra.nag import acknowledge_wildcards
from schemas.stages import StageConfig

# functions/event_store/logic.py `STATUS_CHANGE_SOURCE` / `STATUS_CHANGE_TYPE` (infra reads no handler code).
STATUS_CHANGE_SOURCE: Final = "aws.states"
STATUS_CHANGE_TYPE: Final = "Step Functions Execution Status Change"
TAGS_REASON: Final = (
    "The event store's appender reads the stage tag of the state machine of each execution status change, to keep "
    "only this stage's: the state machines live in a stack deployed after this one, so they are named by "
    "'stateMachine:*' of this account and region; ListTagsForResource is the only action on them."
)


class EventStore(Construct):
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
        self.appender = AgentConsumer(
            self,
            "Appender",
            config=config,
            bus=bus,
            alerts=alerts,
            # Every event, whoever put it (an empty prefix matches any source).
            event_pattern=events.EventPattern(source=events.Match.prefix("")),
            handler="functions.event_store.handler.handler",
            service="event-store",
            description="Event store: appends every event of the bus and every status change of the stage's workflows",
            environment={
                "EVENT_STORE_TABLE": table.table_name,
                # Each item expires this long after it is appended (the table's TTL attribute, infra/stacks/state.py).
                "EVENT_STORE_RETENTION_DAYS": str(config.event_store_retention_days),
            },
        )
        self.status_changes = self._status_changes(config, alerts)
        self._grant(table)

    def _status_changes(self, config: StageConfig, alerts: AlertsTopic) -> events.Rule:
        rule = events.Rule(
            self,
            "StatusChanges",
            description="Event store: Step Functions execution status changes (the default bus, where AWS puts them)",
            event_pattern=events.EventPattern(source=[STATUS_CHANGE_SOURCE], detail_type=[STATUS_CHANGE_TYPE]),
        )
        rule.add_target(
            targets.SqsQueue(
                self.appender.queue,
                **reliable_target_options(self, "StatusChangesDeadLetters", config=config, alerts=alerts),
            )
        )
        return rule

    def _grant(self, table: dynamodb.ITable) -> None:
        function = self.appender.function
        # Append only, on the table alone (`grant` would add its indexes, `index/*`): no read, update or delete.
        function.add_to_role_policy(iam.PolicyStatement(actions=["dynamodb:PutItem"], resources=[table.table_arn]))
        machines = Stack.of(self).format_arn(
            service="states",
            resource="stateMachine",
            resource_name="*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        assert function.role is not None  # a Function made here always has its role
        policy = iam.Policy(
            self,
            "StageTags",
            roles=[function.role],
            statements=[iam.PolicyStatement(actions=["states:ListTagsForResource"], resources=[machines])],
        )
        acknowledge_wildcards(policy, [machines], TAGS_REASON)

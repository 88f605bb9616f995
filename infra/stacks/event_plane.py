"""Event plane: the bus every workflow hangs off, its archive and policy, the schema guard with its quarantine, and
the event store's appender (into the State stack's EventStore table)."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from infra.constructs.alerts import alerts_topic
from infra.constructs.event_bus import OrchestratorBus
from infra.constructs.event_store import EventStore
from infra.constructs.schema_guard import SchemaGuard
from schemas.stages import StageConfig


class EventPlaneStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        event_store_table: dynamodb.ITable,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.alerts = alerts_topic(self, config)
        self.event_bus = OrchestratorBus(self, "EventBus", config=config, alerts=self.alerts)
        self.bus = self.event_bus.bus
        self.schema_guard = SchemaGuard(self, "SchemaGuard", config=config, bus=self.bus, alerts=self.alerts)
        self.event_store = EventStore(
            self, "EventStore", config=config, bus=self.bus, alerts=self.alerts, table=event_store_table
        )
        CfnOutput(self, "EventBusName", value=self.bus.event_bus_name)
        CfnOutput(self, "EventBusArn", value=self.bus.event_bus_arn)
        CfnOutput(self, "QuarantineQueueUrl", value=self.schema_guard.quarantine.queue.queue_url)

"""State: DynamoDB tables for idempotency records, circuit breakers, workflow control / correlation, and the event
store (functions/event_store: its item layout and index)."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from infra.constructs.removal import removal_policy
from schemas import tables
from schemas.stages import StageConfig

_STRING = dynamodb.AttributeType.STRING


class StateStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self._config = config
        # Attribute names are Powertools idempotency's defaults, so its DynamoDBPersistenceLayer needs no mapping.
        self.idempotency = self._table(tables.IDEMPOTENCY_TABLE, partition_key="id", ttl="expiration")
        self.circuit_breakers = self._table(tables.CIRCUIT_BREAKERS_TABLE, partition_key="breaker_id")
        # One table for pause/resume control records and (message name, correlation key) -> waiting task tokens.
        self.workflow_control = self._table(
            tables.WORKFLOW_CONTROL_TABLE,
            partition_key=tables.CONTROL_PARTITION_KEY,
            sort_key=tables.CONTROL_SORT_KEY,
            ttl=tables.CONTROL_TTL,
        )
        # Append-only, each item kept for the stage's retention (TTL): a business process's events by correlation id
        # and time.
        self.event_store = self._table(
            tables.EVENT_STORE_TABLE, partition_key=tables.EVENT_STORE_PARTITION_KEY, ttl=tables.EVENT_STORE_TTL
        )
        self.event_store.add_global_secondary_index(
            index_name=tables.BY_CORRELATION_INDEX,
            partition_key=dynamodb.Attribute(name=tables.BY_CORRELATION_PARTITION_KEY, type=_STRING),
            sort_key=dynamodb.Attribute(name=tables.BY_CORRELATION_SORT_KEY, type=_STRING),
        )

    def _table(
        self, name: str, *, partition_key: str, sort_key: str | None = None, ttl: str | None = None
    ) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            name,
            partition_key=dynamodb.Attribute(name=partition_key, type=_STRING),
            sort_key=dynamodb.Attribute(name=sort_key, type=_STRING) if sort_key else None,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=ttl,
            deletion_protection=not self._config.destroy_on_removal,
            removal_policy=removal_policy(self._config),
        )
        CfnOutput(self, f"{name}TableName", value=table.table_name)
        return table

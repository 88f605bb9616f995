"""State tables and the schema registry as deployed."""

from __future__ import annotations

import json
from typing import Any

from schemas.catalog import event_types
from schemas.envelope import schema_name
from schemas.registry import published_documents
from tests.infra.helpers import only, resources

EXPECTED_TABLES = {
    # table construct id prefix: (partition key, sort key, TTL attribute)
    "Idempotency": ("id", None, "expiration"),
    "CircuitBreakers": ("breaker_id", None, None),
    "WorkflowControl": ("pk", "sk", "expires_at"),
    "EventStore": ("event_id", None, "expires_at"),  # the stage's event_store_retention_days
}


def _tables(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = resources(template, "AWS::DynamoDB::Table")
    by_name = {}
    for logical_id, table in found.items():
        (name,) = [n for n in EXPECTED_TABLES if logical_id.startswith(n)]
        by_name[name] = table["Properties"]
    return by_name


def test_state_has_its_tables_with_their_keys_and_ttl(templates: dict[str, Any]) -> None:
    tables = _tables(templates["State"])
    assert set(tables) == set(EXPECTED_TABLES)
    for name, (partition, sort, ttl) in EXPECTED_TABLES.items():
        props = tables[name]
        keys = {k["KeyType"]: k["AttributeName"] for k in props["KeySchema"]}
        assert keys.get("HASH") == partition
        assert keys.get("RANGE") == sort
        if ttl:
            assert props["TimeToLiveSpecification"] == {"AttributeName": ttl, "Enabled": True}
        else:
            assert "TimeToLiveSpecification" not in props


def test_every_table_is_on_demand_encrypted_with_point_in_time_recovery(templates: dict[str, Any]) -> None:
    for name, props in _tables(templates["State"]).items():
        assert props["BillingMode"] == "PAY_PER_REQUEST", name
        # SSEEnabled without a key: encrypted with the AWS-managed KMS key (aws/dynamodb), not the owned default.
        assert props["SSESpecification"] == {"SSEEnabled": True}, name
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True, name


def test_registry_holds_one_draft4_schema_per_event_type_and_version(templates: dict[str, Any]) -> None:
    template = templates["Schemas"]
    registry = only(template, "AWS::EventSchemas::Registry")
    assert registry["RegistryName"] == "orchestrator-dev"
    deployed = {
        s["Properties"]["SchemaName"]: s["Properties"]
        for s in resources(template, "AWS::EventSchemas::Schema").values()
    }
    expected = {f"{schema_name(t)}-v{t.SCHEMA_VERSION}" for t in event_types()}
    assert expected <= set(deployed), f"missing: {expected - set(deployed)}"
    for name, version, document in published_documents():
        props = deployed[f"{name}-v{version}"]
        assert props["Type"] == "JSONSchemaDraft4"
        assert json.loads(props["Content"]) == document

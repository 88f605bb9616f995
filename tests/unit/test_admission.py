"""Admission (functions/admission): a workflow's start event validated, then claimed once per business id, on moto's
DynamoDB (the claims' transaction and its cancellation reasons as DynamoDB answers them)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.admission.dynamodb import DynamoDBClaims
from functions.admission.logic import DuplicateStart, IdempotencyKeyConflict, InvalidStartEvent, admit
from tests.builders import delivered_event, sample_data

TABLE = "Idempotency"
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:saga:one"
OTHER = "arn:aws:states:us-east-1:123456789012:execution:saga:two"


@pytest.fixture
def claims(aws_credentials: None) -> Iterator[DynamoDBClaims]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield DynamoDBClaims(client, TABLE)


def order(order_id: str = "order-1001", key: str = "key-1", **data: Any) -> dict[str, Any]:
    return delivered_event(
        "OrderPlaced", "shop.orders", {**sample_data("OrderPlaced"), "order_id": order_id, **data}, idempotency_key=key
    )


def test_a_valid_event_is_admitted_once_per_business_id(claims: DynamoDBClaims) -> None:
    admitted = admit(order(), "order-saga", EXECUTION, claims)
    assert admitted.as_dict() == {"business_id": "order-1001", "claim": "order-saga#order-1001"}
    # The same execution again (a retried invocation, a redrive): its own claim.
    assert admit(order(), "order-saga", EXECUTION, claims) == admitted


@pytest.mark.parametrize("key", ["key-1", "a-retry-under-another-key"])
def test_another_execution_for_the_same_business_id_is_a_duplicate_whatever_its_key(
    claims: DynamoDBClaims, key: str
) -> None:
    admit(order(), "order-saga", EXECUTION, claims)
    with pytest.raises(DuplicateStart, match="order-saga already started for order_id 'order-1001'"):
        admit(order(key=key), "order-saga", OTHER, claims)


def test_a_key_reused_for_another_business_id_fails_loudly(claims: DynamoDBClaims) -> None:
    admit(order("order-1001", key="shared"), "order-saga", EXECUTION, claims)
    with pytest.raises(IdempotencyKeyConflict, match="'shared' was used for order_id 'order-1001'.*'order-2002'"):
        admit(order("order-2002", key="shared"), "order-saga", OTHER, claims)


def test_the_claims_of_one_workflow_do_not_hold_another(claims: DynamoDBClaims) -> None:
    admit(order(), "order-saga", EXECUTION, claims)
    assert admit(order(), "another-workflow", OTHER, claims).claim == "another-workflow#order-1001"


@pytest.mark.parametrize(
    ("event", "fields"),
    [
        (order(total_cents="lots", items=[]), ["data.items", "data.total_cents"]),
        ({**order(), "detail-type": "NoSuchEvent"}, ["detail-type"]),
        ({**order(), "source": "somebody.else"}, ["source"]),
        (delivered_event("ApprovalDecided", "orchestrator.approvals"), ["detail-type"]),  # starts no workflow
        ("not an event", ["(event)"]),
    ],
)
def test_an_invalid_start_event_is_refused_naming_each_field_and_claims_nothing(
    claims: DynamoDBClaims, event: Any, fields: list[str]
) -> None:
    with pytest.raises(InvalidStartEvent) as refused:
        admit(event, "order-saga", EXECUTION, claims)
    reasons = json.loads(str(refused.value))
    assert sorted(r["field"] for r in reasons) == fields and all(r["reason"] for r in reasons)
    assert boto3.client("dynamodb", region_name="us-east-1").scan(TableName=TABLE)["Items"] == []

"""Admission on the local runtime (functions/admission, asl/admission.py): an event that breaks its contract never
runs a workflow, and an order is worked on once per order id whatever the deliveries and keys, so the customer is
charged once. Events put straight on the bus, as a trusted producer's would arrive (not through ingest, which
refuses them first), and through ingest for the retried webhook."""

from __future__ import annotations

import json
from typing import Any

import pytest

from orchestrator.local.cloud import LocalCloud
from schemas.catalog import event_type_for
from schemas.envelope import Metadata
from tests.builders import api_request, sample_data
from tests.conftest import WHOLE_APP
from tests.workflows.conftest import business_path
from tests.workflows.test_order_saga import service_table

ORDER = sample_data("OrderPlaced")
# Each event-started workflow of the app (its state machine's logical id) and the event that starts it.
STARTS = [
    ("OrderSaga", "OrderPlaced"),
    ("AgentPipeline", "TicketSubmitted"),
    ("DagCustomerOnboarding", "CustomerSignedUp"),
]


def put_order(cloud: LocalCloud, data: dict[str, Any], key: str) -> None:
    metadata = {
        "event_id": f"evt-{key}-{data.get('order_id')}",
        "correlation_id": "c-1",
        "idempotency_key": key,
        "schema_version": 1,
        "occurred_at": "2026-12-07T00:00:00Z",
        "producer": "a-trusted-shop",
    }
    entry = {"EventBusName": cloud.bus_name, "Source": "shop.orders", "DetailType": "OrderPlaced"}
    cloud.client("events").put_events(Entries=[{**entry, "Detail": json.dumps({"metadata": metadata, "data": data})}])


def sagas(cloud: LocalCloud) -> list[dict[str, Any]]:
    cloud.wait_until_quiet(advance_clock=True)
    return cloud.executions(cloud.physical_id("AWS::StepFunctions::StateMachine", "OrderSaga"))


def charged_cents(cloud: LocalCloud) -> int:
    """What the sandbox gateway took in all."""
    ledger = service_table(cloud, "Payments")
    return sum(int(i["amount_cents"]) for k, i in ledger.items() if k.startswith("money#charged#"))


def test_an_invalid_order_never_runs_and_is_quarantined_with_its_reasons(cloud: LocalCloud) -> None:
    put_order(cloud, {**ORDER, "total_cents": "lots", "items": []}, "k-invalid")

    (saga,) = sagas(cloud)

    assert (saga["status"], saga["error"]) == ("FAILED", "InvalidStartEvent")
    fields = {reason["field"] for reason in json.loads(json.loads(saga["cause"])["errorMessage"])}
    assert fields == {"data.items", "data.total_cents"}
    assert [v.name for v in business_path(cloud, saga["executionArn"])] == ["Begin", "Rejected"]
    assert service_table(cloud, "Inventory") == {} and service_table(cloud, "Payments") == {}, "nothing was done"
    quarantine = cloud.physical_id("AWS::SQS::Queue", "SchemaGuardQuarantine")
    (message,) = cloud.client("sqs").receive_message(QueueUrl=quarantine, MaxNumberOfMessages=10)["Messages"]
    assert {e["field"] for e in json.loads(message["Body"])["errors"]} == fields


def test_a_webhook_retried_without_a_key_charges_once(cloud: LocalCloud) -> None:
    function = cloud.physical_id("AWS::Lambda::Function", "IngestFunction")
    body = json.dumps({"events": [{"detail-type": "OrderPlaced", "data": ORDER}]})  # no idempotency_key
    for _ in range(2):
        answer = cloud.client("lambda").invoke(FunctionName=function, Payload=json.dumps(api_request(body)))
        assert json.loads(answer["Payload"].read())["statusCode"] == 202

    ended = sagas(cloud)

    assert sorted(business_path(cloud, s["executionArn"])[-1].name for s in ended) == ["Completed", "Duplicate"]
    keys = {json.loads(s["input"])["detail"]["metadata"]["idempotency_key"] for s in ended}
    assert len(keys) == 1 and keys.pop().startswith("content:"), "ingest gave both the key of their content"
    assert charged_cents(cloud) == ORDER["total_cents"]


def test_one_order_under_two_keys_is_worked_once_and_two_orders_under_one_key_fail_loudly(cloud: LocalCloud) -> None:
    put_order(cloud, ORDER, "first-key")
    sagas(cloud)
    put_order(cloud, ORDER, "second-key")  # the same order, retried by a producer that made a new key
    put_order(cloud, {**ORDER, "order_id": "order-2002"}, "first-key")  # another order, reusing a key

    details = [(json.loads(s["input"])["detail"], s) for s in sagas(cloud)]
    by_order = {f"{d['data']['order_id']}/{d['metadata']['idempotency_key']}": s for d, s in details}

    assert business_path(cloud, by_order["order-1001/first-key"]["executionArn"])[-1].name == "Completed"
    assert business_path(cloud, by_order["order-1001/second-key"]["executionArn"])[-1].name == "Duplicate"
    conflict = by_order["order-2002/first-key"]
    assert (conflict["status"], conflict["error"]) == ("FAILED", "IdempotencyKeyConflict")
    assert "'first-key' was used for order_id 'order-1001'" in conflict["cause"]
    assert charged_cents(cloud) == ORDER["total_cents"], "one order charged, once"


def written(cloud: LocalCloud) -> dict[str, list[dict[str, Any]]]:
    """Every table's items but the event store's (which keeps every event on the bus, invalid ones too), by table."""
    dynamodb = cloud.client("dynamodb")
    event_store = cloud.physical_id("AWS::DynamoDB::Table", "EventStore")
    tables = [t for t in dynamodb.list_tables()["TableNames"] if t != event_store]
    return {t: items for t in tables if (items := dynamodb.scan(TableName=t)["Items"])}


# The report: an OrderPlaced put straight on the bus, its order id a number and its metadata empty, was quarantined,
# and its saga failed at Begin with DynamoDB.SerializationException. That was an assembly synthesized before the
# admission (Begin was a putItem of the event's fields then); every event-started workflow must refuse it at Begin.
@WHOLE_APP
@pytest.mark.parametrize(("workflow", "detail_type"), STARTS)
def test_a_numeric_business_id_and_empty_metadata_run_nothing_and_are_named_field_by_field(
    cloud: LocalCloud, workflow: str, detail_type: str
) -> None:
    event_type = event_type_for(detail_type)
    key = str(event_type.BUSINESS_KEY)
    detail = {"metadata": {}, "data": {**sample_data(detail_type), key: 12345}}
    entry = {"EventBusName": cloud.bus_name, "Source": event_type.SOURCE, "DetailType": detail_type}
    assert cloud.client("events").put_events(Entries=[{**entry, "Detail": json.dumps(detail)}])["FailedEntryCount"] == 0

    cloud.wait_until_quiet(advance_clock=True)

    required = [f"metadata.{name}" for name, field in Metadata.model_fields.items() if field.is_required()]
    expected = {f"data.{key}": "Input should be a valid string", **dict.fromkeys(required, "Field required")}
    quarantine = cloud.physical_id("AWS::SQS::Queue", "SchemaGuardQuarantine")
    (message,) = cloud.client("sqs").receive_message(QueueUrl=quarantine, MaxNumberOfMessages=10)["Messages"]
    assert {e["field"]: e["reason"] for e in json.loads(message["Body"])["errors"]} == expected
    (execution,) = cloud.executions()
    assert execution["stateMachineArn"] == cloud.physical_id("AWS::StepFunctions::StateMachine", workflow)
    assert (execution["status"], execution["error"]) == ("FAILED", "InvalidStartEvent"), execution.get("cause")
    reasons = json.loads(json.loads(execution["cause"])["errorMessage"])
    assert {r["field"]: r["reason"] for r in reasons} == expected
    assert [v.name for v in business_path(cloud, execution["executionArn"])] == ["Begin", "Rejected"]
    assert written(cloud) == {}, "no start claim, no service record, no breaker: nothing of it was done"

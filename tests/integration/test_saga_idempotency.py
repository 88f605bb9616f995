"""Idempotency of the order saga's service handlers in-process against moto, on a real Idempotency table and each
service's own table: a request delivered five times has its side effect once and gets five identical answers; the
same key with another request is refused (IdempotencyValidationError, which the saga sees as the task's error)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyValidationError
from moto import mock_aws

from functions.inventory import handler as inventory_handler
from functions.payments import handler as payments_handler
from functions.shipping import handler as shipping_handler
from tests.builders import LambdaContext, sample_data
from tests.conftest import LogLines
from tests.integration.conftest import IDEMPOTENCY_TABLE, create_idempotency_table

SERVICE_TABLE = "orchestrator-test-saga-service"
SAGA_KEY = "order-1001-placed"

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
HANDLERS: dict[str, Handler] = {
    "inventory": inventory_handler.handler,
    "payments": payments_handler.handler,
    "shipping": shipping_handler.handler,
}


def request(action: str, **changes: Any) -> dict[str, Any]:
    """A service request as the saga sends it: the call's key `<saga key>:<action>`, the saga's key, the order."""
    body: dict[str, Any] = {"action": action, "idempotency_key": f"{SAGA_KEY}:{action}", "saga_key": SAGA_KEY}
    if action in ("reserve", "charge", "arrange"):
        body["order"] = {**sample_data("OrderPlaced"), **changes}
    return body


@pytest.fixture
def service_table(aws_credentials: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The services' settings on moto: one service table (each test drives one service) and the Idempotency table."""
    monkeypatch.setenv("TABLE_NAME", SERVICE_TABLE)
    monkeypatch.setenv("IDEMPOTENCY_TABLE", IDEMPOTENCY_TABLE)
    modules = (inventory_handler, payments_handler, shipping_handler)
    for module in modules:
        module.dependencies.cache_clear()
    with mock_aws():
        create_idempotency_table(IDEMPOTENCY_TABLE)
        dynamodb = boto3.resource("dynamodb")
        yield dynamodb.create_table(
            TableName=SERVICE_TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    for module in modules:
        module.dependencies.cache_clear()


def items(table: Any) -> dict[str, dict[str, Any]]:
    """The service's records (the payments sandbox gateway's ledger, `money#...`, aside)."""
    return {item["pk"]: item for item in table.scan()["Items"] if not item["pk"].startswith("money#")}


def idempotency_records() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = boto3.client("dynamodb").scan(TableName=IDEMPOTENCY_TABLE)["Items"]
    return records


def five_times(service: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    return [HANDLERS[service](copy.deepcopy(body), LambdaContext()) for _ in range(5)]


@pytest.mark.parametrize(
    ("service", "action", "record", "field"),
    [
        ("inventory", "reserve", "reservation", "reservation_id"),
        ("payments", "charge", "payment", "payment_id"),
        ("shipping", "arrange", "shipment", "shipment_id"),
    ],
)
def test_a_step_delivered_five_times_is_done_once_and_answered_five_times_the_same(
    service_table: Any, service: str, action: str, record: str, field: str
) -> None:
    responses = five_times(service, request(action))

    assert responses == [responses[0]] * 5
    (stored,) = items(service_table).values()
    assert (stored["pk"], stored[field]) == (f"{record}#{SAGA_KEY}", responses[0][field])
    (idempotency,) = idempotency_records()
    assert idempotency["status"]["S"] == "COMPLETED"
    # Written only when the invocation's Lambda context was registered: an in-progress call expires with it.
    assert "in_progress_expiration" in idempotency


@pytest.mark.parametrize(
    ("service", "step", "compensation", "record", "status", "done"),
    [
        ("inventory", "reserve", "release", "reservation", "RELEASED", "released"),
        ("payments", "charge", "refund", "payment", "REFUNDED", "refunded"),
    ],
)
def test_a_compensation_delivered_five_times_undoes_once_and_answers_five_times_the_same(
    service_table: Any, service: str, step: str, compensation: str, record: str, status: str, done: str
) -> None:
    HANDLERS[service](request(step), LambdaContext())

    responses = five_times(service, request(compensation))

    # Without the stored answer, the second call would find the step undone already and answer `False`.
    assert [r[done] for r in responses] == [True] * 5
    assert responses == [responses[0]] * 5
    assert items(service_table)[f"{record}#{SAGA_KEY}"]["status"] == status
    assert len(idempotency_records()) == 2, "one record per call: the step and its compensation"


@pytest.mark.parametrize(
    ("service", "action", "record"),
    [("inventory", "reserve", "reservation"), ("payments", "charge", "payment"), ("shipping", "arrange", "shipment")],
)
def test_the_same_key_with_a_changed_request_is_refused_and_changes_nothing(
    service_table: Any, service: str, action: str, record: str
) -> None:
    first = HANDLERS[service](request(action), LambdaContext())
    before = items(service_table)
    changed = request(action, total_cents=9900, shipping_option="express")

    with pytest.raises(IdempotencyValidationError):
        HANDLERS[service](changed, LambdaContext())

    assert items(service_table) == before and f"{record}#{SAGA_KEY}" in before
    assert HANDLERS[service](request(action), LambdaContext()) == first, "the first request still gets its answer"


@pytest.mark.parametrize(
    ("service", "action"), [("inventory", "reserve"), ("payments", "charge"), ("shipping", "arrange")]
)
def test_every_log_line_of_a_service_carries_the_orders_correlation_id(
    service_table: Any, log_lines: LogLines, service: str, action: str
) -> None:
    HANDLERS[service]({**request(action), "correlation_id": "order-1001"}, LambdaContext())

    lines = log_lines()
    assert lines, "the handler logged"
    assert {line.get("correlation_id") for line in lines} == {"order-1001"}

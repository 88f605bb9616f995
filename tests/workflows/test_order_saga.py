"""The order saga end to end on the real assembly: OrderPlaced on the bus → rule → state machine → the real
inventory, payments and shipping handlers on their own tables; compensations, retries and escalations driven by the
order's content (tests/unit/test_saga_services.py lists the sandbox's test tokens)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from orchestrator.local.cloud import LocalCloud
from schemas.orders import OrderPlaced
from tests.builders import delivered_event, sample_data
from tests.workflows.conftest import Tap, business_path

ORDER_ID = "order-1001"
TRANSIENT_ATTEMPTS = 3  # config/stages.json, dev: order_saga.transient_retry.max_attempts
COMPENSATION_ATTEMPTS = 8  # dev: order_saga.compensation_retry.max_attempts

SUCCESS_PATH = [
    "Begin", "ReserveInventory", "ChargePayment", "ArrangeShipping", "PublishCompleted", "CountCompleted", "Completed",
]  # fmt: skip
CANCELLED_END = ["Cancel", "PublishCancelled", "CountCancelled", "EverythingUndone", "Cancelled"]


def table_by_key(cloud: LocalCloud, logical_id_prefix: str, key: str) -> dict[str, dict[str, Any]]:
    """A table's items by primary key, plain values (DynamoDB's type tags taken off)."""
    name = cloud.physical_id("AWS::DynamoDB::Table", logical_id_prefix)
    return {item[key]["S"]: {k: next(iter(v.values())) for k, v in item.items()} for item in cloud.table_items(name)}


def service_table(cloud: LocalCloud, service: str) -> dict[str, dict[str, Any]]:
    """The items of a saga service's own table (Inventory, Payments, Shipping) by `pk`."""
    return table_by_key(cloud, f"OrderSaga{service}", "pk")


class Saga:
    """One order run through the saga: its execution, path, service tables and the events on the bus."""

    def __init__(self, cloud: LocalCloud, bus_tap: Tap, **order: Any) -> None:
        data = sample_data("OrderPlaced")
        if "sku" in order:
            data["items"][0]["sku"] = order.pop("sku")
        cloud.put_event(OrderPlaced.model_validate({**data, **order}), correlation_id=ORDER_ID)
        machine = cloud.physical_id("AWS::StepFunctions::StateMachine", "OrderSaga")
        # A saga waits on nothing outside the system: once still (clock advanced past every retry), it has ended.
        cloud.wait_until_quiet(advance_clock=True)
        (self.execution,) = cloud.executions(machine)
        self.arn = self.execution["executionArn"]
        self.visits = business_path(cloud, self.arn)
        self.history = cloud.history(self.arn)
        self.events = [e for e in bus_tap.events() if e["detail-type"] != "OrderPlaced"]
        self._cloud = cloud

    @property
    def path(self) -> list[str]:
        return [v.name for v in self.visits]

    def outcome(self, state: str) -> list[str]:
        return [v.outcome for v in self.visits if v.name == state]

    @property
    def output(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.execution["output"])
        return loaded

    def table(self, service: str) -> dict[str, dict[str, Any]]:
        """The service's records (the sandbox gateway's ledger aside: `balance`)."""
        return {pk: i for pk, i in service_table(self._cloud, service).items() if not pk.startswith("money#")}

    def balance(self) -> int:
        """What the customer paid in all, by the sandbox gateway's ledger (charges less refunds)."""
        ledger = {pk: int(i["amount_cents"]) for pk, i in service_table(self._cloud, "Payments").items()}
        return sum(v if pk.startswith("money#charged#") else -v for pk, v in ledger.items() if pk.startswith("money#"))

    def status(self, service: str, prefix: str) -> str | None:
        found = [i["status"] for pk, i in self.table(service).items() if pk.startswith(prefix)]
        return found[0] if found else None

    def failed_attempts(self, state: str) -> list[str]:
        """The errors of the state's failed task attempts, in order (a retried state shows more than one)."""
        errors, current = [], ""
        for event in sorted(self.history, key=lambda e: int(e["id"])):
            current = event.get("stateEnteredEventDetails", {}).get("name", current)
            if event["type"] == "TaskFailed" and current == state:
                errors.append(event["taskFailedEventDetails"]["error"])
        return errors

    def emitted(self, detail_type: str) -> list[dict[str, Any]]:
        return [e["detail"] for e in self.events if e["detail-type"] == detail_type]


@pytest.fixture
def bus_tap(cloud: LocalCloud) -> Tap:
    return Tap(cloud, cloud.bus_name, {"source": ["shop.orders"]}, "test-orders-tap")


@pytest.fixture
def quarantine(cloud: LocalCloud) -> str:
    return cloud.physical_id("AWS::SQS::Queue", "SchemaGuardQuarantine")


def test_an_order_is_reserved_charged_shipped_and_completed(cloud: LocalCloud, bus_tap: Tap, quarantine: str) -> None:
    saga = Saga(cloud, bus_tap)

    assert saga.execution["status"] == "SUCCEEDED"
    assert saga.path == SUCCESS_PATH
    assert {v.outcome for v in saga.visits} == {"succeeded"}
    assert saga.status("Inventory", "reservation#") == "RESERVED"
    assert saga.status("Payments", "payment#") == "CHARGED"
    assert saga.status("Shipping", "shipment#") == "ARRANGED"
    (payment,) = saga.table("Payments").values()
    assert (payment["order_id"], payment["amount_cents"], payment["currency"]) == (ORDER_ID, "4200", "EUR")
    assert saga.balance() == 4200, "charged once, by the gateway's ledger"
    (completed,) = saga.emitted("OrderCompleted")
    assert completed["data"] == saga.output
    assert completed["data"]["payment_id"] == payment["payment_id"]
    assert completed["metadata"]["correlation_id"] == ORDER_ID
    assert [e["detail-type"] for e in saga.events] == ["OrderCompleted"]
    assert cloud.queue_depth(quarantine) == 0, "what the saga emits honours its contract"


def test_out_of_stock_cancels_at_once_with_nothing_to_undo(cloud: LocalCloud, bus_tap: Tap, quarantine: str) -> None:
    saga = Saga(cloud, bus_tap, sku="OUT-OF-STOCK")

    assert saga.execution["status"] == "SUCCEEDED"
    assert saga.path == ["Begin", "ReserveInventory", *CANCELLED_END]
    assert saga.outcome("ReserveInventory") == ["caught OutOfStock"]
    assert saga.failed_attempts("ReserveInventory") == ["OutOfStock"], "a business failure is not retried"
    assert saga.table("Inventory") == saga.table("Payments") == saga.table("Shipping") == {}
    (cancelled,) = saga.emitted("OrderCancelled")
    assert cancelled["data"] == {
        "order_id": ORDER_ID,
        "reason": "OutOfStock: no stock for OUT-OF-STOCK",
        "failed_step": "inventory",
        "compensated_steps": [],
        "escalated_steps": [],
    }
    assert cloud.queue_depth(quarantine) == 0


def test_a_declined_payment_releases_the_inventory(cloud: LocalCloud, bus_tap: Tap) -> None:
    saga = Saga(cloud, bus_tap, payment_method="card-declined")

    assert saga.execution["status"] == "SUCCEEDED"
    assert saga.path == ["Begin", "ReserveInventory", "ChargePayment", "ReleaseInventory", *CANCELLED_END]
    assert saga.failed_attempts("ChargePayment") == ["PaymentDeclined"]
    assert saga.status("Inventory", "reservation#") == "RELEASED"
    assert saga.status("Payments", "payment#") == "DECLINED" and saga.table("Shipping") == {}
    assert saga.balance() == 0
    (cancelled,) = saga.emitted("OrderCancelled")
    assert cancelled["data"]["failed_step"] == "payment"
    assert cancelled["data"]["reason"].startswith("PaymentDeclined: the card was declined")
    assert cancelled["data"]["compensated_steps"] == ["inventory"]


def test_no_carrier_refunds_then_releases_in_reverse_order(cloud: LocalCloud, bus_tap: Tap) -> None:
    saga = Saga(cloud, bus_tap, shipping_option="no-carrier")

    assert saga.path == [
        "Begin", "ReserveInventory", "ChargePayment", "ArrangeShipping", "RefundPayment", "ReleaseInventory",
        *CANCELLED_END,
    ]  # fmt: skip
    assert saga.outcome("ArrangeShipping") == ["caught NoCarrierAvailable"]
    assert saga.status("Payments", "payment#") == "REFUNDED"
    assert saga.balance() == 0, "the customer is paid back"
    assert saga.status("Inventory", "reservation#") == "RELEASED"
    assert saga.table("Shipping") == {}
    (cancelled,) = saga.emitted("OrderCancelled")
    assert (cancelled["data"]["failed_step"], cancelled["data"]["compensated_steps"]) == (
        "shipping",
        ["payment", "inventory"],
    )
    assert saga.output == cancelled["data"]


def test_a_transient_gateway_timeout_is_retried_and_the_order_completes(cloud: LocalCloud, bus_tap: Tap) -> None:
    saga = Saga(cloud, bus_tap, payment_method="card-flaky-once")

    assert saga.execution["status"] == "SUCCEEDED"
    assert saga.path == SUCCESS_PATH
    assert saga.failed_attempts("ChargePayment") == ["PaymentGatewayTimeout"], "one failure, then the retry succeeded"
    assert saga.status("Payments", "payment#") == "CHARGED"
    assert any(pk.startswith("fault#charge#") for pk in saga.table("Payments")), "the one-shot fault is remembered"
    assert [e["detail-type"] for e in saga.events] == ["OrderCompleted"]


def test_a_gateway_that_stays_down_exhausts_its_retries_then_refunds_nothing_and_releases(
    cloud: LocalCloud, bus_tap: Tap
) -> None:
    saga = Saga(cloud, bus_tap, payment_method="card-gateway-down")

    assert saga.failed_attempts("ChargePayment") == ["PaymentGatewayTimeout"] * (1 + TRANSIENT_ATTEMPTS)
    assert saga.path == [
        "Begin", "ReserveInventory", "ChargePayment", "RefundPayment", "ReleaseInventory", *CANCELLED_END,
    ]  # fmt: skip
    # The charge's outcome was unknown: the refund ran, and the gateway had taken nothing.
    assert saga.status("Payments", "payment#") == "VOIDED"
    assert saga.balance() == 0
    (cancelled,) = saga.emitted("OrderCancelled")
    assert cancelled["data"]["compensated_steps"] == ["inventory"]


def test_a_refund_that_fails_once_is_retried_and_the_saga_is_cancelled_cleanly(cloud: LocalCloud, bus_tap: Tap) -> None:
    saga = Saga(cloud, bus_tap, payment_method="refund-flaky", shipping_option="no-carrier")

    assert saga.execution["status"] == "SUCCEEDED"
    assert saga.failed_attempts("RefundPayment") == ["RefundFailed"]
    assert saga.outcome("RefundPayment") == ["succeeded"]
    assert saga.path[-len(CANCELLED_END) - 2 :] == ["RefundPayment", "ReleaseInventory", *CANCELLED_END]
    assert saga.status("Payments", "payment#") == "REFUNDED"
    assert saga.status("Inventory", "reservation#") == "RELEASED"
    assert saga.emitted("OrderCompensationEscalated") == []
    (cancelled,) = saga.emitted("OrderCancelled")
    assert cancelled["data"]["compensated_steps"] == ["payment", "inventory"]


def test_a_refund_that_never_succeeds_escalates_and_the_rest_is_still_undone(cloud: LocalCloud, bus_tap: Tap) -> None:
    escalations = cloud.physical_id("AWS::SQS::Queue", "OrderSagaEscalationsQueue")

    saga = Saga(cloud, bus_tap, payment_method="refund-broken", shipping_option="no-carrier")

    assert saga.failed_attempts("RefundPayment") == ["RefundFailed"] * (1 + COMPENSATION_ATTEMPTS)
    assert saga.path[3:] == [
        "ArrangeShipping", "RefundPayment", "EscalateRefund", "ReleaseInventory", "Cancel", "PublishCancelled",
        "CountCancelled", "EverythingUndone", "CompensationEscalated",
    ]  # fmt: skip
    assert (saga.execution["status"], saga.execution["error"]) == ("FAILED", "CompensationEscalated")
    assert saga.status("Payments", "payment#") == "CHARGED", "the money is still taken: a person must refund it"
    assert saga.status("Inventory", "reservation#") == "RELEASED"
    (escalated,) = saga.emitted("OrderCompensationEscalated")
    assert {k: escalated["data"][k] for k in ("order_id", "step", "compensation", "error", "failed_step")} == {
        "order_id": ORDER_ID,
        "step": "payment",
        "compensation": "refund_payment",
        "error": "RefundFailed",
        "failed_step": "shipping",
    }
    assert "refused to refund" in escalated["data"]["cause"]
    (cancelled,) = saga.emitted("OrderCancelled")
    assert (cancelled["data"]["compensated_steps"], cancelled["data"]["escalated_steps"]) == (
        ["inventory"],
        ["payment"],
    )
    assert cloud.queue_depth(escalations) == 1, "the escalation waits, alarmed, for a person"


def test_an_order_delivered_again_after_its_saga_ended_does_nothing_the_second_time(
    cloud: LocalCloud, bus_tap: Tap
) -> None:
    first = Saga(cloud, bus_tap)
    (placed,) = [e for e in bus_tap.seen if e["detail-type"] == "OrderPlaced"]
    entry = {"EventBusName": cloud.bus_name, "Source": placed["source"], "DetailType": "OrderPlaced"}

    cloud.client("events").put_events(Entries=[{**entry, "Detail": json.dumps(placed["detail"])}])
    cloud.wait_until_quiet(advance_clock=True)

    executions = cloud.executions(cloud.physical_id("AWS::StepFunctions::StateMachine", "OrderSaga"))
    assert [e["status"] for e in executions] == ["SUCCEEDED", "SUCCEEDED"]
    assert cloud.stepfunctions.history_path(executions[1]["executionArn"])[-1].name == "Duplicate"
    for service in ("Inventory", "Payments", "Shipping"):
        assert len(first.table(service)) == 1, f"{service}: one item, written once"
    assert [e["detail-type"] for e in bus_tap.events() if e["detail-type"] != "OrderPlaced"] == ["OrderCompleted"]


def test_the_same_order_delivered_five_times_is_reserved_charged_shipped_and_completed_once(
    cloud: LocalCloud, bus_tap: Tap
) -> None:
    # One OrderPlaced (one envelope, so one idempotency key) delivered five times at once, as an at-least-once bus
    # may: the rule starts an execution per delivery, and they race for the order's claim.
    placed = delivered_event("OrderPlaced", "shop.orders", idempotency_key="order-1001-placed")
    entry = {"EventBusName": cloud.bus_name, "Source": placed["source"], "DetailType": "OrderPlaced"}
    cloud.client("events").put_events(Entries=[{**entry, "Detail": json.dumps(placed["detail"])}] * 5)
    cloud.wait_until_quiet(advance_clock=True)

    executions = cloud.executions(cloud.physical_id("AWS::StepFunctions::StateMachine", "OrderSaga"))
    paths = {e["executionArn"]: [v.name for v in business_path(cloud, e["executionArn"])] for e in executions}
    (winner,) = [arn for arn, path in paths.items() if path == SUCCESS_PATH]
    duplicates = [arn for arn in paths if arn != winner]

    assert len(executions) == 5 and {e["status"] for e in executions} == {"SUCCEEDED"}
    assert [paths[arn] for arn in duplicates] == [["Begin", "Duplicate"]] * 4
    for arn in duplicates:
        (failed,) = [e for e in cloud.history(arn) if e["type"] == "TaskFailed"]
        assert failed["taskFailedEventDetails"]["error"] == "DuplicateStart"
        (duplicate,) = [e for e in executions if e["executionArn"] == arn]
        assert json.loads(duplicate["output"]) == {"duplicate": f"order-saga already started for order_id {ORDER_ID!r}"}
    assert list(service_table(cloud, "Inventory")) == ["reservation#order-1001-placed"]
    # One payment, and the gateway charged it once.
    assert list(service_table(cloud, "Payments")) == ["money#charged#order-1001-placed", "payment#order-1001-placed"]
    assert list(service_table(cloud, "Shipping")) == ["shipment#order-1001-placed"]
    saga_events = [e for e in bus_tap.events() if e["detail-type"] != "OrderPlaced"]
    (completed,) = saga_events
    assert completed["detail-type"] == "OrderCompleted"
    assert (
        completed["detail"]["data"]["payment_id"]
        == service_table(cloud, "Payments")["payment#order-1001-placed"]["payment_id"]
    )
    records = table_by_key(cloud, "Idempotency", "id")
    # The order's claim, and its idempotency key's (naming the order), both the winner's (functions/admission).
    claim = records.pop(f"order-saga#{ORDER_ID}")
    assert (claim["status"], claim["execution_arn"], claim["idempotency_key"]) == (
        "CLAIMED",
        winner,
        "order-1001-placed",
    )
    key_claim = records.pop("order-saga#key#order-1001-placed")
    assert (key_claim["business_id"], key_claim["execution_arn"]) == (ORDER_ID, winner)
    assert sorted(r["status"] for r in records.values()) == ["COMPLETED"] * 3, "one Powertools record per call"

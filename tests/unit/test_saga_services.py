"""The order saga's services, logic only: fakes for their tables, the sandbox gateway's test tokens."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from functions.inventory.logic import (
    OutOfStock,
    ReleaseRequest,
    Reservation,
    ReserveRequest,
    release,
    reserve,
)
from functions.payments.gateway import SandboxGateway
from functions.payments.logic import (
    ChargeRequest,
    Payment,
    PaymentDeclined,
    PaymentGatewayTimeout,
    RefundFailed,
    RefundRequest,
    charge,
    refund,
)
from functions.shipping.logic import SANDBOX_CARRIER, ArrangeRequest, NoCarrierAvailable, Shipment, arrange
from schemas.orders import OrderPlaced
from tests.builders import sample_data

KEY = "order-1001-placed"


def keys(action: str, saga_key: str = KEY) -> dict[str, str]:
    """A saga request's keys as the saga sends them: the call's own, and the saga's."""
    return {"idempotency_key": f"{saga_key}:{action}", "saga_key": saga_key}


def order(**changes: Any) -> OrderPlaced:
    data = sample_data("OrderPlaced")
    if "sku" in changes:
        data["items"][0]["sku"] = changes.pop("sku")
    return OrderPlaced.model_validate({**data, **changes})


@dataclass
class FakeTable:
    """Any service's table port: items by key, a conditional add, and the calls that changed something."""

    items: dict[str, Any] = field(default_factory=dict)
    writes: list[tuple[str, str]] = field(default_factory=list)
    faults: set[str] = field(default_factory=set)

    def add(self, key: str, item: Any) -> Any:
        if key in self.items:
            return self.items[key]
        self.items[key] = item
        self.writes.append(("add", key))
        return item

    def get(self, key: str) -> Any:
        return self.items.get(key)

    def release(self, key: str) -> None:
        self.items[key] = replace(self.items[key], status="RELEASED")
        self.writes.append(("release", key))

    def refunded(self, key: str) -> None:
        self.items[key] = replace(self.items[key], status="REFUNDED")
        self.writes.append(("refund", key))

    def first_time(self, name: str) -> bool:
        first = name not in self.faults
        self.faults.add(name)
        return first


@dataclass
class RecordingGateway:
    """A gateway that says yes and remembers; `declines` makes every charge a PaymentDeclined."""

    declines: bool = False
    calls: list[tuple[str, str]] = field(default_factory=list)

    def charge(self, key: str, order_id: str, amount_cents: int, currency: str, method: str) -> None:
        self.calls.append(("charge", key))
        if self.declines:
            raise PaymentDeclined("no")

    def refund(self, key: str, payment: Payment) -> None:
        self.calls.append(("refund", key))


# -- inventory ---------------------------------------------------------------------------------------------------


def test_reserving_holds_the_orders_items_once_per_saga() -> None:
    table = FakeTable()
    request = ReserveRequest(action="reserve", **keys("reserve"), order=order())

    first = reserve(request, table, new_id="res-1")
    again = reserve(request, table, new_id="res-2")

    assert first == again == Reservation("res-1", "order-1001", "RESERVED", list(order().items))
    assert table.writes == [("add", KEY)]


def test_the_out_of_stock_sku_is_a_business_failure_that_holds_nothing() -> None:
    table = FakeTable()
    with pytest.raises(OutOfStock, match="OUT-OF-STOCK"):
        reserve(ReserveRequest(action="reserve", **keys("reserve"), order=order(sku="OUT-OF-STOCK")), table, "r")
    assert table.items == {}


def test_releasing_gives_back_once_and_releasing_nothing_changes_nothing() -> None:
    table = FakeTable()
    reserve(ReserveRequest(action="reserve", **keys("reserve"), order=order()), table, new_id="res-1")
    request = ReleaseRequest(action="release", **keys("release"))

    assert (release(request, table).released, release(request, table).released) == (True, False)
    assert table.items[KEY].status == "RELEASED"
    assert (
        release(ReleaseRequest(action="release", **keys("release", saga_key="never-reserved")), table).released is False
    )
    assert table.writes == [("add", KEY), ("release", KEY)]


# -- payments ----------------------------------------------------------------------------------------------------


def test_charging_charges_the_total_once_per_saga() -> None:
    table, gateway = FakeTable(), RecordingGateway()
    request = ChargeRequest(action="charge", **keys("charge"), order=order())

    first = charge(request, table, gateway, new_id="pay-1")
    again = charge(request, table, gateway, new_id="pay-2")

    assert first == again == Payment("pay-1", "order-1001", 4200, "EUR", "card", "CHARGED")
    assert gateway.calls == [("charge", KEY)]


def test_a_declined_charge_stores_nothing() -> None:
    table = FakeTable()
    with pytest.raises(PaymentDeclined):
        charge(ChargeRequest(action="charge", **keys("charge"), order=order()), table, RecordingGateway(True), "p")
    assert table.items == {}


def test_refunding_pays_back_once_and_refunding_what_was_never_charged_changes_nothing() -> None:
    table, gateway = FakeTable(), RecordingGateway()
    charge(ChargeRequest(action="charge", **keys("charge"), order=order()), table, gateway, new_id="pay-1")
    request = RefundRequest(action="refund", **keys("refund"))

    assert (refund(request, table, gateway).refunded, refund(request, table, gateway).refunded) == (True, False)
    assert (
        refund(RefundRequest(action="refund", **keys("refund", saga_key="never-charged")), table, gateway).refunded
        is False
    )
    assert table.items[KEY].status == "REFUNDED"
    assert gateway.calls == [("charge", KEY), ("refund", KEY)]


@pytest.mark.parametrize(
    ("method", "attempts"),
    [
        ("card", ["ok", "ok"]),
        ("card-declined", ["PaymentDeclined", "PaymentDeclined"]),
        ("card-flaky-once", ["PaymentGatewayTimeout", "ok"]),
        ("card-gateway-down", ["PaymentGatewayTimeout", "PaymentGatewayTimeout"]),
    ],
)
def test_the_sandbox_gateway_charges_by_test_token(method: str, attempts: list[str]) -> None:
    gateway = SandboxGateway(FakeTable())
    outcomes = []
    for _ in attempts:
        try:
            gateway.charge(KEY, "order-1001", 4200, "EUR", method)
            outcomes.append("ok")
        except (PaymentDeclined, PaymentGatewayTimeout) as error:
            outcomes.append(type(error).__name__)
    assert outcomes == attempts


@pytest.mark.parametrize(
    ("method", "attempts"),
    [
        ("card", ["ok"]),
        ("refund-flaky", ["RefundFailed", "ok", "ok"]),
        ("refund-broken", ["RefundFailed", "RefundFailed", "RefundFailed"]),
    ],
)
def test_the_sandbox_gateway_refunds_by_test_token(method: str, attempts: list[str]) -> None:
    gateway = SandboxGateway(FakeTable())
    payment = Payment("pay-1", "order-1001", 4200, "EUR", method, "CHARGED")
    outcomes = []
    for _ in attempts:
        try:
            gateway.refund(KEY, payment)
            outcomes.append("ok")
        except RefundFailed as error:
            outcomes.append(type(error).__name__)
    assert outcomes == attempts


def test_a_one_shot_fault_fires_once_per_saga_not_once_per_process() -> None:
    ledger = FakeTable()
    gateway = SandboxGateway(ledger)
    for key in ("saga-a", "saga-b"):
        with pytest.raises(PaymentGatewayTimeout):
            gateway.charge(key, "order", 1, "EUR", "card-flaky-once")
        gateway.charge(key, "order", 1, "EUR", "card-flaky-once")
    assert ledger.faults == {"charge#saga-a", "charge#saga-b"}


# -- shipping ----------------------------------------------------------------------------------------------------


def test_arranging_ships_once_per_saga_with_the_sandbox_carrier() -> None:
    table = FakeTable()
    request = ArrangeRequest(action="arrange", **keys("arrange"), order=order())

    first = arrange(request, table, new_id="ship-1")
    again = arrange(request, table, new_id="ship-2")

    assert first == again == Shipment("ship-1", "order-1001", SANDBOX_CARRIER, "standard")
    assert table.writes == [("add", KEY)]


def test_an_option_no_carrier_serves_is_a_business_failure_that_ships_nothing() -> None:
    table = FakeTable()
    request = ArrangeRequest(action="arrange", **keys("arrange"), order=order(shipping_option="no-carrier"))
    with pytest.raises(NoCarrierAvailable):
        arrange(request, table, new_id="ship-1")
    assert table.items == {}

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
    money: dict[str, int] = field(default_factory=dict)  # the sandbox gateway's ledger
    crash_on_settle: int = 0  # the next n settles crash (the function killed between the gateway and the record)

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

    def mark(self, key: str, status: str) -> None:
        if status == "CHARGED" and self.crash_on_settle:
            self.crash_on_settle -= 1
            raise Crash("the function was killed")
        self.items[key] = replace(self.items[key], status=status)
        self.writes.append((status.lower(), key))

    def first_time(self, name: str) -> bool:
        first = name not in self.faults
        self.faults.add(name)
        return first

    def money_moved(self, name: str, amount_cents: int) -> bool:
        if name in self.money:
            return False
        self.money[name] = amount_cents
        return True

    def money_moved_before(self, name: str) -> bool:
        return name in self.money

    def balance(self) -> int:
        """What the customer paid in all, by the gateway's ledger."""
        return sum(v if k.startswith("charged#") else -v for k, v in self.money.items())


class Crash(Exception):
    """The function dies mid-way: on Lambda the saga sees `Lambda.Unknown`."""


@dataclass
class RecordingGateway:
    """A gateway that says yes and remembers; `declines` makes every charge a PaymentDeclined."""

    declines: bool = False
    calls: list[tuple[str, str]] = field(default_factory=list)

    def charge(self, key: str, order_id: str, amount_cents: int, currency: str, method: str) -> None:
        self.calls.append(("charge", key))
        if self.declines:
            raise PaymentDeclined("no")

    def refund(self, key: str, payment: Payment) -> bool:
        self.calls.append(("refund", key))
        return True


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
    assert table.writes == [("add", KEY), ("charged", KEY)], "recorded pending before the gateway, settled after"


def test_a_declined_charge_is_recorded_declined_moves_no_money_and_its_refund_pays_nothing() -> None:
    table = FakeTable()
    gateway = SandboxGateway(table)
    with pytest.raises(PaymentDeclined):
        charge(
            ChargeRequest(action="charge", **keys("charge"), order=order(payment_method="card-declined")),
            table,
            gateway,
            "p",
        )
    assert table.items[KEY].status == "DECLINED"
    assert refund(RefundRequest(action="refund", **keys("refund")), table, gateway).refunded is False
    assert table.money == {} and table.balance() == 0


def test_a_decline_whose_answer_was_lost_is_declined_again_when_the_charge_is_retried() -> None:
    # The first attempt declined and recorded it, then its answer was lost (it ran past its timeout: Sandbox.Timedout,
    # which the saga retries); a full soak saw the retry answer the DECLINED payment as a success, and ship the order.
    table = FakeTable()
    gateway = SandboxGateway(table)
    request = ChargeRequest(action="charge", **keys("charge"), order=order(payment_method="card-declined"))
    with pytest.raises(PaymentDeclined):
        charge(request, table, gateway, "p")

    with pytest.raises(PaymentDeclined, match="order-1001"):
        charge(request, table, gateway, "p")
    assert table.items[KEY].status == "DECLINED" and table.balance() == 0


def test_a_crash_between_the_gateway_and_the_record_charges_once_when_the_charge_is_retried() -> None:
    table = FakeTable(crash_on_settle=1)
    gateway = SandboxGateway(table)
    request = ChargeRequest(action="charge", **keys("charge"), order=order())
    with pytest.raises(Crash):
        charge(request, table, gateway, new_id="pay-1")
    assert table.items[KEY].status == "PENDING", "the refund can find what the gateway took"
    assert table.balance() == 4200

    retried = charge(request, table, gateway, new_id="pay-2")  # the saga retries Lambda.Unknown

    assert retried == Payment("pay-1", "order-1001", 4200, "EUR", "card", "CHARGED")
    assert table.balance() == 4200, "charged once"


def test_a_crash_between_the_gateway_and_the_record_then_the_compensation_refunds_the_customer() -> None:
    table = FakeTable(crash_on_settle=1)
    gateway = SandboxGateway(table)
    with pytest.raises(Crash):
        charge(ChargeRequest(action="charge", **keys("charge"), order=order()), table, gateway, new_id="pay-1")

    refunded = refund(RefundRequest(action="refund", **keys("refund")), table, gateway)

    assert refunded.refunded and table.items[KEY].status == "REFUNDED"
    assert table.money == {f"charged#{KEY}": 4200, f"refunded#{KEY}": 4200}
    assert table.balance() == 0, "the ledger balances: the customer is paid back"


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

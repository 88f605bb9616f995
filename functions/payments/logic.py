"""Payments: charges the customer for an order (charge) and pays it back (refund).

Both are keyed by the saga's key (`saga_key`, the `OrderPlaced` envelope's idempotency key), and so is every call to
the gateway (as payment providers take an idempotency key: the same key never moves money twice). The money moves
through a `PaymentGateway` port (functions/payments/gateway.py).

Money-safe, whatever crashes where: a charge is recorded PENDING *before* the gateway is called and settled CHARGED
after. A crash between the two (the function killed, its answer lost: `Lambda.Unknown`, which the saga retries)
leaves the PENDING record: the retried charge calls the gateway again with the same key (no second charge) and
settles; a refund (the saga's compensation) finds the record and pays back what the gateway may have taken. A
payment is never charged without a record the refund can find. A retried or redelivered charge of a settled payment
charges nothing, even after the handler's idempotency record of the call (functions/idempotency.py) has expired; a
refund of what was never charged, or refunded already, changes nothing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal, Protocol

from functions.records import SagaCall
from schemas.orders import OrderPlaced

# PENDING: recorded, the gateway asked; CHARGED: the gateway took it; DECLINED: the gateway refused it; REFUNDED: paid
# back; VOIDED: a pending charge the gateway never took, closed by the refund.
PaymentStatus = Literal["PENDING", "CHARGED", "DECLINED", "REFUNDED", "VOIDED"]


class PaymentDeclined(Exception):  # noqa: N818 - the name is the error the state machine routes on
    """Business failure: the payment method was refused. The saga compensates at once, no retry."""


class PaymentGatewayTimeout(Exception):  # noqa: N818 - the name is the error the state machine retries on
    """Transient failure: the gateway or the store did not answer in time. The saga retries with backoff."""


class RefundFailed(Exception):  # noqa: N818 - a compensation's error: retried, then escalated
    """The gateway did not refund. The saga retries the refund, and escalates when it keeps failing."""


@dataclass(frozen=True)
class Payment:
    payment_id: str
    order_id: str
    amount_cents: int
    currency: str
    method: str
    status: PaymentStatus


class Payments(Protocol):
    """The payments service's own table, one payment per saga (idempotency key)."""

    def add(self, key: str, payment: Payment) -> Payment:
        """Stores `payment` under `key` unless one is there already; returns the one stored."""

    def get(self, key: str) -> Payment | None: ...

    def mark(self, key: str, status: PaymentStatus) -> None:
        """The payment under `key` is now `status`."""


class PaymentGateway(Protocol):
    """Moves the money. Raises `PaymentDeclined`, `PaymentGatewayTimeout` or `RefundFailed`."""

    def charge(self, key: str, order_id: str, amount_cents: int, currency: str, method: str) -> None: ...

    def refund(self, key: str, payment: Payment) -> bool:
        """Pays back the charge under `key`; whether it is paid back (now or before): False, nothing was taken."""


class ChargeRequest(SagaCall):
    action: Literal["charge"]
    order: OrderPlaced


class RefundRequest(SagaCall):
    action: Literal["refund"]


@dataclass(frozen=True)
class Refunded:
    refunded: bool  # False: nothing to refund (never charged, or refunded before)
    payment_id: str | None


def charge(request: ChargeRequest, payments: Payments, gateway: PaymentGateway, new_id: str) -> Payment:
    """Charges the order's total once per saga: recorded PENDING, charged, settled CHARGED."""
    order = request.order
    payment = payments.get(request.saga_key)
    if payment is None:
        pending = Payment(new_id, order.order_id, order.total_cents, order.currency, order.payment_method, "PENDING")
        payment = payments.add(request.saga_key, pending)
    if payment.status == "DECLINED":
        # Declined before, and that answer was lost (the attempt timed out, or its process died after the record):
        # the retry answers the same decline, or the saga would go on to ship an unpaid order.
        raise PaymentDeclined(f"the payment of order {order.order_id} was declined")
    if payment.status != "PENDING":
        return payment  # charged already (or refunded: the saga moved on; never charge again)
    try:
        gateway.charge(request.saga_key, order.order_id, order.total_cents, order.currency, order.payment_method)
    except PaymentDeclined:
        payments.mark(request.saga_key, "DECLINED")
        raise
    payments.mark(request.saga_key, "CHARGED")
    return dataclasses.replace(payment, status="CHARGED")


def refund(request: RefundRequest, payments: Payments, gateway: PaymentGateway) -> Refunded:
    """Pays back what the saga charged (or may have: a PENDING charge whose answer was lost), once."""
    existing = payments.get(request.saga_key)
    if existing is None or existing.status not in ("PENDING", "CHARGED"):
        return Refunded(False, existing.payment_id if existing else None)
    paid_back = gateway.refund(request.saga_key, existing)
    payments.mark(request.saga_key, "REFUNDED" if paid_back else "VOIDED")
    return Refunded(paid_back, existing.payment_id)

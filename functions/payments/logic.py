"""Payments: charges the customer for an order (charge) and pays it back (refund), one local transaction each.

Both are keyed by the saga's key (`saga_key`, the `OrderPlaced` envelope's idempotency key): a retried or redelivered
charge finds the payment already stored and charges nothing twice, even after the handler's idempotency record of the
call (functions/idempotency.py) has expired; a refund of what was never charged, or refunded already, changes
nothing. The money moves through a `PaymentGateway` port (functions/payments/gateway.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from functions.records import SagaCall
from schemas.orders import OrderPlaced

PaymentStatus = Literal["CHARGED", "REFUNDED"]


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

    def refunded(self, key: str) -> None:
        """Marks the payment under `key` refunded."""


class PaymentGateway(Protocol):
    """Moves the money. Raises `PaymentDeclined`, `PaymentGatewayTimeout` or `RefundFailed`."""

    def charge(self, key: str, order_id: str, amount_cents: int, currency: str, method: str) -> None: ...

    def refund(self, key: str, payment: Payment) -> None: ...


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
    """Charges the order's total once per saga."""
    existing = payments.get(request.saga_key)
    if existing is not None:
        return existing
    order = request.order
    gateway.charge(request.saga_key, order.order_id, order.total_cents, order.currency, order.payment_method)
    payment = Payment(new_id, order.order_id, order.total_cents, order.currency, order.payment_method, "CHARGED")
    return payments.add(request.saga_key, payment)


def refund(request: RefundRequest, payments: Payments, gateway: PaymentGateway) -> Refunded:
    """Pays back what the saga charged, once."""
    existing = payments.get(request.saga_key)
    if existing is None or existing.status == "REFUNDED":
        return Refunded(False, existing.payment_id if existing else None)
    gateway.refund(request.saga_key, existing)
    payments.refunded(request.saga_key)
    return Refunded(True, existing.payment_id)

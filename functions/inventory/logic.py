"""Inventory: holds stock for an order (reserve) and gives it back (release), one local transaction each.

Both are keyed by the saga's key (`saga_key`, the `OrderPlaced` envelope's idempotency key), so a retried or
redelivered call returns what the first did and holds nothing twice, even after the handler's idempotency record of
the call (functions/idempotency.py) has expired. Stock is unlimited in this example service except for the
sandbox sku `OUT-OF-STOCK`, which never has any: the business failure tests and the demo drive on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from functions.records import SagaCall
from schemas.orders import OrderItem, OrderPlaced

SANDBOX_OUT_OF_STOCK_SKU = "OUT-OF-STOCK"

ReservationStatus = Literal["RESERVED", "RELEASED"]


class OutOfStock(Exception):  # noqa: N818 - the name is the error the state machine routes on
    """Business failure: an item cannot be held. The saga compensates at once, no retry."""


class InventoryUnavailable(Exception):  # noqa: N818 - the name is the error the state machine retries on
    """Transient failure (the store throttled or timed out): the saga retries with backoff."""


@dataclass(frozen=True)
class Reservation:
    reservation_id: str
    order_id: str
    status: ReservationStatus
    items: list[OrderItem] = field(default_factory=list)


class Reservations(Protocol):
    """The inventory's own table, one reservation per saga (idempotency key)."""

    def add(self, key: str, reservation: Reservation) -> Reservation:
        """Stores `reservation` under `key` unless one is there already; returns the one stored."""

    def get(self, key: str) -> Reservation | None: ...

    def release(self, key: str) -> None:
        """Marks the reservation under `key` released."""


class ReserveRequest(SagaCall):
    action: Literal["reserve"]
    order: OrderPlaced


class ReleaseRequest(SagaCall):
    action: Literal["release"]


@dataclass(frozen=True)
class Released:
    released: bool  # False: nothing was held (the reservation never happened, or was released before)
    reservation_id: str | None


def reserve(request: ReserveRequest, reservations: Reservations, new_id: str) -> Reservation:
    """Holds every item of the order, or raises `OutOfStock` and holds nothing."""
    existing = reservations.get(request.saga_key)
    if existing is not None:
        return existing
    missing = [item.sku for item in request.order.items if item.sku == SANDBOX_OUT_OF_STOCK_SKU]
    if missing:
        raise OutOfStock(f"no stock for {', '.join(missing)}")
    order = request.order
    return reservations.add(request.saga_key, Reservation(new_id, order.order_id, "RESERVED", list(order.items)))


def release(request: ReleaseRequest, reservations: Reservations) -> Released:
    """Gives back what the saga holds; releasing twice, or what was never held, changes nothing."""
    existing = reservations.get(request.saga_key)
    if existing is None or existing.status == "RELEASED":
        return Released(False, existing.reservation_id if existing else None)
    reservations.release(request.saga_key)
    return Released(True, existing.reservation_id)

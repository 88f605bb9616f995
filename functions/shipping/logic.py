"""Shipping: arranges a shipment for an order, one local transaction, the saga's last step (nothing undoes it).

Keyed by the saga's key (`saga_key`, the `OrderPlaced` envelope's idempotency key), so a retried or redelivered call
returns the shipment the first one arranged, even after the handler's idempotency record of the call
(functions/idempotency.py) has expired. Every shipping option is served by the sandbox carrier except `no-carrier`,
which none serves: the business failure tests and the demo drive on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from functions.records import SagaCall
from schemas.orders import OrderPlaced

SANDBOX_CARRIER = "Sandbox Parcel"
UNSERVED_OPTION = "no-carrier"


class NoCarrierAvailable(Exception):  # noqa: N818 - the name is the error the state machine routes on
    """Business failure: no carrier serves the order. The saga compensates at once, no retry."""


class ShippingUnavailable(Exception):  # noqa: N818 - the name is the error the state machine retries on
    """Transient failure (the store throttled or timed out): the saga retries with backoff."""


@dataclass(frozen=True)
class Shipment:
    shipment_id: str
    order_id: str
    carrier: str
    option: str


class Shipments(Protocol):
    """The shipping service's own table, one shipment per saga (idempotency key)."""

    def add(self, key: str, shipment: Shipment) -> Shipment:
        """Stores `shipment` under `key` unless one is there already; returns the one stored."""

    def get(self, key: str) -> Shipment | None: ...


class ArrangeRequest(SagaCall):
    action: Literal["arrange"]
    order: OrderPlaced


def arrange(request: ArrangeRequest, shipments: Shipments, new_id: str) -> Shipment:
    """A shipment for the order with a carrier that serves its option, once per saga."""
    existing = shipments.get(request.saga_key)
    if existing is not None:
        return existing
    order = request.order
    if order.shipping_option == UNSERVED_OPTION:
        raise NoCarrierAvailable(f"no carrier serves shipping option {order.shipping_option!r}")
    return shipments.add(request.saga_key, Shipment(new_id, order.order_id, SANDBOX_CARRIER, order.shipping_option))

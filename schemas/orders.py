"""The order saga's events. Amounts are integers in minor units (cents) so no float ever touches money.

The saga (`state_machines/order_saga.asl.json`) starts on `OrderPlaced` and ends with `OrderCompleted` or
`OrderCancelled`; a compensation that keeps failing raises `OrderCompensationEscalated` for a person to finish it.
`payment_method` and `shipping_option` are tokens the payment gateway and the shipping service understand; the
shipped sandbox ones give test tokens fixed outcomes (see functions/payments/gateway.py, functions/shipping/logic.py),
as payment providers' test cards do.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from schemas.envelope import Emitter, EventData, Identifier, NonEmptyStr

Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
OrderStep = Literal["inventory", "payment", "shipping"]
Compensation = Literal["release_inventory", "refund_payment"]
ErrorCause = Annotated[str, StringConstraints(max_length=4096)]

ORDERS_SOURCE = "shop.orders"


class OrderItem(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    sku: Identifier
    quantity: int = Field(ge=1, le=10_000)
    unit_price_cents: int = Field(ge=0)


class OrderPlaced(EventData):
    DETAIL_TYPE: ClassVar[str] = "OrderPlaced"
    SOURCE: ClassVar[str] = ORDERS_SOURCE
    EMITTED_BY: ClassVar[frozenset[Emitter]] = frozenset({Emitter.PRODUCERS})
    BUSINESS_KEY: ClassVar[str | None] = "order_id"
    DESCRIPTION: ClassVar[str] = "A customer placed an order; starts the order saga."

    order_id: Identifier
    customer_id: Identifier
    items: list[OrderItem] = Field(min_length=1, max_length=100)
    currency: Currency
    total_cents: int = Field(ge=0)
    payment_method: Identifier = Field(default="card", description="Token of the payment method to charge.")
    shipping_option: Identifier = Field(default="standard", description="How the customer wants it shipped.")


class InventoryReserved(EventData):
    DETAIL_TYPE: ClassVar[str] = "InventoryReserved"
    SOURCE: ClassVar[str] = "shop.inventory"
    EMITTED_BY: ClassVar[frozenset[Emitter]] = frozenset({Emitter.PRODUCERS})
    DESCRIPTION: ClassVar[str] = "Stock for every item of an order is held."

    order_id: Identifier
    reservation_id: Identifier
    items: list[OrderItem] = Field(min_length=1, max_length=100)


class PaymentCharged(EventData):
    DETAIL_TYPE: ClassVar[str] = "PaymentCharged"
    SOURCE: ClassVar[str] = "shop.payments"
    EMITTED_BY: ClassVar[frozenset[Emitter]] = frozenset({Emitter.PRODUCERS})
    DESCRIPTION: ClassVar[str] = "The customer was charged for an order."

    order_id: Identifier
    payment_id: Identifier
    amount_cents: int = Field(ge=0)
    currency: Currency


class OrderShipped(EventData):
    DETAIL_TYPE: ClassVar[str] = "OrderShipped"
    SOURCE: ClassVar[str] = "shop.shipping"
    EMITTED_BY: ClassVar[frozenset[Emitter]] = frozenset({Emitter.PRODUCERS})
    DESCRIPTION: ClassVar[str] = "A shipment was arranged for an order."

    order_id: Identifier
    shipment_id: Identifier
    carrier: NonEmptyStr


class OrderCompleted(EventData):
    DETAIL_TYPE: ClassVar[str] = "OrderCompleted"
    SOURCE: ClassVar[str] = ORDERS_SOURCE
    EMITTED_BY: ClassVar[frozenset[Emitter]] = frozenset({Emitter.WORKFLOWS})
    DESCRIPTION: ClassVar[str] = "The order saga finished: reserved, charged and shipped."

    order_id: Identifier
    reservation_id: Identifier
    payment_id: Identifier
    shipment_id: Identifier


class OrderCancelled(EventData):
    DETAIL_TYPE: ClassVar[str] = "OrderCancelled"
    SOURCE: ClassVar[str] = ORDERS_SOURCE
    EMITTED_BY: ClassVar[frozenset[Emitter]] = frozenset({Emitter.WORKFLOWS})
    DESCRIPTION: ClassVar[str] = "The order saga gave up and compensated what it had done."

    order_id: Identifier
    reason: NonEmptyStr
    failed_step: OrderStep
    compensated_steps: list[OrderStep] = Field(default_factory=list, description="In the order they were undone.")
    escalated_steps: list[OrderStep] = Field(
        default_factory=list, description="Steps whose undoing kept failing and was escalated to a person."
    )


class OrderCompensationEscalated(EventData):
    DETAIL_TYPE: ClassVar[str] = "OrderCompensationEscalated"
    SOURCE: ClassVar[str] = ORDERS_SOURCE
    EMITTED_BY: ClassVar[frozenset[Emitter]] = frozenset({Emitter.WORKFLOWS})
    DESCRIPTION: ClassVar[str] = (
        "A compensation of the order saga failed every retry: a person must finish it (an alarm watches for these)."
    )

    order_id: Identifier
    step: OrderStep = Field(description="The step that could not be undone.")
    compensation: Compensation
    error: NonEmptyStr = Field(description="The compensation's last error.")
    cause: ErrorCause = ""
    failed_step: OrderStep = Field(description="The step whose failure started the compensations.")


EVENTS: tuple[type[EventData], ...] = (
    OrderPlaced,
    InventoryReserved,
    PaymentCharged,
    OrderShipped,
    OrderCompleted,
    OrderCancelled,
    OrderCompensationEscalated,
)

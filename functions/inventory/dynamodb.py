"""The `Reservations` port on the inventory's DynamoDB table (partition key `pk`)."""

from __future__ import annotations

from typing import Any

from functions.inventory.logic import InventoryUnavailable, Reservation
from functions.records import Records
from schemas.orders import OrderItem


class DynamoDBReservations:
    def __init__(self, table: Any) -> None:
        self._records = Records(table, "reservation", InventoryUnavailable)  # a boto3 DynamoDB Table resource

    def add(self, key: str, reservation: Reservation) -> Reservation:
        stored = self._records.put_once(
            key,
            {
                "reservation_id": reservation.reservation_id,
                "order_id": reservation.order_id,
                "status": reservation.status,
                "items": [i.model_dump() for i in reservation.items],
            },
        )
        return reservation if stored is None else _reservation(stored)

    def get(self, key: str) -> Reservation | None:
        item = self._records.get(key)
        return None if item is None else _reservation(item)

    def release(self, key: str) -> None:
        self._records.set_status(key, "RELEASED")


def _reservation(item: dict[str, Any]) -> Reservation:
    return Reservation(
        str(item["reservation_id"]),
        str(item["order_id"]),
        item["status"],
        [OrderItem.model_validate({k: int(v) if k != "sku" else v for k, v in i.items()}) for i in item["items"]],
    )

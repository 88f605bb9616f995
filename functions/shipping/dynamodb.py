"""The `Shipments` port on the shipping service's DynamoDB table (partition key `pk`)."""

from __future__ import annotations

from typing import Any

from functions.records import Records
from functions.shipping.logic import Shipment, ShippingUnavailable


class DynamoDBShipments:
    def __init__(self, table: Any) -> None:
        self._records = Records(table, "shipment", ShippingUnavailable)  # a boto3 DynamoDB Table resource

    def add(self, key: str, shipment: Shipment) -> Shipment:
        stored = self._records.put_once(
            key,
            {
                "shipment_id": shipment.shipment_id,
                "order_id": shipment.order_id,
                "carrier": shipment.carrier,
                "option": shipment.option,
                "status": "ARRANGED",
            },
        )
        return shipment if stored is None else _shipment(stored)

    def get(self, key: str) -> Shipment | None:
        item = self._records.get(key)
        return None if item is None else _shipment(item)


def _shipment(item: dict[str, Any]) -> Shipment:
    return Shipment(str(item["shipment_id"]), str(item["order_id"]), str(item["carrier"]), str(item["option"]))

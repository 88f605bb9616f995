"""The `Shipments` port on the shipping service's DynamoDB table (partition key `pk`)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from functions.shipping.logic import Shipment, ShippingUnavailable

# What DynamoDB answers when it cannot serve now (after botocore's own retries): worth another try later.
TRANSIENT_CODES = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded", "InternalServerError"}
)


def _pk(key: str) -> str:
    return f"shipment#{key}"


class DynamoDBShipments:
    def __init__(self, table: Any) -> None:
        self._table = table  # a boto3 DynamoDB Table resource

    def add(self, key: str, shipment: Shipment) -> Shipment:
        item = {
            "pk": _pk(key),
            "shipment_id": shipment.shipment_id,
            "order_id": shipment.order_id,
            "carrier": shipment.carrier,
            "option": shipment.option,
            "status": "ARRANGED",
        }
        try:
            self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise _translated(error) from error
            stored = self.get(key)  # another attempt of the same call stored it first
            assert stored is not None
            return stored
        return shipment

    def get(self, key: str) -> Shipment | None:
        try:
            item = self._table.get_item(Key={"pk": _pk(key)}, ConsistentRead=True).get("Item")
        except ClientError as error:
            raise _translated(error) from error
        if item is None:
            return None
        return Shipment(str(item["shipment_id"]), str(item["order_id"]), str(item["carrier"]), str(item["option"]))


def _translated(error: Exception) -> Exception:
    """Throttling becomes the error the saga retries; anything else stays what it is."""
    if isinstance(error, ClientError) and error.response["Error"]["Code"] in TRANSIENT_CODES:
        return ShippingUnavailable(str(error))
    return error

"""The `Reservations` port on the inventory's DynamoDB table (partition key `pk`)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from functions.inventory.logic import InventoryUnavailable, Reservation
from schemas.orders import OrderItem

# What DynamoDB answers when it cannot serve now (after botocore's own retries): worth another try later.
TRANSIENT_CODES = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded", "InternalServerError"}
)


def _pk(key: str) -> str:
    return f"reservation#{key}"


class DynamoDBReservations:
    def __init__(self, table: Any) -> None:
        self._table = table  # a boto3 DynamoDB Table resource

    def add(self, key: str, reservation: Reservation) -> Reservation:
        item = {
            "pk": _pk(key),
            "reservation_id": reservation.reservation_id,
            "order_id": reservation.order_id,
            "status": reservation.status,
            "items": [i.model_dump() for i in reservation.items],
        }
        try:
            self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise _translated(error) from error
            stored = self.get(key)  # another attempt of the same call stored it first
            assert stored is not None
            return stored
        return reservation

    def get(self, key: str) -> Reservation | None:
        try:
            item = self._table.get_item(Key={"pk": _pk(key)}, ConsistentRead=True).get("Item")
        except ClientError as error:
            raise _translated(error) from error
        if item is None:
            return None
        return Reservation(
            str(item["reservation_id"]),
            str(item["order_id"]),
            item["status"],
            [OrderItem.model_validate({k: int(v) if k != "sku" else v for k, v in i.items()}) for i in item["items"]],
        )

    def release(self, key: str) -> None:
        try:
            self._table.update_item(
                Key={"pk": _pk(key)},
                UpdateExpression="SET #status = :released",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":released": "RELEASED"},
            )
        except ClientError as error:
            raise _translated(error) from error


def _translated(error: Exception) -> Exception:
    """Throttling becomes the error the saga retries; anything else stays what it is."""
    if isinstance(error, ClientError) and error.response["Error"]["Code"] in TRANSIENT_CODES:
        return InventoryUnavailable(str(error))
    return error

"""The `Payments` port and the sandbox gateway's `FaultLedger` on the payments DynamoDB table (partition key `pk`)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from functions.payments.logic import Payment, PaymentGatewayTimeout

# What DynamoDB answers when it cannot serve now (after botocore's own retries): worth another try later.
TRANSIENT_CODES = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded", "InternalServerError"}
)
_NOT_THERE = "attribute_not_exists(pk)"


def _pk(key: str) -> str:
    return f"payment#{key}"


class DynamoDBPayments:
    def __init__(self, table: Any) -> None:
        self._table = table  # a boto3 DynamoDB Table resource

    def add(self, key: str, payment: Payment) -> Payment:
        item = {
            "pk": _pk(key),
            "payment_id": payment.payment_id,
            "order_id": payment.order_id,
            "amount_cents": payment.amount_cents,
            "currency": payment.currency,
            "method": payment.method,
            "status": payment.status,
        }
        if not self._put_new(item):
            stored = self.get(key)  # another attempt of the same call stored it first
            assert stored is not None
            return stored
        return payment

    def get(self, key: str) -> Payment | None:
        try:
            item = self._table.get_item(Key={"pk": _pk(key)}, ConsistentRead=True).get("Item")
        except ClientError as error:
            raise _translated(error) from error
        if item is None:
            return None
        return Payment(
            str(item["payment_id"]),
            str(item["order_id"]),
            int(item["amount_cents"]),
            str(item["currency"]),
            str(item["method"]),
            item["status"],
        )

    def refunded(self, key: str) -> None:
        try:
            self._table.update_item(
                Key={"pk": _pk(key)},
                UpdateExpression="SET #status = :refunded",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":refunded": "REFUNDED"},
            )
        except ClientError as error:
            raise _translated(error) from error

    def first_time(self, name: str) -> bool:
        return self._put_new({"pk": f"fault#{name}"})

    def _put_new(self, item: dict[str, Any]) -> bool:
        """A conditional put: False when an item with that key is there already."""
        try:
            self._table.put_item(Item=item, ConditionExpression=_NOT_THERE)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise _translated(error) from error
        return True


def _translated(error: Exception) -> Exception:
    """Throttling becomes the error the saga retries; anything else stays what it is."""
    if isinstance(error, ClientError) and error.response["Error"]["Code"] in TRANSIENT_CODES:
        return PaymentGatewayTimeout(str(error))
    return error

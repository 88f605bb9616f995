"""The `Payments` port and the sandbox gateway's `FaultLedger` on the payments DynamoDB table (partition key `pk`)."""

from __future__ import annotations

from typing import Any

from functions.payments.logic import Payment, PaymentGatewayTimeout, PaymentStatus
from functions.records import Records


class DynamoDBPayments:
    def __init__(self, table: Any) -> None:
        # Payments and the ledger's faults share the table, each under its own key prefix.
        self._records = Records(table, "payment", PaymentGatewayTimeout)  # a boto3 DynamoDB Table resource
        self._faults = Records(table, "fault", PaymentGatewayTimeout)
        self._money = Records(table, "money", PaymentGatewayTimeout)

    def add(self, key: str, payment: Payment) -> Payment:
        stored = self._records.put_once(
            key,
            {
                "payment_id": payment.payment_id,
                "order_id": payment.order_id,
                "amount_cents": payment.amount_cents,
                "currency": payment.currency,
                "method": payment.method,
                "status": payment.status,
            },
        )
        return payment if stored is None else _payment(stored)

    def get(self, key: str) -> Payment | None:
        item = self._records.get(key)
        return None if item is None else _payment(item)

    def mark(self, key: str, status: PaymentStatus) -> None:
        self._records.set_status(key, status)

    def first_time(self, name: str) -> bool:
        return self._faults.put_new(name)

    def money_moved(self, name: str, amount_cents: int) -> bool:
        return self._money.put_new(name, {"amount_cents": amount_cents})

    def money_moved_before(self, name: str) -> bool:
        return self._money.get(name) is not None


def _payment(item: dict[str, Any]) -> Payment:
    return Payment(
        str(item["payment_id"]),
        str(item["order_id"]),
        int(item["amount_cents"]),
        str(item["currency"]),
        str(item["method"]),
        item["status"],
    )

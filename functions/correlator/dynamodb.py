"""The `CorrelationStore` port on the WorkflowControl table (key `pk` + `sk`, TTL `expires_at`)."""

from __future__ import annotations

import json
import time
from typing import Any, Final

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from functions.correlator.logic import Message, Subject, Waiter
from schemas.tables import MESSAGE_SORT_PREFIX, WAITER_SORT_PREFIX

_WAITER = WAITER_SORT_PREFIX
# A transaction cancelled by a concurrent one on the same items (`TransactionConflict`) is tried again this often.
TRANSACTION_ATTEMPTS: Final[int] = 4
_MESSAGE = MESSAGE_SORT_PREFIX


class DynamoDBCorrelationStore:
    def __init__(self, table: Any) -> None:
        self._table = table  # a boto3 DynamoDB Table resource

    def put_waiter(self, waiter: Waiter) -> Waiter:
        item = {
            "pk": waiter.subject.partition,
            "sk": waiter.sort_key,
            "waiter_id": waiter.waiter_id,
            "task_token": waiter.task_token,
            "registered_at": waiter.registered_at_ms,
            "expires_at": _ttl(waiter.expires_at_ms),
            "expires_at_ms": waiter.expires_at_ms,
        }
        # A retry of the same wait replaces its unmatched item (new token); a matched one is kept for `register`.
        if self._put(item, "attribute_not_exists(matched)"):
            return waiter
        stored = self.waiter(waiter.subject, waiter.sort_key)
        if stored is None:  # matched and removed between the two calls: store it afresh
            return self.put_waiter(waiter)
        return stored

    def put_message(self, message: Message) -> Message:
        item = {
            "pk": message.subject.partition,
            "sk": message.sort_key,
            "message_id": message.message_id,
            "body": json.dumps(message.body, separators=(",", ":"), ensure_ascii=False),
            "received_at": message.received_at_ms,
            "expires_at": _ttl(message.expires_at_ms),
            "expires_at_ms": message.expires_at_ms,
        }
        if self._put(item, "attribute_not_exists(sk)"):
            return message
        stored = self.message(message.subject, message.sort_key)
        if stored is None:  # expired and removed by TTL between the two calls
            return self.put_message(message)
        return stored

    def waiter(self, subject: Subject, sort_key: str) -> Waiter | None:
        item = self._table.get_item(Key={"pk": subject.partition, "sk": sort_key}, ConsistentRead=True).get("Item")
        return None if item is None else _waiter(subject, item)

    def message(self, subject: Subject, sort_key: str) -> Message | None:
        item = self._table.get_item(Key={"pk": subject.partition, "sk": sort_key}, ConsistentRead=True).get("Item")
        return None if item is None else _message(subject, item)

    def waiters(self, subject: Subject) -> list[Waiter]:
        items = self._query(subject, _WAITER)
        return sorted((_waiter(subject, item) for item in items), key=lambda w: w.registered_at_ms)

    def messages(self, subject: Subject) -> list[Message]:
        items = self._query(subject, _MESSAGE)
        return sorted((_message(subject, item) for item in items), key=lambda m: m.received_at_ms)

    def match(self, message: Message, waiter: Waiter) -> bool:
        def claim(sort_key: str, partner: str, also: str = "", values: dict[str, Any] | None = None) -> dict[str, Any]:
            return {
                "Update": {
                    "TableName": self._table.name,
                    "Key": {"pk": message.subject.partition, "sk": sort_key},
                    "UpdateExpression": "SET matched = :partner",
                    # Unmatched. (A match recorded before a crash is repaired from the `matched` attribute itself, by
                    # `register` and `receive`, never by matching again: two matches of one pair would answer twice.)
                    "ConditionExpression": f"attribute_exists(sk) AND attribute_not_exists(matched){also}",
                    "ExpressionAttributeValues": {":partner": partner, **(values or {})},
                }
            }

        items = [
            claim(message.sort_key, waiter.sort_key),
            # The token read: a retry of the task that replaced it since then registers (and matches) itself.
            claim(waiter.sort_key, message.sort_key, " AND task_token = :token", {":token": waiter.task_token}),
        ]
        for attempt in range(TRANSACTION_ATTEMPTS):
            # The resource's client: it converts plain values to DynamoDB's typed form, as the Table does.
            try:
                self._table.meta.client.transact_write_items(TransactItems=items)
            except ClientError as error:
                reasons = _cancellation_reasons(error)
                if reasons is None:
                    raise
                if "TransactionConflict" in reasons and attempt + 1 < TRANSACTION_ATTEMPTS:
                    # Another transaction held one of the items: its outcome decides ours, so look again.
                    time.sleep(0.05 * (attempt + 1))
                    continue
                if reasons <= {"None", "ConditionalCheckFailed"}:
                    return False  # the other side matched first, or the item is gone
                raise
            return True
        raise AssertionError("unreachable: the last attempt returns or raises")

    def claim_waiter(self, waiter: Waiter, message: Message) -> bool:
        return _conditionally(
            self._table.update_item,
            Key={"pk": waiter.subject.partition, "sk": waiter.sort_key},
            UpdateExpression="SET matched = :message",
            ConditionExpression="attribute_exists(sk) AND attribute_not_exists(matched) AND task_token = :token",
            ExpressionAttributeValues={":message": message.sort_key, ":token": waiter.task_token},
        )

    def remove_waiter(self, waiter: Waiter) -> None:
        self._table.delete_item(Key={"pk": waiter.subject.partition, "sk": waiter.sort_key})

    def _put(self, item: dict[str, Any], condition: str) -> bool:
        return _conditionally(self._table.put_item, Item=item, ConditionExpression=condition)

    def _query(self, subject: Subject, prefix: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        arguments: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(subject.partition) & Key("sk").begins_with(prefix),
            "ConsistentRead": True,
        }
        while True:
            page = self._table.query(**arguments)
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return items
            arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _conditionally(write: Any, **request: Any) -> bool:
    """A conditional write: whether its condition held (and it was written)."""
    try:
        write(**request)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _cancellation_reasons(error: ClientError) -> set[str] | None:
    """The codes of a cancelled transaction's reasons; None when the error is not a cancellation."""
    if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return None
    return {str(reason.get("Code")) for reason in error.response.get("CancellationReasons", [])}


def _ttl(epoch_ms: int) -> int:
    """DynamoDB TTL wants epoch seconds; rounded up so an item is never removed before it expires."""
    return -(-epoch_ms // 1000)


def _waiter(subject: Subject, item: dict[str, Any]) -> Waiter:
    return Waiter(
        subject,
        str(item["waiter_id"]),
        str(item["task_token"]),
        int(item["registered_at"]),
        int(item["expires_at_ms"]),
        str(item["matched"]) if "matched" in item else None,
    )


def _message(subject: Subject, item: dict[str, Any]) -> Message:
    return Message(
        subject,
        str(item["message_id"]),
        json.loads(str(item["body"])),
        int(item["received_at"]),
        int(item["expires_at_ms"]),
        str(item["matched"]) if "matched" in item else None,
    )

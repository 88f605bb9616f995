"""The `CorrelationStore` port on the WorkflowControl table (key `pk` + `sk`, TTL `expires_at`)."""

from __future__ import annotations

import json
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from functions.correlator.logic import Message, Subject, Waiter

_WAITER = "waiter#"
_MESSAGE = "message#"


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
                    # Unmatched, or matched to this very partner (a repeated match after a crash is no conflict).
                    "ConditionExpression": (
                        f"attribute_exists(sk) AND (attribute_not_exists(matched) OR matched = :partner){also}"
                    ),
                    "ExpressionAttributeValues": {":partner": partner, **(values or {})},
                }
            }

        # The resource's client: it converts plain values to DynamoDB's typed form, as the Table does.
        try:
            self._table.meta.client.transact_write_items(
                TransactItems=[
                    claim(message.sort_key, waiter.sort_key),
                    # The token read: a retry of the task that replaced it since then registers (and matches) itself.
                    claim(
                        waiter.sort_key,
                        message.sort_key,
                        " AND task_token = :token",
                        {":token": waiter.task_token},
                    ),
                ]
            )
        except ClientError as error:
            if _lost_race(error):
                return False
            raise
        return True

    def remove_waiter(self, waiter: Waiter) -> None:
        self._table.delete_item(Key={"pk": waiter.subject.partition, "sk": waiter.sort_key})

    def _put(self, item: dict[str, Any], condition: str) -> bool:
        try:
            self._table.put_item(Item=item, ConditionExpression=condition)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

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


def _lost_race(error: ClientError) -> bool:
    """A transaction cancelled only by its conditions (another match won), not by a fault."""
    if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return False
    reasons = error.response.get("CancellationReasons", [])
    return all(reason.get("Code") in ("None", "ConditionalCheckFailed") for reason in reasons)


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

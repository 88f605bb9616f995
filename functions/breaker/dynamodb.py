"""The `BreakerStore` on the CircuitBreakers table (partition key `breaker_id`), with the layout and conditions of
functions/breaker/__init__.py: a consistent GetItem to read, a conditional PutItem of the whole item to write."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from functions.breaker.state import BreakerState


class DynamoDBBreakerStore:
    def __init__(self, table: Any) -> None:
        self._table = table  # a boto3 DynamoDB Table resource

    def read(self, breaker_id: str) -> BreakerState:
        item = self._table.get_item(Key={"breaker_id": breaker_id}, ConsistentRead=True).get("Item")
        return BreakerState(breaker_id) if item is None else _state(item)

    def replace(self, current: BreakerState, new: BreakerState) -> bool:
        try:
            self._table.put_item(Item=_item(new), **_condition(current))
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True


def _condition(current: BreakerState) -> dict[str, Any]:
    """The item must still be the one the decision was made on."""
    if current.version == 0:
        return {"ConditionExpression": "attribute_not_exists(breaker_id)"}
    return {
        "ConditionExpression": "#version = :version AND #state = :state",
        # `state` is a DynamoDB reserved word, so both names go through placeholders.
        "ExpressionAttributeNames": {"#version": "version", "#state": "state"},
        "ExpressionAttributeValues": {":version": current.version, ":state": current.state},
    }


def _item(state: BreakerState) -> dict[str, Any]:
    item: dict[str, Any] = {
        "breaker_id": state.breaker_id,
        "state": state.state,
        "version": state.version,
        "updated_at": state.updated_at,
    }
    if state.state == "CLOSED":
        item["failures"] = list(state.failures)
    for name, value in (("opened_at", state.opened_at), ("probe_started_at", state.probe_started_at)):
        if value is not None:
            item[name] = value
    return item


def _state(item: dict[str, Any]) -> BreakerState:
    def number(name: str) -> int | None:
        value = item.get(name)
        return None if value is None else int(value)  # the resource gives Decimals

    return BreakerState(
        breaker_id=str(item["breaker_id"]),
        state=item["state"],
        version=int(item["version"]),
        failures=tuple(int(at) for at in item.get("failures", ())),
        opened_at=number("opened_at"),
        probe_started_at=number("probe_started_at"),
        updated_at=number("updated_at"),
    )

"""The `BreakerStore` on the CircuitBreakers table, with the item and conditions of schemas/breaker_rules.py: a
consistent GetItem to read, a conditional PutItem of the whole item to write."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from functions.breaker.state import BreakerState
from schemas import breaker_rules as rules


class DynamoDBBreakerStore:
    def __init__(self, table: Any) -> None:
        self._table = table  # a boto3 DynamoDB Table resource

    def read(self, breaker_id: str) -> BreakerState:
        item = self._table.get_item(Key={rules.BREAKER_ID: breaker_id}, ConsistentRead=True).get("Item")
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
    """The item must still be the one the decision was made on (none, for version 0)."""
    if current.version == 0:
        return {"ConditionExpression": rules.ABSENT}
    return {
        "ConditionExpression": rules.UNCHANGED,
        "ExpressionAttributeNames": rules.CONDITION_NAMES,
        "ExpressionAttributeValues": {":version": current.version, ":state": current.state},
    }


def _item(state: BreakerState) -> dict[str, Any]:
    item: dict[str, Any] = {
        rules.BREAKER_ID: state.breaker_id,
        rules.STATE: state.state,
        rules.VERSION: state.version,
        rules.UPDATED_AT: state.updated_at,
    }
    if state.state == "CLOSED":
        item[rules.FAILURES] = list(state.failures)
    for name, value in ((rules.OPENED_AT, state.opened_at), (rules.PROBE_STARTED_AT, state.probe_started_at)):
        if value is not None:
            item[name] = value
    return item


def _state(item: dict[str, Any]) -> BreakerState:
    def number(name: str) -> int | None:
        value = item.get(name)
        return None if value is None else int(value)  # the resource gives Decimals

    return BreakerState(
        breaker_id=str(item[rules.BREAKER_ID]),
        state=item[rules.STATE],
        version=int(item[rules.VERSION]),
        failures=tuple(int(at) for at in item.get(rules.FAILURES, ())),
        opened_at=number(rules.OPENED_AT),
        probe_started_at=number(rules.PROBE_STARTED_AT),
        updated_at=number(rules.UPDATED_AT),
    )

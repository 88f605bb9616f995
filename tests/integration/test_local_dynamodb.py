"""moto's DynamoDB writes run under one lock while the local runtime is installed, and are restored after."""

from __future__ import annotations

import copy
import functools
import threading
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend

from orchestrator.local.dynamodb import WRITES, AtomicWrites


def test_install_wraps_every_conditional_write_and_uninstall_restores_them() -> None:
    originals = {name: vars(DynamoDBBackend)[name] for name in WRITES}
    writes = AtomicWrites()
    writes.install()
    try:
        assert all(vars(DynamoDBBackend)[name] is not originals[name] for name in WRITES)
    finally:
        writes.uninstall()
    assert {name: vars(DynamoDBBackend)[name] for name in WRITES} == originals


def test_a_write_waits_while_another_holds_the_lock(aws_credentials: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A put that is inside moto's check-then-assign holds back a second put on the same item until it is done."""
    inside, release = threading.Event(), threading.Event()
    order: list[str] = []
    original = DynamoDBBackend.put_item

    @functools.wraps(original)  # the seam checks put_item's signature: the stand-in keeps moto's
    def slow_put(backend: Any, *args: Any, **kwargs: Any) -> Any:
        if not order:  # the first put pauses between moto's condition check and its assignment
            order.append("first in")
            inside.set()
            release.wait(5)
        result = original(backend, *args, **kwargs)
        order.append("done")
        return result

    monkeypatch.setattr(DynamoDBBackend, "put_item", slow_put)
    writes = AtomicWrites()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        key = [{"AttributeName": "id", "KeyType": "HASH"}]
        client.create_table(
            TableName="t",
            KeySchema=key,
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        writes.install()
        try:
            put = {"TableName": "t", "Item": {"id": {"S": "probe"}}, "ConditionExpression": "attribute_not_exists(id)"}
            first = threading.Thread(target=lambda: client.put_item(**put))
            first.start()
            assert inside.wait(5)
            outcome: list[str] = []

            def second() -> None:
                try:
                    client.put_item(**put)
                    outcome.append("written")
                except client.exceptions.ConditionalCheckFailedException:
                    outcome.append("condition failed")

            racer = threading.Thread(target=second)
            racer.start()
            racer.join(0.2)
            assert racer.is_alive(), "the second write waits for the first"
            release.set()
            first.join(5)
            racer.join(5)
        finally:
            writes.uninstall()
    assert outcome == ["condition failed"], "only one conditional put of the same item succeeds"


def test_a_transaction_backs_up_the_items_it_touches_not_the_table(
    aws_credentials: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failed TransactWriteItems leaves every item as it was (the one it changed first restored, the one it added
    gone, the others untouched), and no table is deep-copied (moto copies each whole table per transaction)."""
    from moto.dynamodb.models.table import Table

    copied: list[str] = []
    original_deepcopy = copy.deepcopy

    def counting(value: Any, memo: Any = None) -> Any:
        if isinstance(value, Table) and original_deepcopy(value, memo) is not value:
            copied.append(value.name)
        return original_deepcopy(value, memo)

    writes = AtomicWrites()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        for name in ("a", "held", *(f"other-{i}" for i in range(50))):
            client.put_item(TableName="t", Item={"id": {"S": name}, "v": {"S": "before"}})
        writes.install()
        monkeypatch.setattr("moto.dynamodb.models.copy.deepcopy", counting)
        try:
            transaction = [
                {"Put": {"TableName": "t", "Item": {"id": {"S": "a"}, "v": {"S": "after"}}}},
                {"Put": {"TableName": "t", "Item": {"id": {"S": "new"}, "v": {"S": "after"}}}},
                {
                    "Put": {
                        "TableName": "t",
                        "Item": {"id": {"S": "held"}, "v": {"S": "after"}},
                        "ConditionExpression": "attribute_not_exists(id)",
                    }
                },
            ]
            with pytest.raises(client.exceptions.TransactionCanceledException):
                client.transact_write_items(TransactItems=transaction)
            failed = {i["id"]["S"]: i["v"]["S"] for i in client.scan(TableName="t")["Items"]}
            client.transact_write_items(TransactItems=transaction[:2])  # and one that succeeds
            succeeded = {i["id"]["S"]: i["v"]["S"] for i in client.scan(TableName="t")["Items"]}
        finally:
            writes.uninstall()

    assert copied == [], "no table was copied whole"
    assert "new" not in failed and (failed["a"], failed["held"]) == ("before", "before")
    assert len(failed) == 52 and all(failed[f"other-{i}"] == "before" for i in range(50))
    assert (succeeded["a"], succeeded["new"], succeeded["held"]) == ("after", "after", "before")

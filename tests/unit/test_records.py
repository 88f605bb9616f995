"""The saga services' shared DynamoDB records on a real (moto) table: once per key, status updates, errors mapped."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from functions.records import Records


class Unavailable(Exception):
    pass


@pytest.fixture
def table(aws_credentials: None) -> Iterator[Any]:
    with mock_aws():
        dynamodb = boto3.resource("dynamodb")
        yield dynamodb.create_table(
            TableName="records",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )


def test_a_record_is_stored_once_and_a_second_put_gets_the_first(table: Any) -> None:
    records = Records(table, "thing", Unavailable)

    assert records.put_once("k", {"status": "NEW"}) is None
    assert records.put_once("k", {"status": "OTHER"}) == {"pk": "thing#k", "status": "NEW"}
    assert records.put_new("k") is False
    assert records.get("other") is None


def test_prefixes_keep_records_apart_in_one_table(table: Any) -> None:
    assert Records(table, "a", Unavailable).put_new("k") is True
    assert Records(table, "b", Unavailable).put_new("k") is True


def test_set_status_changes_an_existing_record_and_refuses_a_missing_one(table: Any) -> None:
    records = Records(table, "thing", Unavailable)
    records.put_new("k", {"status": "NEW"})

    records.set_status("k", "DONE")

    assert records.get("k") == {"pk": "thing#k", "status": "DONE"}
    with pytest.raises(ClientError, match="ConditionalCheckFailed"):
        records.set_status("missing", "DONE")


class _ThrottledTable:
    """A boto3 Table stand-in whose every call is throttled, as DynamoDB answers after botocore's retries."""

    def __getattr__(self, name: str) -> Any:
        def throttled(**_: Any) -> None:
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, name)

        return throttled


def test_throttling_becomes_the_services_retryable_error() -> None:
    records = Records(_ThrottledTable(), "thing", Unavailable)

    with pytest.raises(Unavailable):
        records.put_new("k")
    with pytest.raises(Unavailable):
        records.get("k")
    with pytest.raises(Unavailable):
        records.set_status("k", "DONE")

"""`ComputedOnce` (orchestrator/local/computed_once.py): moto's per-request work done once gives the same answers.

The condition tokens are the one cache whose reuse could change an outcome (one expression, other values each time):
two writes with one expression and other values are each judged on their own values, an invalid expression is still
refused, and the two other caches still route each call to its own service and action."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from orchestrator.local.computed_once import ComputedOnce
from orchestrator.local.runtime import MOTO_CONFIG

ADAPTER = ComputedOnce()


@pytest.fixture
def dynamodb(aws_credentials: None) -> Iterator[Any]:
    with mock_aws(config=MOTO_CONFIG):
        ADAPTER.install()
        try:
            client = boto3.client("dynamodb", region_name="us-east-1")
            client.create_table(
                TableName="t",
                KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
            yield client
        finally:
            ADAPTER.uninstall()


def _put_if_older(client: Any, version: int, newer_than: int) -> None:
    client.put_item(
        TableName="t",
        Item={"id": {"S": "a"}, "v": {"N": str(version)}},
        ConditionExpression="attribute_not_exists(#id) OR #v < :given",
        ExpressionAttributeNames={"#id": "id", "#v": "v"},
        ExpressionAttributeValues={":given": {"N": str(newer_than)}},
    )


def test_one_expression_is_judged_on_each_writes_own_values(dynamodb: Any) -> None:
    _put_if_older(dynamodb, 5, 0)  # no item yet
    _put_if_older(dynamodb, 7, 6)  # 5 < 6: written
    with pytest.raises(ClientError) as refused:
        _put_if_older(dynamodb, 9, 3)  # 7 < 3 is false: the tokens are shared, the values are not
    assert refused.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert dynamodb.get_item(TableName="t", Key={"id": {"S": "a"}})["Item"]["v"] == {"N": "7"}


def test_an_expression_moto_cannot_lex_fails_each_time_as_without_the_cache(dynamodb: Any) -> None:
    def attempt() -> str:
        try:
            dynamodb.put_item(TableName="t", Item={"id": {"S": "b"}}, ConditionExpression="attribute_not_exists(")
        except Exception as error:  # noqa: BLE001 - moto's own failure, whatever it is, is the expectation
            return repr(error)
        return "written"

    with_cache = [attempt(), attempt()]  # a failure is not kept: the second is lexed (and fails) again
    ADAPTER.uninstall()
    assert with_cache == [attempt(), attempt()]  # moto's own answer
    assert "written" not in with_cache


def test_calls_still_reach_their_own_service_and_action(dynamodb: Any) -> None:
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x")
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url).get("Messages", [])] == ["x"]
    assert dynamodb.list_tables()["TableNames"] == ["t"]


def test_a_method_a_seam_adds_to_a_response_class_is_listed(dynamodb: Any) -> None:
    from moto.core import responses

    listed = vars(responses)["method_names_from_class"]  # what moto's dispatch calls: the seam's, while installed

    class Answers:
        def first(self) -> None: ...

    assert "first" in listed(Answers)
    Answers.later = lambda self: None  # type: ignore[attr-defined]  # as the Step Functions adapter adds redrive
    assert {"first", "later"} <= set(listed(Answers))


def test_moto_reads_its_service_models_through_one_loader_with_its_extras(dynamodb: Any) -> None:
    from moto.core import utils

    create_loader = vars(utils)["create_loader"]  # what moto's get_service_model calls: the seam's, while installed
    shared = create_loader()
    assert create_loader() is shared  # botocore's data directory listed once per kind of file, not per model
    # moto's own loader, not botocore's: its extras are applied (moto adds error shapes to SQS's model).
    extras = set(utils._load_service_model("sqs", "service-2")["shapes"]) - set(
        boto3.session.Session()._session.get_service_data("sqs")["shapes"]
    )
    assert extras
    ADAPTER.uninstall()
    create_loader = vars(utils)["create_loader"]
    assert create_loader() is not create_loader()  # moto's own: a new loader each time

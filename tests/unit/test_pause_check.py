"""functions/pause_check.py on moto's DynamoDB: a Lambda task at a pause point does nothing while its execution is
paused, runs otherwise with the payload it would have had without the check, and refuses a malformed check."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.pause_check import PauseInForce, pause_checked
from schemas.tables import PAUSE_CHECK_FIELD, PAUSE_PARTITION_PREFIX, PAUSE_SORT_KEY, PAUSE_TABLE_VARIABLE

EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:saga:e-1"


@pytest.fixture
def records(aws_credentials: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with mock_aws():
        table = boto3.resource("dynamodb", region_name="us-east-1").create_table(
            TableName="control",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        monkeypatch.setenv(PAUSE_TABLE_VARIABLE, "control")
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        yield table


def _record(table: Any, state: str) -> None:
    table.put_item(
        Item={"pk": f"{PAUSE_PARTITION_PREFIX}{EXECUTION}", "sk": PAUSE_SORT_KEY, "state": state, "pause_id": "p-1"}
    )


class Calls:
    def __init__(self) -> None:
        self.events: list[Any] = []

    def handler(self, event: Any, context: Any) -> str:
        self.events.append(event)
        return "done"


def test_a_paused_execution_gets_pause_in_force_and_the_handler_does_nothing(records: Any) -> None:
    _record(records, "PAUSED")
    calls = Calls()

    with pytest.raises(PauseInForce, match="is paused \\(pause p-1\\)"):
        pause_checked(calls.handler)({"order": "o-1", PAUSE_CHECK_FIELD: EXECUTION}, None)
    assert calls.events == []


@pytest.mark.parametrize("state", [None, "RESUMED"])
def test_otherwise_the_handler_runs_on_the_payload_without_the_check_field(records: Any, state: str | None) -> None:
    if state is not None:
        _record(records, state)
    calls = Calls()
    event = {"order": "o-1", PAUSE_CHECK_FIELD: EXECUTION}

    assert pause_checked(calls.handler)(event, None) == "done"
    assert calls.events == [{"order": "o-1"}]
    assert PAUSE_CHECK_FIELD in event, "the caller's payload is not changed"


def test_a_payload_without_the_field_is_passed_on_untouched_without_reading_anything(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(PAUSE_TABLE_VARIABLE, raising=False)  # nothing to read, and nothing read
    calls = Calls()
    assert pause_checked(calls.handler)(["not", "a", "dict"], None) == "done"
    assert pause_checked(calls.handler)({"order": "o-1"}, None) == "done"
    assert calls.events == [["not", "a", "dict"], {"order": "o-1"}]


@pytest.mark.parametrize("value", ["", 42, None])
def test_a_check_field_that_is_not_an_execution_arn_is_refused_naming_it(records: Any, value: Any) -> None:
    with pytest.raises(ValueError, match=f"{PAUSE_CHECK_FIELD}: must be the calling execution's ARN"):
        pause_checked(Calls().handler)({PAUSE_CHECK_FIELD: value}, None)


def test_a_function_without_its_table_says_it_was_not_granted_its_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PAUSE_TABLE_VARIABLE, raising=False)
    with pytest.raises(RuntimeError, match=f"{PAUSE_TABLE_VARIABLE} is not set"):
        pause_checked(Calls().handler)({PAUSE_CHECK_FIELD: EXECUTION}, None)

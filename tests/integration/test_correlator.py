"""The correlator on moto's DynamoDB: a message and a waiter meet by business key, in either order, once."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from functions.correlator import handler as deliveries
from functions.correlator import register as registrations
from functions.correlator.dynamodb import DynamoDBCorrelationStore
from functions.correlator.logic import Message, MessageConflict, Subject, Waiter, receive, register
from orchestrator.local.dynamodb import AtomicWrites
from tests.builders import LambdaContext, delivered_event, sqs_event
from tests.fakes import RecordingTaskTokens

TABLE = "workflow-control"
APPROVAL = Subject("ApprovalDecided", "ticket-1")
NOW = 1_800_000_000_000  # epoch ms
MINUTE = 60_000


@pytest.fixture
def store(aws_credentials: None) -> Iterator[DynamoDBCorrelationStore]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield DynamoDBCorrelationStore(boto3.resource("dynamodb", region_name="us-east-1").Table(TABLE))


def waiter(token: str = "token-1", waiter_id: str = "exec-1/AwaitApproval", at: int = NOW, **kw: Any) -> Waiter:
    return Waiter(APPROVAL, waiter_id, token, at, kw.pop("expires", at + 10 * MINUTE), **kw)


def message(message_id: str = "decision-1", decision: str = "approved", at: int = NOW, **kw: Any) -> Message:
    body = {"message_id": message_id, "data": {"approval_id": "ticket-1", "decision": decision}}
    return Message(APPROVAL, message_id, body, at, kw.pop("expires", at + 60 * MINUTE), **kw)


def items() -> list[dict[str, Any]]:
    scanned: list[dict[str, Any]] = boto3.resource("dynamodb", region_name="us-east-1").Table(TABLE).scan()["Items"]
    return scanned


def test_message_after_the_waiter_resumes_it_with_the_message(store: DynamoDBCorrelationStore) -> None:
    tokens = RecordingTaskTokens()

    assert register(store, tokens, waiter(), NOW).delivery == "waiting"
    assert tokens.calls == []
    outcome = receive(store, tokens, message(), NOW + MINUTE)

    assert outcome.delivery == "delivered" and outcome.waiter_id == "exec-1/AwaitApproval"
    assert tokens.calls == [("succeed", "token-1", message().body)]
    # The waiter is done; the message stays (matched) so that a redelivery is recognised.
    assert [(i["sk"].split("#")[0], i.get("matched", "").split("#")[0]) for i in items()] == [("message", "waiter")]


def test_message_before_the_waiter_is_buffered_and_delivered_when_it_registers(
    store: DynamoDBCorrelationStore,
) -> None:
    tokens = RecordingTaskTokens()

    assert receive(store, tokens, message(), NOW).delivery == "buffered"
    assert tokens.calls == []
    outcome = register(store, tokens, waiter(at=NOW + MINUTE), NOW + MINUTE)

    assert outcome.delivery == "delivered" and outcome.message_id == "decision-1"
    assert tokens.calls == [("succeed", "token-1", message().body)]


def test_the_same_message_twice_is_delivered_once(store: DynamoDBCorrelationStore) -> None:
    tokens = RecordingTaskTokens()
    register(store, tokens, waiter(), NOW)
    register(store, tokens, waiter("token-2", "exec-2/AwaitApproval", at=NOW + 1), NOW + 1)

    first = receive(store, tokens, message(), NOW + MINUTE)
    second = receive(store, tokens, message(), NOW + 2 * MINUTE)

    assert (first.delivery, second.delivery) == ("delivered", "duplicate")
    assert tokens.calls == [("succeed", "token-1", message().body)]  # the oldest waiter; exec-2 still waits
    assert register(store, tokens, waiter("token-2", "exec-2/AwaitApproval"), NOW + 3 * MINUTE).delivery == "waiting"


def test_the_same_message_twice_before_any_waiter_is_delivered_once(store: DynamoDBCorrelationStore) -> None:
    tokens = RecordingTaskTokens()
    assert [receive(store, tokens, message(), NOW + i).delivery for i in range(2)] == ["buffered", "buffered"]

    assert register(store, tokens, waiter(at=NOW + MINUTE), NOW + MINUTE).delivery == "delivered"
    assert register(store, tokens, waiter("token-2", "exec-2/Await"), NOW + MINUTE).delivery == "waiting"
    assert receive(store, tokens, message(), NOW + 2 * MINUTE).delivery == "duplicate"
    assert [call[1] for call in tokens.calls] == ["token-1"]


def test_a_broadcast_message_resumes_every_waiter_now_and_later_and_each_once(store: DynamoDBCorrelationStore) -> None:
    # A pause's resume: two branches of one execution held by it, a third that reaches its hold afterwards.
    tokens = RecordingTaskTokens()
    register(store, tokens, waiter("token-a", "exec-1/aHold"), NOW, broadcast=True)
    register(store, tokens, waiter("token-b", "exec-1/bHold", at=NOW + 1), NOW + 1, broadcast=True)

    first = receive(store, tokens, message(), NOW + MINUTE, broadcast=True)
    again = receive(store, tokens, message(), NOW + 2 * MINUTE, broadcast=True)  # a redelivery
    late = register(
        store, tokens, waiter("token-c", "exec-1/cHold", at=NOW + 3 * MINUTE), NOW + 3 * MINUTE, broadcast=True
    )

    assert first.delivery == "delivered" and again.delivery == "buffered" and late.delivery == "delivered"
    assert sorted(token for _, token, _ in tokens.calls) == ["token-a", "token-b", "token-c"], "each resumed once"
    # A one-shot message, by contrast, is the first waiter's only (test_the_same_message_twice_is_delivered_once).


def test_a_message_id_reused_with_other_data_is_refused(store: DynamoDBCorrelationStore) -> None:
    tokens = RecordingTaskTokens()
    receive(store, tokens, message(decision="approved"), NOW)

    with pytest.raises(MessageConflict, match="decision-1.*other data"):
        receive(store, tokens, message(decision="rejected"), NOW + 1)
    register(store, tokens, waiter(), NOW + 2)
    assert tokens.calls == [("succeed", "token-1", message(decision="approved").body)]


def test_a_buffered_message_past_its_ttl_is_not_delivered(store: DynamoDBCorrelationStore) -> None:
    tokens = RecordingTaskTokens()
    receive(store, tokens, message(expires=NOW + MINUTE), NOW)

    assert register(store, tokens, waiter(at=NOW + 2 * MINUTE), NOW + 2 * MINUTE).delivery == "waiting"
    assert tokens.calls == []


def test_a_waiter_past_its_timeout_is_not_resumed(store: DynamoDBCorrelationStore) -> None:
    tokens = RecordingTaskTokens()
    register(store, tokens, waiter(expires=NOW + MINUTE), NOW)

    assert receive(store, tokens, message(), NOW + 2 * MINUTE).delivery == "buffered"
    assert tokens.calls == []


def test_a_retried_wait_replaces_its_token(store: DynamoDBCorrelationStore) -> None:
    """Step Functions retrying the register task issues a new token; the message goes to the one still waited on."""
    tokens = RecordingTaskTokens()
    register(store, tokens, waiter("token-old"), NOW)
    register(store, tokens, waiter("token-new", at=NOW + 1), NOW + 1)

    assert receive(store, tokens, message(), NOW + MINUTE).delivery == "delivered"
    assert tokens.calls == [("succeed", "token-new", message().body)]


def test_a_match_interrupted_before_the_answer_is_answered_by_the_redelivery(
    store: DynamoDBCorrelationStore,
) -> None:
    tokens = RecordingTaskTokens()
    register(store, tokens, waiter(), NOW)
    stored = store.put_message(message())
    assert store.match(stored, waiter())  # ... and the consumer died before SendTaskSuccess

    assert receive(store, tokens, message(), NOW + MINUTE).delivery == "delivered"
    assert tokens.calls == [("succeed", "token-1", message().body)]
    assert receive(store, tokens, message(), NOW + 2 * MINUTE).delivery == "duplicate"


def test_a_workflow_that_no_longer_waits_takes_its_match_as_gone(store: DynamoDBCorrelationStore) -> None:
    tokens = RecordingTaskTokens(gone={"token-1"})
    register(store, tokens, waiter(), NOW)

    assert receive(store, tokens, message(), NOW + MINUTE).delivery == "gone"
    # The match stands (the message goes to no other waiter); a redelivery tries the same dead token again.
    assert receive(store, tokens, message(), NOW + 2 * MINUTE).delivery == "gone"
    assert register(store, tokens, waiter("token-9", "exec-9/Await"), NOW + 3 * MINUTE).delivery == "waiting"


def test_a_register_task_retried_after_its_token_died_still_gets_the_message(store: DynamoDBCorrelationStore) -> None:
    """Attempt 1 registers and fails; the decision arrives in the backoff and matches attempt 1's (dead) token;
    attempt 2, same waiter id and a new token, receives it."""
    tokens = RecordingTaskTokens(gone={"token-1"})
    register(store, tokens, waiter("token-1"), NOW)
    assert receive(store, tokens, message(), NOW + 1).delivery == "gone"

    assert register(store, tokens, waiter("token-2", at=NOW + 2), NOW + 2).delivery == "delivered"
    assert tokens.calls[-1] == ("succeed", "token-2", message().body)
    assert receive(store, tokens, message(), NOW + 3).delivery == "duplicate"


def test_a_transaction_cancelled_by_a_conflicting_one_is_tried_again(
    store: DynamoDBCorrelationStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = store._table.meta.client
    real = client.transact_write_items
    conflicts = [1]

    def conflicting_once(**arguments: Any) -> Any:
        if conflicts:
            conflicts.pop()
            response = {
                "Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
                "CancellationReasons": [{"Code": "TransactionConflict"}, {"Code": "None"}],
            }
            raise ClientError(response, "TransactWriteItems")
        return real(**arguments)

    monkeypatch.setattr(client, "transact_write_items", conflicting_once)
    tokens = RecordingTaskTokens()
    register(store, tokens, waiter(), NOW)

    assert receive(store, tokens, message(), NOW + 1).delivery == "delivered"
    assert conflicts == [], "the first attempt met the conflict"


def test_concurrent_waiters_and_messages_pair_off_one_to_one(store: DynamoDBCorrelationStore) -> None:
    """Ten waiters and ten messages of one subject, all at once: each workflow resumes once, each message once."""
    tokens = RecordingTaskTokens()
    atomic = AtomicWrites()  # moto's conditional writes are atomic only with the local runtime's lock
    atomic.install()
    try:
        work = [
            *(
                lambda i=i: register(store, tokens, waiter(f"token-{i}", f"exec-{i}/Await", at=NOW + i), NOW)
                for i in range(10)
            ),
            *(lambda i=i: receive(store, tokens, message(f"decision-{i}", at=NOW + i), NOW) for i in range(10)),
        ]
        threads = [threading.Thread(target=w) for w in work]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        atomic.uninstall()

    answered_tokens = [call[1] for call in tokens.calls]
    delivered_messages = [call[2]["message_id"] for call in tokens.calls]
    assert sorted(answered_tokens) == sorted(f"token-{i}" for i in range(10))
    assert sorted(delivered_messages) == sorted(f"decision-{i}" for i in range(10))


def test_handlers_register_a_wait_and_deliver_an_approval_decided_event(
    store: DynamoDBCorrelationStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKFLOW_CONTROL_TABLE", TABLE)
    monkeypatch.setenv("MESSAGE_TTL_SECONDS", "3600")
    for module in (deliveries, registrations):
        module.dependencies.cache_clear()
    tokens = RecordingTaskTokens()
    monkeypatch.setattr(
        deliveries, "dependencies", lambda: deliveries.Dependencies(store, tokens, message_ttl_ms=3_600_000)
    )
    monkeypatch.setattr(registrations, "dependencies", lambda: (store, tokens))
    decided = delivered_event(
        "ApprovalDecided",
        "orchestrator.approvals",
        {"approval_id": "ticket-1", "decision": "rejected", "decided_by": "lead@example.com"},
        idempotency_key="approval:ticket-1",
        correlation_id="ticket-1",
    )

    answer = deliveries.handler(sqs_event([json.dumps(decided)] * 2), LambdaContext())
    waited = registrations.handler(
        {
            "message_name": "ApprovalDecided",
            "correlation_key": "ticket-1",
            "waiter_id": "exec-1/AwaitApproval/2026-11-25T12:00:00Z",
            "task_token": "token-1",
            "timeout_seconds": 600,
        },
        LambdaContext(),
    )

    assert answer == {"batchItemFailures": []}
    assert waited == {
        "delivery": "delivered",
        "message_id": "approval:ticket-1",
        "waiter_id": "exec-1/AwaitApproval/2026-11-25T12:00:00Z",
    }
    [(call, token, output)] = tokens.calls
    assert (call, token) == ("succeed", "token-1")
    assert output["data"]["decision"] == "rejected" and output["message_name"] == "ApprovalDecided"
    assert output["metadata"]["correlation_id"] == "ticket-1"


def test_register_refuses_a_message_nobody_correlates(store: DynamoDBCorrelationStore) -> None:
    request = {
        "message_name": "PaymentSettled",
        "correlation_key": "pay-1",
        "waiter_id": "exec-1/Await",
        "task_token": "token-1",
        "timeout_seconds": 60,
    }
    with pytest.raises(ValueError, match="message_name: 'PaymentSettled' is not correlated"):
        registrations.handler(request, LambdaContext())

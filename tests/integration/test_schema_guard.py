"""The schema guard, handler called in-process against moto: invalid events end in the quarantine with the reason."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from functions.schema_guard import handler as guard_handler
from tests.builders import LambdaContext, delivered_event, sample_event


def _quarantined(url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
    return [
        {"body": json.loads(m["Body"]), "attributes": {k: v["StringValue"] for k, v in m["MessageAttributes"].items()}}
        for m in messages.get("Messages", [])
    ]


def test_a_valid_event_passes_and_nothing_is_quarantined(quarantine_url: str) -> None:
    verdict = guard_handler.handler(sample_event("order_placed"), LambdaContext())
    assert verdict["valid"] is True
    assert _quarantined(quarantine_url) == []


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        (delivered_event("OrderPlaced", "shop.orders", data={"order_id": "o-1"}), "data.customer_id: Field required"),
        (delivered_event("OrderPlaced", "shop.orders", schema_version=3), "metadata.schema_version"),
        (delivered_event("OrderPlaced", "shop.payments"), "source: detail-type 'OrderPlaced' comes from source"),
        ({**delivered_event("OrderPlaced", "shop.orders"), "detail-type": "Gossip"}, "unknown detail-type 'Gossip'"),
        ({**delivered_event("OrderPlaced", "shop.orders"), "detail": "not json"}, "(root): Input should be"),
    ],
    ids=["missing-field", "wrong-version", "wrong-source", "unknown-type", "detail-not-object"],
)
def test_an_invalid_event_is_quarantined_with_the_reason(
    quarantine_url: str, event: dict[str, Any], reason: str
) -> None:
    verdict = guard_handler.handler(event, LambdaContext())
    assert verdict["valid"] is False
    (kept,) = _quarantined(quarantine_url)
    assert reason in kept["body"]["reason"]
    assert kept["body"]["event"] == event, "the event is kept exactly as it arrived"
    assert kept["body"]["errors"] and all(e["field"] and e["reason"] for e in kept["body"]["errors"])
    assert kept["attributes"]["event_id"] == event["id"]
    assert kept["attributes"]["reason"] == kept["body"]["reason"][:256], "the attribute is the reason, cut to 256"

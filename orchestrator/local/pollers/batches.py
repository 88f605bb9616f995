"""A batch as Lambda sees it: the SQS event it builds from received messages, and which messages its function's
answer keeps for redelivery.

A function error (or an invoke that raised) keeps the whole batch; with ReportBatchItemFailures the response
`{"batchItemFailures": [{"itemIdentifier": id}]}` keeps only those messages, and a response Lambda calls invalid (bad
JSON, empty or null identifier, a bad key, an id not in the batch) fails the whole batch, as AWS documents under
"Success and failure conditions". moto 5.2.5 has neither batches nor partial batch responses.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from orchestrator.local.lambda_port import Invocation


@dataclass(frozen=True)
class BatchRecord:
    """One invocation of a mapping: the messages it carried and those kept for redelivery."""

    mapping: str
    queue: str
    function: str
    message_ids: tuple[str, ...]
    failed_ids: tuple[str, ...]
    error: str | None = None  # why the whole batch failed; None when the function's answer was used


def sqs_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One record of the SQS event, as Lambda builds it from a received message."""
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {
            name: _message_attribute(value) for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def batch_failures(
    message_ids: Sequence[str], invocation: Invocation, report_batch_item_failures: bool
) -> tuple[set[str], str | None]:
    """The ids Lambda keeps for redelivery after this invocation, and why the whole batch failed (if it did)."""
    everything = set(message_ids)
    if invocation.function_error or not 200 <= invocation.status_code < 300:
        return everything, f"function error: {invocation.function_error or invocation.status_code}"
    if not report_batch_item_failures:
        return set(), None
    try:
        response = json.loads(invocation.payload or b"null")
    except ValueError:
        return everything, "invalid batch response: not JSON"
    # An empty or null response, or a null list, is a complete success (AWS: "Success and failure conditions").
    if response is None:
        return set(), None
    if not isinstance(response, dict):
        return everything, "invalid batch response: not a JSON object"
    items = response.get("batchItemFailures")
    if items is None:
        return set(), None
    if not isinstance(items, list):
        return everything, "invalid batch response: batchItemFailures is not a list"
    failed = _item_identifiers(items)
    if failed is None:
        return everything, "invalid batch response: an item without a non-empty itemIdentifier"
    unknown = sorted(failed - everything)
    if unknown:
        return everything, f"invalid batch response: {unknown} are not messages of the batch"
    return failed, None


def _item_identifiers(items: Iterable[Any]) -> set[str] | None:
    identifiers = set()
    for item in items:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(identifier, str) or not identifier:
            return None
        identifiers.add(identifier)
    return identifiers


def _message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    """An SQS API message attribute as Lambda's event spells it (camelCase, binary as base64)."""
    attribute: dict[str, Any] = {
        "stringListValues": list(value.get("StringListValues", [])),
        "binaryListValues": [_base64(v) for v in value.get("BinaryListValues", [])],
        "dataType": value["DataType"],
    }
    if "StringValue" in value:
        attribute["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        attribute["binaryValue"] = _base64(value["BinaryValue"])
    return attribute


def _base64(data: bytes) -> str:
    return base64.b64encode(data).decode()

"""Adapter: the quarantine as an SQS queue (alarmed in the stack), one message per invalid event."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from functions.schema_guard.logic import quarantine_record
from schemas.validation import FieldError

_ATTRIBUTE_LIMIT = 256  # keep attributes short: the full reason is in the body


class SqsQuarantine:
    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def quarantine(self, event: Mapping[str, Any], reason: str, errors: list[FieldError]) -> str:
        attributes = {
            "reason": reason[:_ATTRIBUTE_LIMIT],
            "detail_type": str(event.get("detail-type") or "(none)")[:_ATTRIBUTE_LIMIT],
            "source": str(event.get("source") or "(none)")[:_ATTRIBUTE_LIMIT],
            "event_id": str(event.get("id") or "(none)")[:_ATTRIBUTE_LIMIT],
        }
        response = self._client.send_message(
            QueueUrl=self._queue_url,
            MessageBody=json.dumps(quarantine_record(event, reason, errors), default=str),
            MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()},
        )
        return str(response["MessageId"])

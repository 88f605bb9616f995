"""Adapter: the quarantine as an SQS queue (alarmed in the stack), one message per invalid event."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from functions.schema_guard.logic import quarantine_record
from schemas.validation import FieldError

_ATTRIBUTE_LIMIT = 256  # keep attributes short: the full reason is in the body
# What SQS refuses in a message attribute (anything outside #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF):
# an invalid event may carry control characters or lone surrogates in its detail-type, and must still be quarantined.
_NOT_IN_SQS = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class SqsQuarantine:
    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def quarantine(self, event: Mapping[str, Any], reason: str, errors: list[FieldError]) -> str:
        attributes = {
            "reason": reason,
            "detail_type": str(event.get("detail-type") or "(none)"),
            "source": str(event.get("source") or "(none)"),
            "event_id": str(event.get("id") or "(none)"),
        }
        attributes = {name: _NOT_IN_SQS.sub("\ufffd", value[:_ATTRIBUTE_LIMIT]) for name, value in attributes.items()}
        response = self._client.send_message(
            QueueUrl=self._queue_url,
            MessageBody=_body(event, reason, errors),
            MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()},
        )
        return str(response["MessageId"])


def _body(event: Mapping[str, Any], reason: str, errors: list[FieldError]) -> str:
    try:
        return json.dumps(quarantine_record(event, reason, errors), default=str)
    except RecursionError:
        # Nested about a thousand deep, more than the encoder's stack: the envelope is kept, what is under it named.
        shallow = {k: v if isinstance(v, (str, int, float, bool, type(None))) else _TOO_DEEP for k, v in event.items()}
        return json.dumps(quarantine_record(shallow, reason, errors), default=str)


_TOO_DEEP = "(nested too deeply to keep as JSON)"

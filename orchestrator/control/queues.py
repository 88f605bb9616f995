"""The stage's set-aside messages: the schema guard's quarantine (invalid events, with the reason each broke its
contract) and the dead-letter queues (deliveries that failed after their retries), each with its depth and a sample.

Queues are found the way discovery.py finds tables: a queue without an explicit name is named
`<stack>-<LogicalId>[-<random>]` on AWS and on the local runtime, and the stack name holds the stage. The schema
guard's quarantine is the `SchemaGuardQuarantine...` queue (infra/constructs/schema_guard.py); a dead-letter queue
is one whose logical id says `DeadLetters` (infra/constructs: `DeadLetters`, `TargetDeadLetters`,
`StartDeadLetters`...).

A sample is read with ReceiveMessage and a visibility timeout of 0: the messages stay where they are, visible, and
only their receive count grows (nothing consumes these queues). Nothing here deletes or moves a message.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from orchestrator.control.connection import Connection

QUARANTINE_MARK: Final = "SchemaGuardQuarantine"
DEAD_LETTER_MARK: Final = "DeadLetters"
MAX_SAMPLE: Final = 10  # what one ReceiveMessage returns at most
QueueKind = Literal["quarantine", "dead-letter"]


@dataclass(frozen=True)
class SetAsideMessage:
    message_id: str
    reason: str  # why it was set aside: the schema guard's field errors, or the error EventBridge / Lambda recorded
    detail_type: str  # of the event it holds ("" when the body is no event)
    correlation_id: str  # the event's `detail.metadata.correlation_id`, "" when it has none
    body: str  # as stored, for an operator to read


@dataclass(frozen=True)
class SetAsideQueue:
    name: str
    kind: QueueKind
    url: str
    depth: int  # visible and in flight
    sample: list[SetAsideMessage]


class QueueOperations(Connection):
    """The quarantine and dead-letter queues of the stage: depths, reasons, a sample."""

    def set_aside(self, *, sample: int = 5) -> list[SetAsideQueue]:
        """The quarantine first, then each dead-letter queue by name, each with up to `sample` messages read
        without consuming them."""
        sqs = self._client("sqs")
        found: list[SetAsideQueue] = []
        with self._calls():
            for url in self._set_aside_urls(sqs):
                name = url.rsplit("/", 1)[-1]
                kind: QueueKind = "quarantine" if QUARANTINE_MARK in name else "dead-letter"
                attributes = sqs.get_queue_attributes(
                    QueueUrl=url,
                    AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
                )["Attributes"]
                depth = sum(int(value) for value in attributes.values())
                messages = self._peek(sqs, url, min(sample, MAX_SAMPLE)) if depth and sample > 0 else []
                found.append(SetAsideQueue(name, kind, url, depth, [read_message(kind, m) for m in messages]))
        found.sort(key=lambda queue: (queue.kind != "quarantine", queue.name))
        return found

    def _set_aside_urls(self, sqs: Any) -> list[str]:
        urls: list[str] = []
        arguments: dict[str, Any] = {"QueueNamePrefix": f"{self.config.prefix}-"}
        while True:
            page = sqs.list_queues(**arguments)
            urls += page.get("QueueUrls", [])
            if not page.get("NextToken"):
                break
            arguments["NextToken"] = page["NextToken"]
        names = {url: url.rsplit("/", 1)[-1] for url in urls}
        return [url for url, name in names.items() if QUARANTINE_MARK in name or DEAD_LETTER_MARK in name]

    @staticmethod
    def _peek(sqs: Any, url: str, count: int) -> list[dict[str, Any]]:
        answer = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=count,
            VisibilityTimeout=0,
            MessageAttributeNames=["All"],
        )
        return list(answer.get("Messages", []))


def read_message(kind: QueueKind, message: Mapping[str, Any]) -> SetAsideMessage:
    """A message of a `kind` queue as ReceiveMessage gives it, read: why it was set aside and what it holds."""
    body = str(message.get("Body", ""))
    loaded = json_object(body)
    # The schema guard's record holds the reason, then the event as it came (functions/schema_guard/logic.py);
    # EventBridge and Lambda keep the event itself as a dead letter's body.
    event = loaded.get("event") if kind == "quarantine" else loaded
    event = event if isinstance(event, Mapping) else {}
    reason = str(loaded.get("reason", "")) if kind == "quarantine" else dead_letter_reason(message)
    return SetAsideMessage(
        message_id=str(message.get("MessageId", "")),
        reason=reason,
        detail_type=str(event.get("detail-type", "")),
        correlation_id=correlation_of_event(event),
        body=body,
    )


def dead_letter_reason(message: Mapping[str, Any]) -> str:
    """Why a message was dead-lettered, from the attributes EventBridge or Lambda put on it (redrive puts none)."""
    attributes = {k: v.get("StringValue", "") for k, v in message.get("MessageAttributes", {}).items()}
    reason = " ".join(attributes[k] for k in ("ERROR_CODE", "ERROR_MESSAGE", "ErrorMessage") if k in attributes)
    return reason or "redriven after its maximum receives"


def correlation_of_event(event: Mapping[str, Any]) -> str:
    """An EventBridge event's `detail.metadata.correlation_id`, or "" when it has none."""
    detail = event.get("detail")
    metadata = detail.get("metadata") if isinstance(detail, Mapping) else None
    correlation = metadata.get("correlation_id") if isinstance(metadata, Mapping) else None
    return str(correlation) if correlation is not None else ""


def json_object(text: str) -> dict[str, Any]:
    """`text` as a JSON object, or {} when it is none."""
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError:
        return {}
    return loaded if isinstance(loaded, dict) else {}

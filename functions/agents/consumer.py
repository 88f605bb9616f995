"""What the SQS-backed consumers (agents, callback) share: reading the EventBridge event in each message, and
processing a batch with partial failures (only the messages that failed are delivered again), and doing each event
once (Powertools idempotency keyed on the envelope)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import boto3
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.serialization.dataclass import DataclassSerializer
from aws_lambda_powertools.utilities.typing import LambdaContext

from schemas.envelope import EventData, EventDetail
from schemas.validation import EventValidationError, FieldError, validate_detail

ResultT = TypeVar("ResultT")


def read_event(body: str, *accepted: type[EventData]) -> EventDetail[Any]:
    """The validated detail of the event in `body`, which must be one of the `accepted` types from its source.

    Raises EventValidationError naming the field at fault: a message a consumer cannot read is a poison message,
    and the caller lets it fail so that it ends in the queue's dead-letter queue after its retries.
    """
    try:
        event = json.loads(body)
    except json.JSONDecodeError as error:
        raise EventValidationError([FieldError("", "(body)", f"not JSON: {error.msg}")]) from None
    if not isinstance(event, dict):
        raise EventValidationError([FieldError("", "(body)", "an EventBridge event must be a JSON object")])
    detail_type = event.get("detail-type")
    wanted = {t.DETAIL_TYPE: t for t in accepted}
    if detail_type not in wanted:
        reason = f"this consumer reads {', '.join(sorted(wanted))}, not {detail_type!r}"
        raise EventValidationError([FieldError(str(detail_type or ""), "detail-type", reason)])
    source = event.get("source")
    return validate_detail(str(detail_type), event.get("detail"), source if isinstance(source, str) else "")


def process_batch(
    event: dict[str, Any], record_handler: Callable[[SQSRecord], None], context: LambdaContext
) -> dict[str, Any]:
    """Runs `record_handler` on every message of an SQS event; answers `{"batchItemFailures": [...]}`."""
    # A processor per invocation: it keeps per-batch state, and the local runtime may run invocations in parallel.
    # A batch whose every message failed is reported item by item too, rather than raised: the outcome is the same
    # (all delivered again), and the invocation's answer stays one shape.
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return dict(process_partial_response(event, record_handler, processor, context))


@dataclass(frozen=True)
class OncePerEvent(Generic[ResultT]):
    """`call(event=...)` runs the wrapped function once per envelope `metadata.idempotency_key`; a redelivery gets the
    stored result. The same key with other `data` raises IdempotencyValidationError. `config` takes the Lambda
    context of each invocation (`register_lambda_context`), so an in-progress record expires with the invocation."""

    config: IdempotencyConfig
    call: Callable[..., ResultT]


def once_per_event(
    function: Callable[..., ResultT], result_type: type[ResultT], table_name: str
) -> OncePerEvent[ResultT]:
    """Wraps `function` (taking the validated event as the keyword `event`) with Powertools idempotency on
    `table_name` (Powertools' default layout: key `id`, TTL `expiration`); `result_type` is a dataclass."""
    # The key and the payload checked under it are the envelope's: the producer says which deliveries are one event.
    config = IdempotencyConfig(
        event_key_jmespath="metadata.idempotency_key",
        payload_validation_jmespath="data",
        raise_on_no_idempotency_key=True,
    )
    store = DynamoDBPersistenceLayer(table_name=table_name, boto3_client=boto3.client("dynamodb"))
    call = idempotent_function(
        function,
        data_keyword_argument="event",
        persistence_store=store,
        config=config,
        output_serializer=DataclassSerializer(result_type),
    )
    return OncePerEvent(config, call)

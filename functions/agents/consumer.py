"""What the SQS-backed consumers (agents, callback) share: reading the EventBridge event in each message, and
processing a batch with partial failures (only the messages that failed are delivered again). Doing each event once
(Powertools idempotency keyed on the envelope) is functions/idempotency.py, shared with the order saga's services.

Every consumer's handler module (and functions/agents/kit.py) names its answer's type, `PartialItemFailureResponse`,
from Powertools' batch utility among its third-party imports, which sort before pydantic's. The order matters: the
utility, imported once pydantic is, imports every Powertools parser model for its type annotations
(`aws_lambda_powertools.utilities.batch.types`), 35 to 80 ms of each consumer's cold start for nothing
(bench/imports.py); imported before pydantic, it takes 4 ms. tests/unit/test_cold_imports.py checks that no handler
loads the parser models."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from schemas.envelope import EventData, EventDetail
from schemas.validation import EventValidationError, FieldError, validate_detail


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
) -> PartialItemFailureResponse:
    """Runs `record_handler` on every message of an SQS event; answers `{"batchItemFailures": [...]}`."""
    # A processor per invocation: it keeps per-batch state, and the local runtime may run invocations in parallel.
    # A batch whose every message failed is reported item by item too, rather than raised: the outcome is the same
    # (all delivered again), and the invocation's answer stays one shape.
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return process_partial_response(event, record_handler, processor, context)

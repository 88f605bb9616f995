"""HTTP ingestion logic: parse a request body, validate every event against its model, publish the valid batch.

Request: `{"events": [{"detail-type": "OrderPlaced", "data": {...}, "source"?, "correlation_id"?,
"idempotency_key"?}]}`. All events are validated before any is published: a request is accepted whole or refused
whole, with every field error listed, so a producer never has to work out which half went through.

Only external event types are taken (schemas/envelope.py `EMITTED_BY`): an internal one (an ApprovalDecided, an
AgentTaskCompleted, a DagTaskFinished...) is a fact only the app's own components state, so a request naming one is
refused whole with 403, before anything is validated or published.

An event sent without an `idempotency_key` gets one derived from its content (`content_key`: its type and data),
never a fresh one: a webhook retried without a key is then the same event to every consumer, and the workflow it
starts is claimed once per business id anyway (functions/admission). The function's PutEvents grant is conditioned
on the external types too (infra/constructs/emitting.py): a bug here would be denied at the bus.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from functions.json_body import ROOT, BodyError, body_text, read_json
from functions.producer.limits import ENTRY_TOO_LARGE
from functions.producer.publisher import EventPublisher, OutgoingEvent, PublishResult
from schemas.catalog import event_type_for, event_types, is_known
from schemas.envelope import Identifier, NonEmptyStr, is_external
from schemas.validation import EventValidationError, FieldError, as_dicts, field_errors, validate_data

MAX_BODY_BYTES = 262_144  # EventBridge's own limit for one PutEvents call


class IncomingEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    detail_type: str = Field(alias="detail-type", min_length=1, max_length=128)
    data: dict[str, Any]
    source: str | None = Field(default=None, min_length=1, max_length=256)
    correlation_id: Identifier | None = None
    idempotency_key: NonEmptyStr | None = None


class IngestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: list[IncomingEvent] = Field(min_length=1)


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: status code and JSON body."""

    status: int
    body: dict[str, Any]
    # What the bus answered for each event it did not take, in full: for the log only, never the body.
    unsent: tuple[PublishResult, ...] = ()


def ingest(body: str | None, publisher: EventPublisher, max_events: int, *, base64_encoded: bool = False) -> Reply:
    """Handles one POST /events body (as API Gateway passes it); never raises for bad input."""
    try:
        text = body_text(body, base64_encoded)
        if text is None or not text.strip():
            return _refused(400, 'the request has no body; send {"events": [...]}', [])
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > MAX_BODY_BYTES:
            return _refused(413, f"the body is {size} bytes; the limit is {MAX_BODY_BYTES}", [])
        raw = read_json(text)
    except BodyError as error:  # not JSON, or a value no event can carry (named: NaN, 1e999, a huge integer, ...)
        if error.problem.field == ROOT:
            return _refused(400, error.problem.reason, [])
        return _refused(400, "the request cannot be published as it is", [error.problem])
    try:
        request = IngestRequest.model_validate(raw)
    except ValidationError as error:
        return _refused(400, "the request does not have the expected shape", field_errors("", error))
    if len(request.events) > max_events:
        reason = f"{len(request.events)} events; at most {max_events} per request"
        return _refused(400, "too many events", [FieldError("", "events", reason)])
    internal = _internal_types(request.events)
    if internal:
        return _refused(403, "the request names event types that only this app's components emit", internal)
    errors = _contract_errors(request.events)
    if errors:
        return _refused(400, f"{len(errors)} field error(s); nothing was published", errors)
    results = publisher.publish(
        [
            OutgoingEvent(e.detail_type, e.data, e.source, e.correlation_id, e.idempotency_key or content_key(e))
            for e in request.events
        ]
    )
    return _published(results)


def external_types() -> tuple[str, ...]:
    """The detail-types POST /events takes (for the message that refuses an internal one: builds every model)."""
    return tuple(t.DETAIL_TYPE for t in event_types() if is_external(t))


def _internal_types(events: list[IncomingEvent]) -> list[FieldError]:
    known = [(index, event_type_for(e.detail_type)) for index, e in enumerate(events) if is_known(e.detail_type)]
    internal = [(index, event_type) for index, event_type in known if not is_external(event_type)]
    takes = ", ".join(external_types()) if internal else ""
    return [
        FieldError(
            event_type.DETAIL_TYPE,
            f"events[{index}].detail-type",
            f"{event_type.DETAIL_TYPE} is internal: only the app's {', '.join(sorted(event_type.EMITTED_BY))} emit "
            f"it; POST /events takes {takes}",
        )
        for index, event_type in internal
    ]


def content_key(event: IncomingEvent) -> str:
    """The idempotency key of an event sent without one: a digest of its type and data (key order aside)."""
    content = json.dumps([event.detail_type, event.data], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "content:" + hashlib.sha256(content.encode("utf-8", "surrogatepass")).hexdigest()


def _contract_errors(events: list[IncomingEvent]) -> list[FieldError]:
    errors: list[FieldError] = []
    for index, event in enumerate(events):
        try:
            validate_data(event.detail_type, event.data, event.source)
        except EventValidationError as error:
            errors += [FieldError(e.detail_type, f"events[{index}].{e.field}", e.reason) for e in error.errors]
    return errors


def _failure(result: PublishResult) -> dict[str, Any]:
    """Why an event was not sent: the code, and the message only when it is the publisher's own (an entry too large);
    the bus's can hold the account id and the function's role ARN, so it goes to the log only (the handler)."""
    if result.error_code == ENTRY_TOO_LARGE:
        return {"error_code": result.error_code, "error_message": result.error_message}
    return {"error_code": result.error_code}


def _refused(status: int, message: str, errors: list[FieldError]) -> Reply:
    return Reply(status, {"message": message, "errors": as_dicts(errors)})


def _published(results: list[PublishResult]) -> Reply:
    body_results = [
        {
            "event_id": r.event_id,
            "detail_type": r.detail_type,
            "correlation_id": r.correlation_id,
            "sent": r.sent,
            **({} if r.sent else _failure(r)),
        }
        for r in results
    ]
    if all(r.sent for r in results):
        return Reply(202, {"event_ids": [r.event_id for r in results], "results": body_results})
    too_large = any(r.error_code == ENTRY_TOO_LARGE for r in results)
    message = "some events were not published; retry those with sent=false (same idempotency_key)"
    unsent = tuple(r for r in results if not r.sent)
    return Reply(413 if too_large else 503, {"message": message, "results": body_results}, unsent)

"""Publishes validated events to an EventBridge bus: metadata, batching within PutEvents limits, retries.

Domain logic only: the bus is reached through the `EventBus` port (bus.py), so this module never imports boto3 and is
tested with a fake bus. `functions.producer.eventbridge.EventBridgeBus` is the adapter over a boto3 `events` client.
What an entry may be (its size, the PutEvents quotas, what no event can carry) is in limits.py.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from aws_lambda_powertools import Logger
from pydantic import ValidationError

from functions.producer.bus import EventBus, EventBusError, is_retryable
from functions.producer.limits import (
    ENTRY_TOO_LARGE,
    MAX_CALL_BYTES,
    MAX_ENTRIES_PER_CALL,
    entry_size,
    unsendable,
)
from schemas.envelope import EventData, EventDetail, Metadata
from schemas.validation import EventValidationError, FieldError, field_errors, validate_data

# Error code of a result for an entry the bus answered nothing for (a malformed response).
MISSING_RESULT = "MissingResultEntry"

_default_logger = Logger(service="producer")


class RandomSource(Protocol):
    """What the publisher needs of `random.Random`: a uniform draw, for the backoff jitter."""

    def uniform(self, a: float, b: float) -> float: ...


@dataclass(frozen=True)
class OutgoingEvent:
    """An event given as raw input (CLI, HTTP): its detail-type and `data`, validated against the model on publish.

    `source`, when given, must be the model's source. `correlation_id` ties the event to a business process and
    `idempotency_key` lets consumers deduplicate it across separate publishes; both are generated when absent.
    """

    detail_type: str
    data: Mapping[str, Any]
    source: str | None = None
    correlation_id: str | None = None
    idempotency_key: str | None = None

    @classmethod
    def from_model(
        cls, model: EventData, *, correlation_id: str | None = None, idempotency_key: str | None = None
    ) -> OutgoingEvent:
        """A model instance with an explicit correlation id or idempotency key."""
        return cls(
            detail_type=model.DETAIL_TYPE,
            data=model.model_dump(mode="json"),
            source=model.SOURCE,
            correlation_id=correlation_id,
            idempotency_key=idempotency_key,
        )


@dataclass(frozen=True)
class PublishResult:
    """What happened to one event. `attempts` counts the PutEvents calls that carried it (0: never sent)."""

    event_id: str
    detail_type: str
    sent: bool
    eventbridge_id: str | None
    error_code: str | None
    error_message: str | None
    attempts: int
    correlation_id: str


@dataclass
class _Prepared:
    index: int
    metadata: Metadata
    detail_type: str
    entry: dict[str, Any]
    size: int
    attempts: int = 0


@dataclass
class _Outcome:
    """Results by input index, filled as batches complete."""

    results: dict[int, PublishResult] = field(default_factory=dict)
    calls: int = 0


class EventPublisher:
    """Validates, stamps with metadata, batches and sends events to one bus, retrying transient failures."""

    def __init__(
        self,
        bus: EventBus,
        bus_name: str,
        producer: str,
        *,
        max_attempts: int = 5,
        base_delay: float = 0.05,
        max_delay: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
        rng: RandomSource | None = None,
        clock: Callable[[], datetime] | None = None,
        logger: Logger | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._bus = bus
        self._bus_name = bus_name
        self._producer = producer
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._sleep = sleep
        self._rng: RandomSource = rng if rng is not None else random.Random()
        self._clock: Callable[[], datetime] = clock if clock is not None else _utc_now
        self._logger = logger if logger is not None else _default_logger

    def publish(
        self,
        events: Iterable[EventData | OutgoingEvent],
        caused_by: EventDetail[Any] | Metadata | None = None,
    ) -> list[PublishResult]:
        """Publishes `events`, results in input order; if any is invalid, raises EventValidationError, sends nothing."""
        cause = caused_by.metadata if isinstance(caused_by, EventDetail) else caused_by
        prepared = self._prepare(list(events), cause)
        outcome = _Outcome()
        sendable: list[_Prepared] = []
        for item in prepared:
            if item.size > MAX_CALL_BYTES:
                outcome.results[item.index] = self._too_large(item)
            else:
                sendable.append(item)
        for batch in _batches(sendable):
            self._send_batch(batch, outcome)
        results = [outcome.results[i] for i in range(len(prepared))]
        sent = sum(r.sent for r in results)
        self._logger.info(
            "events published",
            bus_name=self._bus_name,
            sent=sent,
            failed=len(results) - sent,
            put_events_calls=outcome.calls,
        )
        return results

    # Preparation: everything is validated before the first call, so a bad event never leaves half a batch sent.

    def _prepare(self, events: list[EventData | OutgoingEvent], cause: Metadata | None) -> list[_Prepared]:
        errors: list[FieldError] = []
        prepared: list[_Prepared] = []
        for index, event in enumerate(events):
            try:
                prepared.append(self._prepare_one(index, event, cause))
            except EventValidationError as error:
                errors.extend(error.errors)
        if errors:
            self._logger.warning(
                "events refused", bus_name=self._bus_name, invalid_fields=len(errors), events=len(events)
            )
            raise EventValidationError(errors)
        return prepared

    def _prepare_one(self, index: int, event: EventData | OutgoingEvent, cause: Metadata | None) -> _Prepared:
        if isinstance(event, OutgoingEvent):
            raw: Any = dict(event.data) if isinstance(event.data, Mapping) else event.data
            _refuse_unsendable(event.detail_type, raw, "data")
            model = validate_data(event.detail_type, raw, event.source)
            correlation_id, idempotency_key = event.correlation_id, event.idempotency_key
        else:
            _refuse_unsendable(event.DETAIL_TYPE, dict(event), "data")
            model = validate_data(event.DETAIL_TYPE, event.model_dump(), event.SOURCE)
            correlation_id, idempotency_key = None, None
        metadata = self._metadata(model, correlation_id, idempotency_key, cause)
        _refuse_unsendable(model.DETAIL_TYPE, metadata.model_dump(), "metadata")
        detail = json.dumps(
            {"metadata": metadata.model_dump(mode="json"), "data": model.model_dump(mode="json")},
            separators=(",", ":"),
            ensure_ascii=False,
        )
        entry: dict[str, Any] = {
            "Source": model.SOURCE,
            "DetailType": model.DETAIL_TYPE,
            "Detail": detail,
            "EventBusName": self._bus_name,
            "Time": metadata.occurred_at,
        }
        return _Prepared(index, metadata, model.DETAIL_TYPE, entry, entry_size(entry))

    def _metadata(
        self, model: EventData, correlation_id: str | None, idempotency_key: str | None, cause: Metadata | None
    ) -> Metadata:
        detail_type = model.DETAIL_TYPE
        event_id = str(uuid.uuid4())
        causation_id: str | None = None
        if cause is not None:
            if correlation_id is not None and correlation_id != cause.correlation_id:
                reason = f"{correlation_id!r} differs from the causing event's {cause.correlation_id!r}"
                raise EventValidationError([FieldError(detail_type, "metadata.correlation_id", reason)])
            correlation_id, causation_id = cause.correlation_id, cause.event_id
        try:
            return Metadata(
                event_id=event_id,
                correlation_id=correlation_id if correlation_id is not None else str(uuid.uuid4()),
                causation_id=causation_id,
                idempotency_key=idempotency_key if idempotency_key is not None else event_id,
                schema_version=type(model).SCHEMA_VERSION,
                occurred_at=self._clock(),
                producer=self._producer,
            )
        except ValidationError as error:
            raise EventValidationError(field_errors(detail_type, error, "metadata")) from None

    # Sending: one batch at a time; only the entries that failed transiently go again.

    def _send_batch(self, batch: list[_Prepared], outcome: _Outcome) -> None:
        pending = batch
        attempt = 0
        while pending:
            attempt += 1
            for item in pending:
                item.attempts += 1
            outcome.calls += 1
            try:
                response = self._bus.put_events([item.entry for item in pending])
            except EventBusError as error:
                if not error.retryable or attempt >= self._max_attempts:
                    for item in pending:
                        outcome.results[item.index] = self._failed(item, error.code, error.message)
                    return
                self._backoff(attempt, len(pending), [error.code])
                continue
            pending = self._settle(pending, response, attempt, outcome)
            if pending:
                codes = [_entry_code(r) for r in _entries(response) if _entry_code(r) is not None]
                self._backoff(attempt, len(pending), codes)

    def _settle(
        self, pending: list[_Prepared], response: Mapping[str, Any], attempt: int, outcome: _Outcome
    ) -> list[_Prepared]:
        """Records final results of one call; returns the entries to retry."""
        answers = _entries(response)
        retry: list[_Prepared] = []
        for position, item in enumerate(pending):
            answer: Mapping[str, Any] = (
                answers[position]
                if position < len(answers)
                else {"ErrorCode": MISSING_RESULT, "ErrorMessage": "the bus returned no result for this entry"}
            )
            code = _entry_code(answer)
            if code is None and answer.get("EventId"):
                outcome.results[item.index] = self._sent(item, str(answer["EventId"]))
            elif is_retryable(code) and attempt < self._max_attempts:
                retry.append(item)
            else:
                message = str(answer.get("ErrorMessage") or "")
                outcome.results[item.index] = self._failed(item, code or MISSING_RESULT, message)
        return retry

    def _backoff(self, attempt: int, retrying: int, codes: list[str | None]) -> None:
        # Full jitter: a uniform draw under an exponentially growing cap spreads competing retries apart.
        delay = self._rng.uniform(0, min(self._max_delay, self._base_delay * 2 ** (attempt - 1)))
        self._logger.warning(
            "retrying PutEvents",
            bus_name=self._bus_name,
            attempt=attempt,
            max_attempts=self._max_attempts,
            retrying=retrying,
            error_codes=sorted({c for c in codes if c}),
            delay_seconds=round(delay, 4),
        )
        self._sleep(delay)

    # Results.

    def _sent(self, item: _Prepared, eventbridge_id: str) -> PublishResult:
        return _result(item, eventbridge_id=eventbridge_id)

    def _failed(self, item: _Prepared, code: str, message: str) -> PublishResult:
        self._logger.error(
            "event not published",
            bus_name=self._bus_name,
            event_id=item.metadata.event_id,
            detail_type=item.detail_type,
            correlation_id=item.metadata.correlation_id,
            error_code=code,
            attempts=item.attempts,
        )
        return _result(item, error_code=code, error_message=message)

    def _too_large(self, item: _Prepared) -> PublishResult:
        message = f"entry is {item.size} bytes; the PutEvents limit is {MAX_CALL_BYTES} bytes"
        return self._failed(item, ENTRY_TOO_LARGE, message)


def _refuse_unsendable(detail_type: str, value: Any, prefix: str) -> None:
    problem = unsendable(value, prefix)
    if problem is not None:
        raise EventValidationError([FieldError(detail_type, problem.field, problem.reason)])


def _batches(items: list[_Prepared]) -> list[list[_Prepared]]:
    """Groups items in input order into calls of at most MAX_ENTRIES_PER_CALL entries and MAX_CALL_BYTES."""
    batches: list[list[_Prepared]] = []
    current: list[_Prepared] = []
    current_size = 0
    for item in items:
        if current and (len(current) == MAX_ENTRIES_PER_CALL or current_size + item.size > MAX_CALL_BYTES):
            batches.append(current)
            current, current_size = [], 0
        current.append(item)
        current_size += item.size
    if current:
        batches.append(current)
    return batches


def _entries(response: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    entries = response.get("Entries")
    return list(entries) if isinstance(entries, list) else []


def _entry_code(answer: Mapping[str, Any]) -> str | None:
    code = answer.get("ErrorCode")
    return str(code) if code else None


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _result(
    item: _Prepared,
    *,
    eventbridge_id: str | None = None,
    error_code: str | None = None,
    error_message: str | None = None,
) -> PublishResult:
    return PublishResult(
        event_id=item.metadata.event_id,
        detail_type=item.detail_type,
        sent=eventbridge_id is not None,
        eventbridge_id=eventbridge_id,
        error_code=error_code,
        error_message=error_message,
        attempts=item.attempts,
        correlation_id=item.metadata.correlation_id,
    )

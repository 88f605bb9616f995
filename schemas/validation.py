"""Turns pydantic's validation errors into field-level errors that name the event, the field and the reason.

Producers (the publisher library, the HTTP ingestion API) and the schema guard all report problems this way, so a
user sees the same message wherever an event is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from schemas.catalog import UnknownEventTypeError, event_type_for
from schemas.envelope import EventData, EventDetail


@dataclass(frozen=True)
class FieldError:
    """One problem with one field of one event. `field` is a dotted path (`data.items[0].quantity`)."""

    detail_type: str
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.detail_type}: {self.field}: {self.reason}"

    def as_dict(self) -> dict[str, str]:
        return {"detail_type": self.detail_type, "field": self.field, "reason": self.reason}


class EventValidationError(ValueError):
    """An event does not match its contract. Carries every field error, not only the first."""

    def __init__(self, errors: Iterable[FieldError]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(str(e) for e in self.errors))


def field_path(location: Iterable[int | str], prefix: str = "") -> str:
    """`("items", 0, "quantity")` -> `items[0].quantity`, under an optional prefix."""
    path = prefix
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path = f"{path}.{part}" if path else str(part)
    return path or "(root)"


def field_errors(detail_type: str, error: ValidationError, prefix: str = "") -> list[FieldError]:
    """Every error of a pydantic ValidationError as a FieldError under `prefix`."""
    return [FieldError(detail_type, field_path(e["loc"], prefix), e["msg"]) for e in error.errors()]


def validate_data(detail_type: str, data: Any, source: str | None = None) -> EventData:
    """Validates an event's `data` against the model of `detail_type`; raises EventValidationError."""
    event_type = _event_type(detail_type, source)
    try:
        return event_type.model_validate(data)
    except ValidationError as error:
        raise EventValidationError(field_errors(detail_type, error, "data")) from None


def validate_detail(detail_type: str, detail: Any, source: str | None = None) -> EventDetail[EventData]:
    """Validates a whole `detail` (metadata and data) as it travels on the bus; raises EventValidationError."""
    event_type = _event_type(detail_type, source)
    try:
        parsed: EventDetail[EventData] = EventDetail[event_type].model_validate(detail)  # type: ignore[valid-type]
    except ValidationError as error:
        raise EventValidationError(field_errors(detail_type, error)) from None
    if parsed.metadata.schema_version != event_type.SCHEMA_VERSION:
        reason = f"version {parsed.metadata.schema_version} is not the deployed {event_type.SCHEMA_VERSION}"
        raise EventValidationError([FieldError(detail_type, "metadata.schema_version", reason)])
    return parsed


def _event_type(detail_type: str, source: str | None) -> type[EventData]:
    try:
        return event_type_for(detail_type, source)
    except UnknownEventTypeError as error:
        raise EventValidationError([FieldError(detail_type, error.field, str(error))]) from None


def as_dicts(errors: Iterable[FieldError]) -> list[Mapping[str, str]]:
    """Field errors as plain dicts, for JSON responses and quarantine messages."""
    return [e.as_dict() for e in errors]

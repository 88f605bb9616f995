"""Schema guard logic: decide whether an event on the bus honours its contract, and quarantine it if not."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from schemas.validation import EventValidationError, FieldError, as_dicts, validate_detail


class Quarantine(Protocol):
    """Port: where invalid events are kept, with the reason, until someone looks at them."""

    def quarantine(self, event: Mapping[str, Any], reason: str, errors: list[FieldError]) -> str:
        """Stores `event` with `reason`; returns the id of the stored record."""
        ...


@dataclass(frozen=True)
class Verdict:
    event_id: str
    valid: bool
    reason: str = ""
    quarantine_id: str | None = None


# Field errors a quarantined record spells out; the rest are counted. An event within EventBridge's 256 KiB can break
# its contract in tens of thousands of places (as many unknown fields), whose every error would not fit in SQS.
MAX_REASONS = 20


def guard(event: Any, quarantine: Quarantine) -> Verdict:
    """Validates one EventBridge event; an invalid one is quarantined with its field errors as the reason."""
    errors = contract_errors(event)
    event_id = str(event.get("id", "")) if isinstance(event, Mapping) else ""
    if not errors:
        return Verdict(event_id=event_id, valid=True)
    errors, more = errors[:MAX_REASONS], len(errors) - MAX_REASONS
    reason = "; ".join(str(e) for e in errors) + (f"; and {more} more field error(s)" if more > 0 else "")
    stored = event if isinstance(event, Mapping) else {"unparsed": repr(event)}
    return Verdict(event_id, valid=False, reason=reason, quarantine_id=quarantine.quarantine(stored, reason, errors))


def contract_errors(event: Any) -> list[FieldError]:
    """Every way `event` breaks its contract (empty when it honours it)."""
    if not isinstance(event, Mapping):
        return [FieldError("", "(event)", "an EventBridge event must be a JSON object")]
    detail_type = event.get("detail-type")
    if not isinstance(detail_type, str) or not detail_type:
        return [FieldError("", "detail-type", "missing or not a string")]
    source = event.get("source")
    try:
        validate_detail(detail_type, event.get("detail"), source=source if isinstance(source, str) else "")
    except EventValidationError as error:
        return error.errors
    return []


def quarantine_record(event: Mapping[str, Any], reason: str, errors: list[FieldError]) -> dict[str, Any]:
    """The body kept for a quarantined event: the reason first, then the event exactly as it arrived."""
    return {"reason": reason, "errors": as_dicts(errors), "event": dict(event)}

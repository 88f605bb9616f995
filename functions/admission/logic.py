"""Admission logic: validate a workflow's start event, then claim its business id and idempotency key."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from schemas.tables import claim_prefix
from schemas.validation import EventValidationError, FieldError, validate_detail


class InvalidStartEvent(Exception):
    """The start event does not honour its contract; the message lists each field and reason (JSON)."""


class DuplicateStart(Exception):
    """Another execution claimed this business id: this delivery (or retry without its key) is a duplicate."""


class IdempotencyKeyConflict(Exception):
    """The event's idempotency key was claimed for another business id."""


class ClaimConflict(Exception):
    """What a claim store raises when a claim is held by someone else (`business_id` or `key` taken)."""

    def __init__(self, *, business_id_taken: bool, key_taken_by: str | None) -> None:
        super().__init__("claim held")
        self.business_id_taken = business_id_taken
        self.key_taken_by = key_taken_by  # the business id the key was claimed for, when it differs


class Claims(Protocol):
    """Port: the workflows' start claims."""

    def claim(self, workflow: str, business_id: str, idempotency_key: str, execution: str) -> None:
        """Claims both for `execution` (or finds them its own); raises ClaimConflict."""
        ...


@dataclass(frozen=True)
class Admitted:
    business_id: str
    claim: str  # the claim's key, `<workflow>#<business id>`

    def as_dict(self) -> dict[str, str]:
        return {"business_id": self.business_id, "claim": self.claim}


def admit(event: Any, workflow: str, execution: str, claims: Claims) -> Admitted:
    """Validates `event` (an EventBridge event), then claims its business id for `execution` of `workflow`."""
    if not isinstance(event, Mapping):
        raise InvalidStartEvent(_reasons([FieldError("", "(event)", "the start event is not a JSON object")]))
    detail_type = str(event.get("detail-type", ""))
    try:
        detail = validate_detail(detail_type, event.get("detail"), str(event.get("source", "")))
    except EventValidationError as error:
        raise InvalidStartEvent(_reasons(error.errors)) from None
    key_field = type(detail.data).BUSINESS_KEY
    if key_field is None:
        reason = f"{detail_type} starts no workflow: its model declares no BUSINESS_KEY"
        raise InvalidStartEvent(_reasons([FieldError(detail_type, "detail-type", reason)]))
    business_id = str(getattr(detail.data, key_field))
    key = detail.metadata.idempotency_key
    try:
        claims.claim(workflow, business_id, key, execution)
    except ClaimConflict as conflict:
        if conflict.key_taken_by is not None:
            raise IdempotencyKeyConflict(
                f"idempotency key {key!r} was used for {key_field} {conflict.key_taken_by!r}; this {detail_type} is "
                f"for {business_id!r}: give each {key_field} its own key"
            ) from None
        raise DuplicateStart(f"{workflow} already started for {key_field} {business_id!r}") from None
    return Admitted(business_id, claim_key(workflow, business_id))


def claim_key(workflow: str, business_id: str) -> str:
    return f"{claim_prefix(workflow)}{business_id}"


def key_claim_key(workflow: str, idempotency_key: str) -> str:
    return f"{claim_prefix(workflow)}key#{idempotency_key}"


def _reasons(errors: list[FieldError]) -> str:
    return json.dumps([{"field": e.field, "reason": e.reason} for e in errors])

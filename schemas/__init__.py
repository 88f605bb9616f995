"""Event contracts: pydantic models are the source of truth for every event on the bus."""

from __future__ import annotations

from schemas.catalog import EVENT_TYPES, UnknownEventTypeError, event_type_for
from schemas.envelope import EventData, EventDetail, Metadata

__all__ = ["EVENT_TYPES", "EventData", "EventDetail", "Metadata", "UnknownEventTypeError", "event_type_for"]

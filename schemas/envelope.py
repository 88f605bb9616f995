"""The envelope every event carries in its EventBridge `detail`: `{"metadata": {...}, "data": {...}}`.

Each event type subclasses `EventData` and names itself with explicit class constants (`DETAIL_TYPE`, `SOURCE`,
`SCHEMA_VERSION`); nothing is derived from class names. `SCHEMA_VERSION` is the major version of the contract:
bump it for a backward-incompatible change (see `schemas.compatibility`).
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Generic, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

NonEmptyStr = Annotated[str, StringConstraints(min_length=1, max_length=256)]
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$")]


class Metadata(BaseModel):
    """What every event says about itself, so that a process can be traced and deduplicated end to end."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    event_id: Identifier = Field(description="Unique id of this event.")
    correlation_id: Identifier = Field(description="The business process this event belongs to.")
    causation_id: Identifier | None = Field(default=None, description="event_id of the event that caused this one.")
    idempotency_key: NonEmptyStr = Field(description="Consumers do the work of an idempotency key once.")
    schema_version: int = Field(ge=1, description="Major version of the event's contract.")
    occurred_at: AwareDatetime = Field(description="When the fact happened (ISO 8601 with a time zone).")
    producer: NonEmptyStr = Field(description="The service or function that produced the event.")


class EventData(BaseModel):
    """Base of every event's `data`. Subclasses set the three class constants."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    DETAIL_TYPE: ClassVar[str]
    SOURCE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int] = 1
    DESCRIPTION: ClassVar[str] = ""


DataT = TypeVar("DataT", bound=EventData)


class EventDetail(BaseModel, Generic[DataT]):
    """The `detail` of an event on the bus."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    metadata: Metadata
    data: DataT


def schema_name(event_type: type[EventData]) -> str:
    """The registry name of an event's schema, as EventBridge schema discovery names them: `source@DetailType`."""
    return f"{event_type.SOURCE}@{event_type.DETAIL_TYPE}"


__all__ = ["DataT", "EventData", "EventDetail", "Identifier", "Metadata", "NonEmptyStr", "schema_name"]

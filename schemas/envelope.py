"""The envelope every event carries in its EventBridge `detail`: `{"metadata": {...}, "data": {...}}`.

Each event type subclasses `EventData` and names itself with explicit class constants (`DETAIL_TYPE`, `SOURCE`,
`SCHEMA_VERSION`, `EMITTED_BY`); nothing is derived from class names. `SCHEMA_VERSION` is the major version of the
contract: bump it for a backward-incompatible change (see `schemas.compatibility`).

`EMITTED_BY` is the event's class, a trust boundary: an *external* event (`Emitter.PRODUCERS` among its emitters)
may come from outside the app, through `POST /events` or a trusted account; an *internal* one is a fact only named
components of the app put (a workflow's state machine, an agent consumer, the control plane). Ingest refuses
internal types, and every PutEvents grant is conditioned on exactly the sources and detail-types of what its
principal emits (infra/constructs/emitting.py), so a forged ApprovalDecided or AgentTaskCompleted is refused at
ingest and denied at the bus.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar, Generic, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

NonEmptyStr = Annotated[str, StringConstraints(min_length=1, max_length=256)]
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$")]


class Emitter(StrEnum):
    """Who may put an event type on the bus."""

    PRODUCERS = "producers"  # outside the app: POST /events (ingest) and the stage's trusted accounts
    WORKFLOWS = "workflows"  # the app's state machines, each granted exactly the entries its definition puts
    AGENTS = "agents"  # the agent consumers' functions
    CONTROL = "control"  # the control plane: its HTTP API's function, and operators through the `orch` CLI


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
    EMITTED_BY: ClassVar[frozenset[Emitter]]
    # The `data` field naming the business object a workflow started by this event is about (an order's id): a
    # workflow is started once per business id, whatever the deliveries or idempotency keys (functions/admission).
    BUSINESS_KEY: ClassVar[str | None] = None
    # The `data` fields that never leave the workflow side as they are: the event store keeps, and the control plane
    # shows, a marker in their place (schemas/redaction.py). Task tokens are redacted wherever they are, declared
    # or not.
    SENSITIVE: ClassVar[frozenset[str]] = frozenset()


def is_external(event_type: type[EventData]) -> bool:
    """Whether `event_type` may come from outside the app (ingest, trusted accounts)."""
    return Emitter.PRODUCERS in event_type.EMITTED_BY


DataT = TypeVar("DataT", bound=EventData)


class EventDetail(BaseModel, Generic[DataT]):
    """The `detail` of an event on the bus."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    metadata: Metadata
    data: DataT


def schema_name(event_type: type[EventData]) -> str:
    """The registry name of an event's schema, as EventBridge schema discovery names them: `source@DetailType`."""
    return f"{event_type.SOURCE}@{event_type.DETAIL_TYPE}"


__all__ = [
    "DataT",
    "Emitter",
    "EventData",
    "EventDetail",
    "Identifier",
    "Metadata",
    "NonEmptyStr",
    "is_external",
    "schema_name",
]

"""ReportsDue (examples/scheduled_and_chained): the nightly workflow says the day's reports are due; starts the
reports-archive workflow. Internal: only workflows put it (the nightly's definition), IAM-enforced."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from schemas.envelope import Emitter, EventData, Identifier, NonEmptyStr


class ReportsDue(EventData):
    DETAIL_TYPE: ClassVar[str] = "ReportsDue"
    SOURCE: ClassVar[str] = "reports.schedules"
    SCHEMA_VERSION: ClassVar[int] = 1
    EMITTED_BY: ClassVar[frozenset[Emitter]] = frozenset({Emitter.WORKFLOWS})
    BUSINESS_KEY: ClassVar[str | None] = "run_id"
    DESCRIPTION: ClassVar[str] = "The nightly run found the day's reports due; starts the reports archive."

    run_id: Identifier = Field(description="The nightly execution's name.")
    schedule: NonEmptyStr


EVENTS: tuple[type[EventData], ...] = (ReportsDue,)

"""ReportRequested (examples/n_shaped_dag): someone asked for a period's report; starts the report-build DAG."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field, StringConstraints

from schemas.envelope import Emitter, EventData, Identifier


class ReportRequested(EventData):
    DETAIL_TYPE: ClassVar[str] = "ReportRequested"
    SOURCE: ClassVar[str] = "reports.app"
    SCHEMA_VERSION: ClassVar[int] = 1
    EMITTED_BY: ClassVar[frozenset[Emitter]] = frozenset({Emitter.PRODUCERS})  # external: POST /events may put it
    BUSINESS_KEY: ClassVar[str | None] = "report_id"
    DESCRIPTION: ClassVar[str] = "A report of a period was requested; starts the report-build DAG."

    report_id: Identifier
    period: Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}$")] = Field(description="The month, YYYY-MM.")


EVENTS: tuple[type[EventData], ...] = (ReportRequested,)

"""The control plane's operations on the stage's events: putting one on the bus (through the project's validating
publisher, functions/producer), a business process rebuilt from the event store (event_store.py), and replaying the
bus's archive."""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from aws_lambda_powertools import Logger

from functions.producer import EventBridgeBus, EventPublisher, OutgoingEvent
from orchestrator.control.connection import Connection
from orchestrator.control.errors import ControlError, InvalidInput, NotFound
from orchestrator.control.event_store import ProcessHistory, process_history
from schemas.envelope import Metadata
from schemas.tables import EVENT_STORE_TABLE
from schemas.validation import EventValidationError

PRODUCER: Final = "orch"  # metadata.producer of the events the control plane puts
REPLAY_WAIT_SECONDS: Final = 3600.0  # how long `replay(wait=True)` follows a replay (AWS replays take minutes)
REPLAY_POLL_SECONDS: Final = 5.0
REPLAY_ENDED: Final = ("COMPLETED", "FAILED", "CANCELLED")


@dataclass(frozen=True)
class PutResult:
    event_id: str  # the envelope's metadata.event_id
    eventbridge_id: str
    detail_type: str
    correlation_id: str


@dataclass(frozen=True)
class Replay:
    """An EventBridge archive replay as DescribeReplay reports it."""

    name: str
    arn: str
    archive: str
    state: str
    events_from: datetime.datetime
    events_until: datetime.datetime
    started: datetime.datetime | None
    ended: datetime.datetime | None


class EventOperations(Connection):
    """Put an event, read a business process's events, replay the archive."""

    def put_event(
        self,
        detail_type: str,
        data: Mapping[str, Any],
        *,
        source: str | None = None,
        correlation_id: str | None = None,
        idempotency_key: str | None = None,
        caused_by: Metadata | None = None,
    ) -> PutResult:
        """Validates `data` against the event type's model, wraps it in the envelope and puts it on the stage's bus
        (`caused_by`: the event answered, whose correlation id the new one inherits)."""
        bus = EventBridgeBus(self._client("events"))
        publisher = EventPublisher(bus, self.config.bus_name, producer=PRODUCER, logger=_quiet_logger())
        outgoing = OutgoingEvent(detail_type, data, source, correlation_id, idempotency_key)
        try:
            with self._calls():
                (result,) = publisher.publish([outgoing], caused_by=caused_by)
        except EventValidationError as error:
            first = error.errors[0]
            fields = "; ".join(f"{e.field}: {e.reason}" for e in error.errors)
            fix = (
                "fix the field and put the event again" if len(error.errors) == 1 else "fix the fields and put it again"
            )
            raise InvalidInput(f"invalid {detail_type}: {fields}", fix, field=first.field) from None
        if not result.sent:
            raise ControlError(
                f"{detail_type} was not put: {result.error_code} {result.error_message}",
                service_code=result.error_code or "PutEventsFailed",
            )
        return PutResult(result.event_id, str(result.eventbridge_id), detail_type, result.correlation_id)

    def process_history(self, correlation_id: str, as_of: datetime.datetime | None = None) -> ProcessHistory:
        """The business process `correlation_id` rebuilt from its stored events up to `as_of` (default: all): its
        state, its events and their causal chain (orchestrator/control/event_store.py)."""
        if not correlation_id:
            raise InvalidInput("no correlation id", "pass the business key, e.g. an order id", field="correlation_id")
        table = self._table(EVENT_STORE_TABLE)
        with self._calls():
            history = process_history(table, correlation_id, as_of, self.discovery.workflow_of)
        if not history.events and as_of is None:
            raise NotFound(
                f"no stored event of correlation id {correlation_id!r}", "`orch list` shows the correlation ids"
            )
        return history

    def replay(self, start: datetime.datetime, end: datetime.datetime, *, wait: bool = False) -> Replay:
        """Replays the events the stage's bus archived between `start` and `end` onto the bus (StartReplay), and
        returns the replay as described right after, or with `wait` once it has ended (reporting its progress:
        its state and how far it got). EventBridge replays to the bus's rules; it takes no event pattern (only rule
        ARNs), so the window is the whole selection."""
        if start >= end:
            raise InvalidInput("the replay window ends before it starts", "pass --since before --until", field="since")
        events = self._client("events")
        with self._calls():
            bus_arn = str(events.describe_event_bus(Name=self.config.bus_name)["Arn"])
            archives = events.list_archives(EventSourceArn=bus_arn)["Archives"]
            if not archives:
                raise NotFound(f"no archive of bus {self.config.bus_name}", "deploy the stage's event plane")
            archive = str(archives[0]["ArchiveName"])
            archive_arn = str(events.describe_archive(ArchiveName=archive)["ArchiveArn"])
            name = f"orch-{self.config.stage}-{round(self._now() * 1000)}"[:64]
            events.start_replay(
                ReplayName=name,
                Description=f"orch replay of {archive}",
                EventSourceArn=archive_arn,
                EventStartTime=start,
                EventEndTime=end,
                Destination={"Arn": bus_arn},
            )
            described = events.describe_replay(ReplayName=name)
            if wait:
                described = self._follow_replay(name, described)
        return Replay(
            name=name,
            arn=str(described["ReplayArn"]),
            archive=archive,
            state=str(described["State"]),
            events_from=described.get("EventStartTime", start),
            events_until=described.get("EventEndTime", end),
            started=described.get("ReplayStartTime"),
            ended=described.get("ReplayEndTime"),
        )

    def _follow_replay(self, name: str, described: dict[str, Any]) -> dict[str, Any]:
        """DescribeReplay until the replay ends (or REPLAY_WAIT_SECONDS pass), reporting each change."""
        deadline = time.monotonic() + REPLAY_WAIT_SECONDS
        reported = None
        while True:
            last = described.get("EventLastReplayedTime")
            progress = (described["State"], last)
            if progress != reported:
                up_to = f", events replayed up to {last:%Y-%m-%d %H:%M:%S}" if last else ""
                self.on_progress(f"replay {name}: {described['State']}{up_to}")
                reported = progress
            if described["State"] in REPLAY_ENDED or time.monotonic() > deadline:
                return described
            time.sleep(REPLAY_POLL_SECONDS)
            described = self._client("events").describe_replay(ReplayName=name)


def _quiet_logger() -> Logger:
    """The publisher logs each publish as JSON on stdout; an operator's terminal shows the result instead."""
    return Logger(service="orch", level="ERROR", logger_handler=logging.NullHandler())

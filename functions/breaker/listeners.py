"""Where a breaker reports its state changes: a log line, a metric and an event, each a listener; `observed` is the
three together, as a handler wires them.

A listener runs after the transition is written, in the caller's path: it must not raise, since the change it
reports has happened whatever becomes of the report (the event listener logs a publish that failed instead).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from functions.producer import EventPublisher, OutgoingEvent
from schemas.breaker_rules import TRANSITIONS_METRIC, State
from schemas.breakers import BreakerStateChanged


@dataclass(frozen=True)
class StateChange:
    """A transition this process won the conditional write for; `at` is epoch milliseconds."""

    breaker_id: str
    previous: State
    current: State
    at: int
    version: int


class BreakerListener(Protocol):
    def state_changed(self, change: StateChange) -> None:
        """Called once per transition, by the process whose write made it, after the write."""


class NoOpListener:
    def state_changed(self, change: StateChange) -> None:
        pass


class LoggingListener:
    """Logs every transition with structured keys, at WARNING when the breaker leaves CLOSED."""

    def __init__(self, logger: Logger | None = None) -> None:
        self._logger = logger or Logger()

    def state_changed(self, change: StateChange) -> None:
        log = self._logger.info if change.current == "CLOSED" else self._logger.warning
        log(
            "circuit breaker state changed",
            breaker_id=change.breaker_id,
            previous_state=change.previous,
            state=change.current,
            version=change.version,
        )


class MetricsListener:
    """One `BreakerTransitions` count per transition (CloudWatch EMF on stdout), with the dimensions `breaker_id`,
    `from_state` and `to_state`: an alarm or a graph can watch one breaker opening, or every breaker's probes failing.

    A metric of its own (not the handler's `Metrics`), because those dimensions are this metric's only. The namespace
    is the function's `POWERTOOLS_METRICS_NAMESPACE` unless given."""

    def __init__(self, namespace: str | None = None) -> None:
        self._namespace = namespace

    def state_changed(self, change: StateChange) -> None:
        with single_metric(
            name=TRANSITIONS_METRIC, unit=MetricUnit.Count, value=1, namespace=self._namespace
        ) as metric:
            metric.add_dimension(name="breaker_id", value=change.breaker_id)
            metric.add_dimension(name="from_state", value=change.previous)
            metric.add_dimension(name="to_state", value=change.current)


class EventListener:
    """Publishes `BreakerStateChanged` for every transition. Its correlation id is the breaker's id (a breaker's
    changes are one story) and its idempotency key the breaker and the version the change wrote, which no other
    change shares."""

    def __init__(self, publisher: EventPublisher, logger: Logger | None = None) -> None:
        self._publisher = publisher
        self._logger = logger or Logger()

    def state_changed(self, change: StateChange) -> None:
        event = BreakerStateChanged(
            breaker_id=change.breaker_id,
            previous_state=change.previous,
            state=change.current,
            version=change.version,
            changed_at=datetime.fromtimestamp(change.at / 1000, UTC),
        )
        outgoing = OutgoingEvent.from_model(
            event, correlation_id=change.breaker_id, idempotency_key=f"{change.breaker_id}:v{change.version}"
        )
        (result,) = self._publisher.publish([outgoing])
        if not result.sent:
            self._logger.error(
                "breaker state change not published",
                breaker_id=change.breaker_id,
                state=change.current,
                error_code=result.error_code,
                error_message=result.error_message,
            )


class CompositeListener:
    """Tells every one of `listeners`, in order."""

    def __init__(self, listeners: Sequence[BreakerListener]) -> None:
        self._listeners = tuple(listeners)

    def state_changed(self, change: StateChange) -> None:
        for listener in self._listeners:
            listener.state_changed(change)


def observed(publisher: EventPublisher, logger: Logger | None = None) -> CompositeListener:
    """What a handler's breaker reports to: a log line, a metric and a `BreakerStateChanged` event per transition."""
    return CompositeListener([LoggingListener(logger), MetricsListener(), EventListener(publisher, logger)])

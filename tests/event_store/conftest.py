"""The event store on the local runtime with the real app: one cloud per module (a start costs seconds), the `orch`
runner of the control tests, and a publisher whose events are stamped with the runtime's clock."""

from __future__ import annotations

from functions.producer import EventBridgeBus, EventPublisher, OutgoingEvent
from orchestrator.local.cloud import LocalCloud
from schemas.envelope import EventData
from tests.control.conftest import cloud, orch  # noqa: F401 - fixtures, used by name

__all__ = ["put_on_clock"]


def put_on_clock(local: LocalCloud, data: EventData, correlation_id: str) -> str:
    """Puts one event whose `occurred_at` is the local clock's now (`cloud.put_event` stamps real time, which is
    behind the clock once it was advanced); returns its envelope's event id."""
    bus = EventBridgeBus(local.client("events"))
    publisher = EventPublisher(bus, local.bus_name, producer="tests", clock=local.runtime.clock.utcnow)
    (result,) = publisher.publish([OutgoingEvent.from_model(data, correlation_id=correlation_id)])
    assert result.sent, result.error_message
    return str(result.event_id)

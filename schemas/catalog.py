"""Every event type the orchestrator knows, looked up by its EventBridge `detail-type`."""

from __future__ import annotations

from schemas.agents import AGENT_EVENTS
from schemas.breakers import BREAKER_EVENTS
from schemas.control import CONTROL_EVENTS
from schemas.dags import DAG_EVENTS
from schemas.envelope import Emitter, EventData
from schemas.orders import ORDER_EVENTS
from schemas.support import SUPPORT_EVENTS

EVENT_TYPES: tuple[type[EventData], ...] = (
    ORDER_EVENTS + AGENT_EVENTS + SUPPORT_EVENTS + BREAKER_EVENTS + CONTROL_EVENTS + DAG_EVENTS
)

_BY_DETAIL_TYPE: dict[str, type[EventData]] = {t.DETAIL_TYPE: t for t in EVENT_TYPES}
if len(_BY_DETAIL_TYPE) != len(EVENT_TYPES):  # pragma: no cover - guards the table above at import
    raise RuntimeError("two event types share a detail-type")


class UnknownEventTypeError(LookupError):
    """Raised for a detail-type (or detail-type and source pair) that no model declares."""

    def __init__(self, detail_type: str, source: str | None = None) -> None:
        self.detail_type = detail_type
        self.source = source
        # The field at fault: a known detail-type from the wrong source blames the source.
        self.field = "detail-type"
        if source is not None and detail_type in _BY_DETAIL_TYPE:
            self.field = "source"
            expected = _BY_DETAIL_TYPE[detail_type].SOURCE
            reason = f"detail-type {detail_type!r} comes from source {expected!r}, not {source!r}"
        else:
            known = ", ".join(sorted(_BY_DETAIL_TYPE))
            reason = f"unknown detail-type {detail_type!r}; known: {known}"
        super().__init__(reason)


def event_type_for(detail_type: str, source: str | None = None) -> type[EventData]:
    """The model of `detail_type`; with `source`, also checks that the event comes from the model's source."""
    event_type = _BY_DETAIL_TYPE.get(detail_type)
    if event_type is None or (source is not None and source != event_type.SOURCE):
        raise UnknownEventTypeError(detail_type, source)
    return event_type


def emitted_by(emitter: Emitter) -> tuple[type[EventData], ...]:
    """The event types `emitter` may put on the bus (schemas/envelope.py `EMITTED_BY`), in catalog order."""
    return tuple(t for t in EVENT_TYPES if emitter in t.EMITTED_BY)

"""Every event type the orchestrator knows, looked up by its EventBridge `detail-type`.

An event type is added by adding a module to this package that declares `EVENTS`, the tuple of its models
(`schemas/orders.py`, or one `orch new event` writes): the catalog finds every such module by that one line, so
adding an event type edits no other file. Why a convention over the folder rather than a list here or entry points:
the Lambda asset ships this folder as it is (imports are the same on AWS, locally and in the CDK app), a list would
be one more file for every new event to edit, and entry points need the project reinstalled for each new module.
The modules are found by reading their text, not by importing every module of the package: some import the catalog
(a loop), and a handler's cold start should build only the event models.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from schemas.envelope import Emitter, EventData

_EVENTS_LINE = re.compile(r"^EVENTS\b", re.MULTILINE)


def event_modules(directory: Path = Path(__file__).parent) -> list[str]:
    """The names of the modules of `directory` (this package) that declare `EVENTS`, in name order."""
    return sorted(
        path.stem
        for path in directory.glob("*.py")
        if not path.name.startswith("_") and _EVENTS_LINE.search(path.read_text(encoding="utf-8"))
    )


def _declared(module: str) -> tuple[type[EventData], ...]:
    events: tuple[type[EventData], ...] = importlib.import_module(f"{__package__}.{module}").EVENTS
    return events


EVENT_TYPES: tuple[type[EventData], ...] = tuple(t for module in event_modules() for t in _declared(module))

_BY_DETAIL_TYPE: dict[str, type[EventData]] = {t.DETAIL_TYPE: t for t in EVENT_TYPES}
if len(_BY_DETAIL_TYPE) != len(EVENT_TYPES):
    _names = [t.DETAIL_TYPE for t in EVENT_TYPES]
    _shared = sorted({name for name in _names if _names.count(name) > 1})
    raise RuntimeError(f"two event types share a detail-type: {', '.join(_shared)}; rename one (DETAIL_TYPE)")


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

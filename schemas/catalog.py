"""Every event type the orchestrator knows, looked up by its EventBridge `detail-type`.

An event type is added by adding a module to this package that declares `EVENTS`, the tuple of its models
(`schemas/orders.py`, or one `orch new event` writes): the catalog finds every such module by that one line, so
adding an event type edits no other file. Why a convention over the folder rather than a list here or entry points:
the Lambda asset ships this folder as it is (imports are the same on AWS, locally and in the CDK app), a list would
be one more file for every new event to edit, and entry points need the project reinstalled for each new module.

The modules are found by reading their text, not by importing them: some import the catalog (a loop), and a handler's
cold start should build only the models it uses. The text also gives each module's detail-types (the models' literal
`DETAIL_TYPE: ClassVar[str] = "..."` lines), so `event_type_for` imports the one module that declares the type it is
asked for: a consumer of order events never builds the agents' or the DAGs' models (about 25 ms of a handler's cold
import for the whole catalog). A module is checked against its text when it is imported: a model whose detail-type
is not such a literal fails there, naming the module. `event_types()` imports them all (the registry, the CDK app).
"""

from __future__ import annotations

import functools
import importlib
import re
from pathlib import Path

from schemas.envelope import Emitter, EventData

_EVENTS_LINE = re.compile(r"^EVENTS\b", re.MULTILINE)
_DETAIL_TYPE_LINE = re.compile(r"^\s+DETAIL_TYPE\s*:\s*ClassVar\[str\]\s*=\s*\"([^\"]+)\"", re.MULTILINE)


def event_modules(directory: Path = Path(__file__).parent) -> dict[str, list[str]]:
    """The modules of `directory` (this package) that declare `EVENTS`, in name order, each with the detail-types its
    text declares, in the order of the text."""
    modules: dict[str, list[str]] = {}
    for path in sorted(directory.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        if not path.name.startswith("_") and _EVENTS_LINE.search(text):
            modules[path.stem] = _DETAIL_TYPE_LINE.findall(text)
    return modules


_MODULES = event_modules()
_MODULE_OF: dict[str, str] = {name: module for module, names in _MODULES.items() for name in names}
if len(_MODULE_OF) != sum(len(names) for names in _MODULES.values()):
    _names = [name for names in _MODULES.values() for name in names]
    _shared = sorted({name for name in _names if _names.count(name) > 1})
    raise RuntimeError(f"two event types share a detail-type: {', '.join(_shared)}; rename one (DETAIL_TYPE)")


@functools.cache
def _declared(module: str) -> dict[str, type[EventData]]:
    """The models `module` declares in `EVENTS`, by detail-type, once checked against what its text said."""
    events: tuple[type[EventData], ...] = importlib.import_module(f"{__package__}.{module}").EVENTS
    declared = {t.DETAIL_TYPE: t for t in events}
    if list(declared) != _MODULES[module]:
        raise RuntimeError(
            f"schemas/{module}.py: EVENTS declares {', '.join(declared) or 'nothing'} but its text "
            f"{', '.join(_MODULES[module]) or 'no detail-type'}; declare each model's DETAIL_TYPE as a string literal "
            f'(DETAIL_TYPE: ClassVar[str] = "Name"), each model once in EVENTS, in the order of the file'
        )
    return declared


def event_types() -> tuple[type[EventData], ...]:
    """Every event type, module by module in name order (this imports every event module)."""
    return tuple(t for module in _MODULES for t in _declared(module).values())


def is_known(detail_type: str) -> bool:
    """Whether some model declares `detail_type` (imports nothing)."""
    return detail_type in _MODULE_OF


class UnknownEventTypeError(LookupError):
    """Raised for a detail-type (or detail-type and source pair) that no model declares."""

    def __init__(self, detail_type: str, source: str | None = None) -> None:
        self.detail_type = detail_type
        self.source = source
        # The field at fault: a known detail-type from the wrong source blames the source.
        self.field = "detail-type"
        if source is not None and detail_type in _MODULE_OF:
            self.field = "source"
            expected = _declared(_MODULE_OF[detail_type])[detail_type].SOURCE
            reason = f"detail-type {detail_type!r} comes from source {expected!r}, not {source!r}"
        else:
            known = ", ".join(sorted(_MODULE_OF))
            reason = f"unknown detail-type {detail_type!r}; known: {known}"
        super().__init__(reason)


def event_type_for(detail_type: str, source: str | None = None) -> type[EventData]:
    """The model of `detail_type`; with `source`, also checks that the event comes from the model's source."""
    module = _MODULE_OF.get(detail_type)
    event_type = _declared(module)[detail_type] if module is not None else None
    if event_type is None or (source is not None and source != event_type.SOURCE):
        raise UnknownEventTypeError(detail_type, source)
    return event_type


def emitted_by(emitter: Emitter) -> tuple[type[EventData], ...]:
    """The event types `emitter` may put on the bus (schemas/envelope.py `EMITTED_BY`), in catalog order."""
    return tuple(t for t in event_types() if emitter in t.EMITTED_BY)

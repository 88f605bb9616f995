"""What a state machine puts on the bus, read from its definition: the (source, detail-type) of every entry of its
`events:putEvents` tasks, at any depth (Map iterations, Parallel branches).

The state machine's PutEvents grant is conditioned on exactly these (infra/constructs/emitting.py), so each entry
must name its source and detail-type literally: one computed by an expression (JSONata `{% %}`, or a JSONPath
`Source.$`) could be anything at run time, and is refused here, at synth.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

PUT_EVENTS = "arn:aws:states:::events:putEvents"


class EmittedEvent(NamedTuple):
    state: str
    source: str
    detail_type: str


def emitted_events(definition: dict[str, Any]) -> list[EmittedEvent]:
    """Every entry of every PutEvents task of `definition`; raises ValueError for one not written literally."""
    return list(_walk(definition))


def _walk(definition: dict[str, Any]) -> Iterator[EmittedEvent]:
    for name, state in definition.get("States", {}).items():
        if state.get("Type") == "Task" and str(state.get("Resource", "")).startswith(PUT_EVENTS):
            yield from _entries(name, state)
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            yield from _walk(processor)
        for branch in state.get("Branches", []):
            yield from _walk(branch)


def _entries(name: str, state: dict[str, Any]) -> Iterator[EmittedEvent]:
    arguments = state.get("Arguments", state.get("Parameters", {}))
    entries = arguments.get("Entries") if isinstance(arguments, dict) else None
    if not isinstance(entries, list):
        raise ValueError(f"state {name!r} puts events whose Entries are computed; write them as a list")
    for entry in entries:
        source, detail_type = entry.get("Source"), entry.get("DetailType")
        if not _literal(source) or not _literal(detail_type):
            raise ValueError(
                f"state {name!r} puts an event whose Source or DetailType is computed; write both literally, so "
                "that its PutEvents grant can name them"
            )
        yield EmittedEvent(name, source, detail_type)


def _literal(value: Any) -> bool:
    return isinstance(value, str) and bool(value) and not value.startswith("{%")
